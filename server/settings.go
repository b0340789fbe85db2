package server

import (
	"context"
	"encoding/base64"
	"fmt"

	"github.com/go-chi/chi/v5"

	"twofold/admin"
	"twofold/config"
	"twofold/login"
	"twofold/op"
	"twofold/templates"
)

// mountSettings serves the settings pages under /settings with the sign-in
// handler's store, pages, cookies and SMS sending, registers their built-in
// client, and serves the language switch of every page at /language.
func mountSettings(ctx context.Context, r chi.Router, lh *login.Handler, cfg config.Config) error {
	kek := cfg.KEK()
	secret := op.DeriveKey(kek, "settings client secret")
	settings := admin.New(admin.Options{
		Store:        lh.Store,
		Hasher:       lh.Hasher,
		Sender:       lh.Sender,
		Pages:        lh.Pages,
		Cookies:      lh.Cookies,
		Issuer:       cfg.Issuer,
		ClientSecret: base64.RawURLEncoding.EncodeToString(secret[:]),
		FlowKey:      op.DeriveKey(kek, "settings flow cookie"),
		CodeKey:      op.DeriveKey(kek, "settings sms codes"),
		SendPolicy:   lh.SendPolicy,
		ClientIP:     lh.ClientIP,
		Countries:    lh.Countries,
		Product:      lh.Product,
		Host:         lh.Host,
		Secure:       cfg.Secure(),
		Now:          lh.Now,
		Log:          lh.Log,
	})
	if err := settings.EnsureClient(ctx); err != nil {
		return fmt.Errorf("register the settings client: %w", err)
	}
	settings.Routes(r)
	lh.Pages.UILocales = lh.UILocales
	r.Handle("/language", templates.LanguageHandler(cfg.Secure()))
	return nil
}
