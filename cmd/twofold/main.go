// Command twofold runs the twofold OpenID Connect provider and manages its
// offices, users, clients and keys.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv)
	stop()
	if err != nil {
		var u usageError
		if !errors.As(err, &u) {
			fmt.Fprintln(os.Stderr, "twofold:", err)
		}
		os.Exit(exitCode(err))
	}
}

// usageError marks a command line that could not be parsed; its message
// was already printed with the usage.
type usageError struct{ error }

func exitCode(err error) int {
	var u usageError
	if errors.As(err, &u) {
		return 2
	}
	return 1
}

const usage = `Usage: twofold COMMAND [flags]

Commands:
  serve [--config FILE] [--demo]    run the provider
  migrate                           apply database migrations
  office create|update ...          manage offices
  user create ...                   create a user
  client create|update|list ...     register, change and list OpenID Connect clients
  keys rotate                       add a new signing key
  sms stats ...                     show sent, failed and limited SMS codes
  audit --office CODE [--json]      list the changes to an office's policy and users

Every command takes --config FILE and reads the same TWOFOLD_* environment
as serve. Run "twofold COMMAND -h" for a command's flags.
`

// run is the whole program, so tests can start it with their own
// arguments, streams and environment.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return usageError{errors.New("no command")}
	}
	env := &environment{ctx: ctx, stdin: stdin, stdout: stdout, stderr: stderr, getenv: getenv}
	err := env.dispatch(args[0], args[1:])
	if errors.Is(err, errHelp) {
		return nil
	}
	return err
}

// errHelp is returned by a command whose flags asked for help, which
// parseFlags has printed; the command does nothing else.
var errHelp = errors.New("help requested")

func (env *environment) dispatch(cmd string, rest []string) error {
	switch cmd {
	case "serve":
		return env.serve(rest)
	case "migrate":
		return env.migrate(rest)
	case "office":
		return env.office(rest)
	case "user":
		return env.user(rest)
	case "client":
		return env.client(rest)
	case "keys":
		return env.keys(rest)
	case "sms":
		return env.sms(rest)
	case "audit":
		return env.audit(rest)
	case "help", "-h", "--help":
		fmt.Fprint(env.stdout, usage)
		return nil
	}
	fmt.Fprintf(env.stderr, "twofold: unknown command %q\n\n%s", cmd, usage)
	return usageError{fmt.Errorf("unknown command %q", cmd)}
}
