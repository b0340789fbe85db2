package main

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestClientRegistrationFlags(t *testing.T) {
	c := newCLI(t)
	out := c.mustRun("", "client", "create", "--id", "crm", "--name", "CRM", "--redirect-uri", "https://crm.example.com/cb",
		"--token-endpoint-auth-method", "client_secret_post",
		"--post-logout-redirect-uri", "https://crm.example.com/bye", "--post-logout-redirect-uri", "https://crm.example.com/",
		"--backchannel-logout-uri", "https://crm.example.com/backchannel", "--json")
	var got map[string]any
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatal(err)
	}
	if got["token_endpoint_auth_method"] != "client_secret_post" || got["backchannel_logout_uri"] != "https://crm.example.com/backchannel" {
		t.Errorf("client create --json = %v", got)
	}
	if uris, _ := got["post_logout_redirect_uris"].([]any); len(uris) != 2 {
		t.Errorf("post_logout_redirect_uris = %v, want both", got["post_logout_redirect_uris"])
	}

	c.mustRun("", "client", "update", "--id", "crm", "--token-endpoint-auth-method", "client_secret_basic",
		"--post-logout-redirect-uri", "https://crm.example.com/signed-out", "--clear-backchannel-logout-uri")
	list := c.mustRun("", "client", "list")
	for _, want := range []string{"crm (CRM): confidential, client_secret_basic", "post-logout redirect URI https://crm.example.com/signed-out"} {
		if !strings.Contains(list, want) {
			t.Errorf("client list lacks %q:\n%s", want, list)
		}
	}
	if strings.Contains(list, "backchannel") || strings.Contains(list, "/bye") {
		t.Errorf("client list still shows what the update removed:\n%s", list)
	}

	c.mustRun("", "client", "create", "--id", "spa", "--name", "SPA", "--token-endpoint-auth-method", "none",
		"--redirect-uri", "http://localhost:3000/cb")
	var clients []map[string]any
	if err := json.Unmarshal([]byte(c.mustRun("", "client", "list", "--json")), &clients); err != nil {
		t.Fatal(err)
	}
	if len(clients) != 2 || clients[1]["id"] != "spa" || clients[1]["public"] != true || clients[1]["token_endpoint_auth_method"] != "none" {
		t.Errorf("client list --json = %v", clients)
	}
	for _, c := range clients {
		if _, ok := c["secret"]; ok {
			t.Errorf("client list prints a secret: %v", c)
		}
	}

	for name, args := range map[string][]string{
		"unknown method":       {"client", "create", "--id", "a", "--name", "A", "--redirect-uri", "https://a.example.com/cb", "--token-endpoint-auth-method", "private_key_jwt"},
		"public with a method": {"client", "create", "--id", "a", "--name", "A", "--redirect-uri", "https://a.example.com/cb", "--public", "--token-endpoint-auth-method", "client_secret_basic"},
		"http back-channel":    {"client", "create", "--id", "a", "--name", "A", "--redirect-uri", "https://a.example.com/cb", "--backchannel-logout-uri", "http://a.example.com/bc"},
		"bad post-logout URI":  {"client", "update", "--id", "crm", "--post-logout-redirect-uri", "https://a.example.com/#x"},
		"confidential to none": {"client", "update", "--id", "crm", "--token-endpoint-auth-method", "none"},
		"public to basic":      {"client", "update", "--id", "spa", "--token-endpoint-auth-method", "client_secret_basic"},
		"unknown client":       {"client", "update", "--id", "nobody", "--name", "X"},
	} {
		if _, _, err := c.run("", args...); err == nil {
			t.Errorf("%s: succeeded, want an error", name)
		}
	}
}
