// Package password hashes and verifies passwords with argon2id.
//
// The parameters follow the OWASP Password Storage Cheat Sheet's first
// argon2id configuration (m=19 MiB, t=2, p=1): about 30 ms per hash on one
// core of a current server CPU (measured by BenchmarkVerify), slow enough to
// make offline guessing expensive and fast enough for an interactive sign-in.
// Argon2id holds its memory cost for the whole computation, so the number of
// hashes computed at once is bounded by a semaphore sized to the CPU count;
// further callers queue, which keeps resident memory flat under load.
package password

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Params are argon2id cost parameters.
type Params struct {
	MemoryKiB   uint32
	Iterations  uint32
	Parallelism uint8
}

// DefaultParams are the parameters new hashes use.
var DefaultParams = Params{MemoryKiB: 19 * 1024, Iterations: 2, Parallelism: 1}

const (
	saltLength = 16
	keyLength  = 32

	// MaxLength bounds the password length accepted for hashing, so an
	// oversized form field cannot make hashing itself expensive.
	MaxLength = 1024

	// MinLength is the shortest password accepted for a new account, the
	// minimum NIST SP 800-63B sets for memorized secrets chosen by users.
	MinLength = 8
)

// Upper bounds on parameters read back from a stored hash, so a corrupt or
// hostile row cannot make one verification allocate gigabytes.
const (
	maxMemoryKiB  = 256 * 1024
	maxIterations = 16
)

// ErrMismatch is returned by Verify for a wrong password.
var ErrMismatch = errors.New("password: mismatch")

// Hasher hashes and verifies passwords, computing at most a fixed number of
// hashes at once.
type Hasher struct {
	params Params
	slots  chan struct{}
	dummy  string
}

// NewHasher returns a hasher that computes at most concurrency hashes at
// once; zero means runtime.NumCPU().
func NewHasher(params Params, concurrency int) *Hasher {
	if concurrency <= 0 {
		concurrency = runtime.NumCPU()
	}
	h := &Hasher{params: params, slots: make(chan struct{}, concurrency)}
	h.dummy = encode(params, make([]byte, saltLength), make([]byte, keyLength))
	return h
}

// Hash returns a PHC-formatted argon2id hash of password.
func (h *Hasher) Hash(ctx context.Context, password string) (string, error) {
	if len(password) > MaxLength {
		return "", fmt.Errorf("password: longer than %d bytes", MaxLength)
	}
	salt := make([]byte, saltLength)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	if err := h.acquire(ctx); err != nil {
		return "", err
	}
	defer h.release()
	key := argon2.IDKey([]byte(password), salt, h.params.Iterations, h.params.MemoryKiB, h.params.Parallelism, keyLength)
	return encode(h.params, salt, key), nil
}

// Verify checks password against a stored hash. An empty hash, as for an
// unknown user, is checked against a dummy hash with the same parameters, so
// the time taken does not reveal whether the user exists; it always fails.
func (h *Hasher) Verify(ctx context.Context, hash, password string) error {
	if len(password) > MaxLength {
		password = password[:MaxLength]
	}
	known := hash != ""
	if !known {
		hash = h.dummy
	}
	params, salt, want, err := decode(hash)
	if err != nil {
		return err
	}
	if err := h.acquire(ctx); err != nil {
		return err
	}
	got := argon2.IDKey([]byte(password), salt, params.Iterations, params.MemoryKiB, params.Parallelism, uint32(len(want)))
	h.release()
	if subtle.ConstantTimeCompare(got, want) != 1 || !known {
		return ErrMismatch
	}
	return nil
}

func (h *Hasher) acquire(ctx context.Context) error {
	select {
	case h.slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (h *Hasher) release() { <-h.slots }

func encode(p Params, salt, key []byte) string {
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.MemoryKiB, p.Iterations, p.Parallelism, b64.EncodeToString(salt), b64.EncodeToString(key))
}

func decode(hash string) (Params, []byte, []byte, error) {
	var p Params
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" || parts[2] != fmt.Sprintf("v=%d", argon2.Version) {
		return p, nil, nil, errors.New("password: stored hash is not argon2id")
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.MemoryKiB, &p.Iterations, &p.Parallelism); err != nil {
		return p, nil, nil, errors.New("password: stored hash has malformed parameters")
	}
	if p.MemoryKiB == 0 || p.MemoryKiB > maxMemoryKiB || p.Iterations == 0 || p.Iterations > maxIterations || p.Parallelism == 0 {
		return p, nil, nil, errors.New("password: stored hash parameters are out of range")
	}
	salt, err1 := base64.RawStdEncoding.DecodeString(parts[4])
	key, err2 := base64.RawStdEncoding.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(salt) < 8 || len(key) < 16 {
		return p, nil, nil, errors.New("password: stored hash is malformed")
	}
	return p, salt, key, nil
}
