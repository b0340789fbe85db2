// Command twofold-load drives a running twofold over HTTP with many virtual
// users and prints throughput and latency percentiles.
//
// Scenarios:
//
//	discovery  GET the discovery document and the JWKS, alternately
//	signin     full sign-ins: authorize, password, the SMS code when the
//	           office requires it (read from the file sender), callback and
//	           code exchange
//	refresh    refresh-token grants, each rotating the client's token
//
// The signin and refresh scenarios create their office, users and client
// in the database named by -database-url (the one twofold uses) before
// they start, so the tool needs no other setup.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"sync"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "twofold-load:", err)
		os.Exit(1)
	}
}

type options struct {
	issuer      string
	databaseURL string
	smsFile     string
	scenario    string
	workers     int
	duration    time.Duration
	maxRequests int
	twoFactor   bool
	users       int
}

func run(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("twofold-load", flag.ContinueOnError)
	var o options
	fs.StringVar(&o.issuer, "issuer", "http://127.0.0.1:8080", "issuer `URL` of the running twofold")
	fs.StringVar(&o.databaseURL, "database-url", "", "the `URL` of twofold's database, for creating the test office, users and client")
	fs.StringVar(&o.smsFile, "sms-file", "", "the file sender's `path`, read for codes when -two-factor is set")
	fs.StringVar(&o.scenario, "scenario", "discovery", "discovery, signin or refresh")
	fs.IntVar(&o.workers, "workers", 16, "concurrent virtual users")
	fs.DurationVar(&o.duration, "duration", 20*time.Second, "how long to run")
	fs.IntVar(&o.maxRequests, "max", 1_000_000, "stop after this many operations")
	fs.BoolVar(&o.twoFactor, "two-factor", false, "signin: the office requires the SMS step")
	fs.IntVar(&o.users, "users", 0, "signin: how many users take turns (default: one per worker; twofold sends one code per user every 30 s, so two-factor runs need many)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if o.workers < 1 || o.workers > 1024 {
		return fmt.Errorf("-workers must be 1 to 1024, got %d", o.workers)
	}
	if o.users < o.workers {
		o.users = o.workers
	}
	if o.users > 100_000 {
		return fmt.Errorf("-users must be at most 100000, got %d", o.users)
	}
	if o.duration <= 0 || o.duration > 10*time.Minute {
		return fmt.Errorf("-duration must be positive and at most 10m, got %s", o.duration)
	}

	var op func(ctx context.Context, worker int) error
	var err error
	switch o.scenario {
	case "discovery":
		op = discovery(o)
	case "signin":
		op, err = signin(ctx, o)
	case "refresh":
		op, err = refresh(ctx, o)
	default:
		return fmt.Errorf("unknown -scenario %q (want discovery, signin or refresh)", o.scenario)
	}
	if err != nil {
		return err
	}
	res := drive(ctx, o, op)
	res.print(out, o)
	return nil
}

// result collects latencies and errors of one run.
type result struct {
	mu        sync.Mutex // guards the fields below
	latencies []time.Duration
	errors    int
	firstErr  error
	elapsed   time.Duration
}

func (r *result) add(d time.Duration, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err != nil {
		r.errors++
		if r.firstErr == nil {
			r.firstErr = err
		}
		return
	}
	r.latencies = append(r.latencies, d)
}

// drive runs op on o.workers goroutines until the duration or the
// operation count is reached.
func drive(ctx context.Context, o options, op func(context.Context, int) error) *result {
	ctx, cancel := context.WithTimeout(ctx, o.duration)
	defer cancel()
	res := &result{}
	var remaining = make(chan struct{}, o.maxRequests)
	for range o.maxRequests {
		remaining <- struct{}{}
	}
	close(remaining)
	start := time.Now()
	var wg sync.WaitGroup
	for w := range o.workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range remaining {
				if ctx.Err() != nil {
					return
				}
				t0 := time.Now()
				err := op(ctx, w)
				if ctx.Err() != nil {
					return
				}
				res.add(time.Since(t0), err)
			}
		}()
	}
	wg.Wait()
	res.elapsed = time.Since(start)
	return res
}

func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted)-1) * p)
	return sorted[i]
}

func (r *result) print(w io.Writer, o options) {
	sort.Slice(r.latencies, func(i, j int) bool { return r.latencies[i] < r.latencies[j] })
	n := len(r.latencies)
	fmt.Fprintf(w, "scenario %s, %d workers, %s\n", o.scenario, o.workers, r.elapsed.Round(time.Millisecond))
	fmt.Fprintf(w, "  operations %d ok, %d failed\n", n, r.errors)
	fmt.Fprintf(w, "  throughput %.1f/s\n", float64(n)/r.elapsed.Seconds())
	fmt.Fprintf(w, "  latency p50 %s, p95 %s, p99 %s\n",
		percentile(r.latencies, 0.50).Round(10*time.Microsecond),
		percentile(r.latencies, 0.95).Round(10*time.Microsecond),
		percentile(r.latencies, 0.99).Round(10*time.Microsecond))
	if r.firstErr != nil {
		fmt.Fprintf(w, "  first error: %v\n", r.firstErr)
	}
}
