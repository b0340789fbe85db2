package sqldb

import (
	"strings"
	"testing"
	"testing/fstest"
	"time"
)

func TestMicrosRoundTrip(t *testing.T) {
	for _, in := range []time.Time{
		{},
		time.Unix(0, 0).UTC(),
		time.Date(2031, time.March, 4, 5, 6, 7, 123456000, time.UTC),
		time.Date(1999, time.December, 31, 23, 59, 59, 999999000, time.UTC),
	} {
		got := fromMicros(micros(in))
		if got != in {
			t.Errorf("fromMicros(micros(%v)) = %v", in, got)
		}
	}

	local := time.Date(2031, time.March, 4, 5, 6, 7, 123456789, time.FixedZone("CET", 3600))
	got := fromMicros(micros(local))
	if want := local.UTC().Truncate(time.Microsecond); got != want {
		t.Errorf("fromMicros(micros(%v)) = %v, want %v", local, got, want)
	}
}

func TestListRoundTrip(t *testing.T) {
	for _, in := range [][]string{nil, {"openid"}, {"a b", `quote"d`, "ü"}} {
		got, err := decodeList("scopes", encodeList(in))
		if err != nil {
			t.Fatalf("decodeList(encodeList(%q)): %v", in, err)
		}
		if strings.Join(got, "\x00") != strings.Join(in, "\x00") || len(got) != len(in) {
			t.Errorf("decodeList(encodeList(%q)) = %q", in, got)
		}
	}
	if got := encodeList([]string{}); got != "[]" {
		t.Errorf("encodeList of an empty list = %q, want []", got)
	}
	if _, err := decodeList("scopes", "openid"); err == nil {
		t.Errorf("decodeList of text that is no JSON array: got no error")
	}
}

func TestLoadMigrations(t *testing.T) {
	got, err := LoadMigrations(fstest.MapFS{
		"0010_more.sql": {Data: []byte("B")},
		"0002_init.sql": {Data: []byte("A")},
		"README.md":     {Data: []byte("not a migration")},
	})
	if err != nil {
		t.Fatalf("LoadMigrations: %v", err)
	}
	if len(got) != 2 || got[0].Version != 2 || got[1].Version != 10 || got[0].SQL != "A" || got[1].Name != "0010_more.sql" {
		t.Errorf("LoadMigrations: got %+v, want 0002_init.sql then 0010_more.sql", got)
	}

	for name, fsys := range map[string]fstest.MapFS{
		"duplicate number": {"0001_a.sql": {}, "001_b.sql": {}},
		"no number":        {"init.sql": {}},
		"number zero":      {"0000_init.sql": {}},
	} {
		if _, err := LoadMigrations(fsys); err == nil {
			t.Errorf("LoadMigrations with a %s: got no error", name)
		}
	}
}
