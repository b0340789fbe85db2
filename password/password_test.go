package password

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// testParams keep the tests fast; the format and logic are the same.
var testParams = Params{MemoryKiB: 64, Iterations: 1, Parallelism: 1}

func TestHashVerify(t *testing.T) {
	ctx := context.Background()
	h := NewHasher(testParams, 2)
	hash, err := h.Hash(ctx, "correct horse")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(hash, "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Errorf("hash = %q, want a PHC argon2id string", hash)
	}
	if err := h.Verify(ctx, hash, "correct horse"); err != nil {
		t.Errorf("Verify(right password) = %v, want nil", err)
	}
	if err := h.Verify(ctx, hash, "wrong horse"); !errors.Is(err, ErrMismatch) {
		t.Errorf("Verify(wrong password) = %v, want ErrMismatch", err)
	}
}

func TestVerifyUnknownUserFails(t *testing.T) {
	h := NewHasher(testParams, 1)
	if err := h.Verify(context.Background(), "", ""); !errors.Is(err, ErrMismatch) {
		t.Errorf("Verify(empty hash) = %v, want ErrMismatch", err)
	}
}

func TestVerifyRejectsHostileHash(t *testing.T) {
	h := NewHasher(testParams, 1)
	for _, hash := range []string{
		"plain",
		"$argon2id$v=19$m=99999999,t=1,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5a2V5",
		"$argon2id$v=19$m=64,t=0,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5a2V5",
		"$argon2i$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5a2V5",
		"$argon2id$v=19$m=64,t=1,p=1$!!$a2V5",
	} {
		if err := h.Verify(context.Background(), hash, "x"); err == nil {
			t.Errorf("Verify(%q) = nil, want an error", hash)
		}
	}
}

func TestHashRejectsOversized(t *testing.T) {
	h := NewHasher(testParams, 1)
	if _, err := h.Hash(context.Background(), strings.Repeat("a", MaxLength+1)); err == nil {
		t.Error("Hash(oversized) = nil error, want an error")
	}
}

func BenchmarkVerify(b *testing.B) {
	ctx := context.Background()
	h := NewHasher(DefaultParams, 0)
	hash, err := h.Hash(ctx, "benchmark password")
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if err := h.Verify(ctx, hash, "benchmark password"); err != nil {
			b.Fatal(err)
		}
	}
}
