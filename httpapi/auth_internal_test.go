package httpapi

import (
	"strings"
	"testing"
	"time"
)

func TestParseBearer(t *testing.T) {
	for _, tc := range []struct {
		header, token string
		ok            bool
	}{
		{"Bearer abc", "abc", true},
		{"bearer abc", "abc", true},
		{"BEARER   abc", "abc", true},
		{"Bearer lsk_0123456789abcdefghijABCDEFGHIJ0123456789abc", "lsk_0123456789abcdefghijABCDEFGHIJ0123456789abc", true},
		{"Bearer a+b/c==", "a+b/c==", true},
		{"Bearer !#$%&'()*", "!#$%&'()*", true},
		{"", "", false},
		{"Bearer", "", false},
		{"Bearer ", "", false},
		{"Bearer    ", "", false},
		{"Bearerabc", "", false},
		{"Bearer\tabc", "", false},
		{"Basic abc", "", false},
		{"abc", "", false},
		{"Bearer abc def", "", false},
		{"Bearer abc ", "", false},
		{"Bearer abc\x00", "", false},
		{"Bearer é", "", false},
		{"Bearer " + strings.Repeat("a", maxTokenBytes), strings.Repeat("a", maxTokenBytes), true},
		{"Bearer " + strings.Repeat("a", maxTokenBytes+1), "", false},
	} {
		token, ok := parseBearer(tc.header)
		if token != tc.token && tc.ok || ok != tc.ok {
			t.Errorf("parseBearer(%q)=%q, %v, want %q, %v", tc.header, token, ok, tc.token, tc.ok)
		}
	}
}

// FuzzParseBearer checks that parseBearer never panics, that a token it
// returns is a valid one found in the header, and that it reads back the
// same from the canonical header.
func FuzzParseBearer(f *testing.F) {
	for _, s := range []string{"Bearer abc", "bearer  lsk_x", "Basic a", "Bearer", "Bearer a b", "Bearer \xff", "BeArEr ==="} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, header string) {
		token, ok := parseBearer(header)
		if !ok {
			return
		}
		if ValidToken(token) != nil || !strings.HasSuffix(header, token) {
			t.Fatalf("parseBearer(%q)=%q, which is not a valid token at the header's end", header, token)
		}
		if again, ok := parseBearer("Bearer " + token); !ok || again != token {
			t.Fatalf("parseBearer(Bearer %q)=%q, %v", token, again, ok)
		}
	})
}

// TestFailureLimiter checks the window: 20 failures block an address until
// a minute after the first of them, then it starts afresh.
func TestFailureLimiter(t *testing.T) {
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	l := newFailureLimiter(func() time.Time { return now })
	for i := range maxFailures {
		if w := l.blocked("a"); w != 0 {
			t.Fatalf("blocked after %d failures", i)
		}
		l.fail("a")
		now = now.Add(time.Second)
	}
	if w := l.blocked("a"); w != 40*time.Second {
		t.Fatalf("after 20 failures in 20 s: wait %v, want 40s (the rest of the minute)", w)
	}
	if w := l.blocked("b"); w != 0 {
		t.Fatalf("another address waits %v", w)
	}
	now = now.Add(40 * time.Second)
	if w := l.blocked("a"); w != 0 {
		t.Fatalf("a minute after the first failure: still blocked for %v", w)
	}
	l.fail("a")
	if w := l.blocked("a"); w != 0 {
		t.Fatalf("one failure in a new window blocks: %v", w)
	}
}

// TestFailureLimiter_Bounded checks that memory stays bounded however many
// addresses fail.
func TestFailureLimiter_Bounded(t *testing.T) {
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	l := newFailureLimiter(func() time.Time { return now })
	for i := range maxTrackedAddrs + 1000 {
		l.fail(strings.Repeat("x", i%7) + string(rune('a'+i%26)) + time.Duration(i).String())
	}
	if n := len(l.byAddr); n > maxTrackedAddrs {
		t.Fatalf("%d addresses tracked, more than %d", n, maxTrackedAddrs)
	}
}
