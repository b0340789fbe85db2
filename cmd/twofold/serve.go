package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"runtime/debug"
	"time"

	"twofold/demo"
	"twofold/password"
	"twofold/server"
	"twofold/sms"
	"twofold/smslimit"
	"twofold/storage"
)

// cleanupInterval is how often expired rows are deleted.
const cleanupInterval = 10 * time.Minute

func (e *environment) serve(args []string) error {
	fs, cfgPath := e.flags("serve")
	demoMode := fs.Bool("demo", false, "create a demo office, users and client once, and serve the demo application at /demo")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, err := e.loadConfig(*cfgPath)
	if err != nil {
		return err
	}
	log := e.logger(cfg)
	slog.SetDefault(log)
	if err := e.ensureSecrets(&cfg, log); err != nil {
		return err
	}
	sender, err := sms.New(cfg.SMS, e.stderr, &http.Client{Timeout: 10 * time.Second})
	if err != nil {
		return fmt.Errorf("sms: %w", err)
	}
	db, err := e.openDB(cfg, log)
	if err != nil {
		return err
	}
	defer db.Close()

	hasher := password.NewHasher(password.DefaultParams, 0)
	limitMemory(log, e.getenv)
	if *demoMode {
		created, err := demo.Seed(e.ctx, db, hasher, cfg.Issuer, cfg.KEK(), e.now())
		if err != nil {
			return err
		}
		if created {
			log.Info("demo office created", "office", demo.OfficeCode)
		}
		e.printDemo(cfg.Issuer)
	}
	srv, err := server.New(e.ctx, server.Options{
		Config: cfg, Store: db, Sender: sender, Hasher: hasher, Log: log, Now: e.now, Demo: *demoMode,
	})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return err
	}
	if cfg.MetricsListen != "" {
		mln, err := net.Listen("tcp", cfg.MetricsListen)
		if err != nil {
			return fmt.Errorf("metrics_listen: %w", err)
		}
		ms := &http.Server{Handler: metricsMux(srv.Metrics), ReadHeaderTimeout: 10 * time.Second}
		go func() { _ = ms.Serve(mln) }()
		defer ms.Close()
		log.Info("metrics served", "listen", mln.Addr().String(), "path", "/metrics")
	}
	go e.cleanup(db, log)
	return serveHTTP(e.ctx, ln, srv, cfg.Shutdown, log, cfg.Issuer)
}

func (e *environment) printDemo(issuer string) {
	fmt.Fprintf(e.stderr, "\nDemo: open %s/demo and sign in with office code %s:\n", issuer, demo.OfficeCode)
	for _, u := range demo.Users {
		fmt.Fprintf(e.stderr, "  %-6s password %-11s %s, mobile %s\n", u.Username, u.Password, u.Role, u.Mobile)
	}
	fmt.Fprintf(e.stderr, "SMS codes are printed below as they are sent.\n\n")
}

// serveHTTP serves until ctx ends, then stops accepting, lets requests in
// flight finish for up to grace, and returns.
func serveHTTP(ctx context.Context, ln net.Listener, h http.Handler, grace time.Duration, log *slog.Logger, issuer string) error {
	hs := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    32 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	log.Info("twofold started", "listen", ln.Addr().String(), "issuer", issuer)
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("twofold stopping")
	sctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	err := hs.Shutdown(sctx)
	if errors.Is(<-errc, http.ErrServerClosed) && err == nil {
		log.Info("twofold stopped")
		return nil
	}
	return err
}

func (e *environment) cleanup(st storage.Store, log *slog.Logger) {
	t := time.NewTicker(cleanupInterval)
	defer t.Stop()
	for {
		select {
		case <-e.ctx.Done():
			return
		case <-t.C:
			n, err := st.DeleteExpired(e.ctx, e.now())
			if err != nil {
				log.Error("delete expired rows", "error", err)
			} else if n > 0 {
				log.Info("deleted expired rows", "rows", n)
			}
			n, err = st.DeleteSMSCountersBefore(e.ctx, e.now().Add(-smslimit.CounterRetention))
			if err != nil {
				log.Error("delete old SMS counters", "error", err)
			} else if n > 0 {
				log.Info("deleted old SMS counters", "rows", n)
			}
		}
	}
}

// metricsMux serves the metrics and the Go profiler on the operators'
// listener, which is never the public one.
func metricsMux(h http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", h)
	mux.HandleFunc("GET /debug/pprof/", pprof.Index)
	mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("GET /debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
	return mux
}

// defaultMemoryLimit is the soft heap limit serve sets unless GOMEMLIMIT is
// given. Each argon2id verification allocates its 19 MiB afresh, so without
// a limit the collector lets garbage from finished hashes pile up to twice
// the live heap; near the limit it collects sooner and returns memory to
// the operating system. Live memory is about two hashes (one per core)
// plus some 20 MiB for everything else.
const defaultMemoryLimit = 64 << 20

func limitMemory(log *slog.Logger, getenv func(string) string) {
	if getenv("GOMEMLIMIT") != "" {
		return
	}
	debug.SetMemoryLimit(defaultMemoryLimit)
	log.Info("soft memory limit set", "bytes", defaultMemoryLimit)
}
