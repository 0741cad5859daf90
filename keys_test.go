package logstats_test

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/logstats/logstats"
	"github.com/logstats/logstats/internal/testdb"
)

// keyPattern is what a customer key looks like: lsk_ and 43 base62 digits.
var keyPattern = regexp.MustCompile(`^lsk_[0-9A-Za-z]{43}$`)

func TestKeyService(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, db *testdb.DB) {
		ctx := context.Background()
		now := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
		ks := logstats.NewKeyService(db.DB)
		ks.Now = func() time.Time { return now }

		k1, secret1, err := ks.CreateKey(ctx, "cust_1", "acme ops")
		if err != nil {
			t.Fatal(err)
		}
		if !keyPattern.MatchString(secret1) {
			t.Fatalf("key %q does not look like lsk_ and 43 base62 digits", secret1)
		}
		if k1.CustomerID != "cust_1" || k1.Label != "acme ops" || !k1.Created.Equal(now) || k1.LastUsed != nil || k1.ID == "" {
			t.Fatalf("CreateKey=%+v", k1)
		}
		k2, secret2, err := ks.CreateKey(ctx, "a/b c?", "")
		if err == nil {
			t.Fatalf("a customer id with a space: key %+v %s", k2, secret2)
		}
		now = now.Add(time.Second)
		k2, secret2, err = ks.CreateKey(ctx, "a/b?#%", "")
		if err != nil {
			t.Fatal(err)
		}
		if secret2 == secret1 || k2.ID == k1.ID {
			t.Fatalf("two keys alike: %s %s, %s %s", k1.ID, secret1, k2.ID, secret2)
		}

		t.Run("OKAuthenticate", func(t *testing.T) {
			got, err := ks.Authenticate(ctx, secret1)
			if err != nil || got.ID != k1.ID || got.CustomerID != "cust_1" {
				t.Fatalf("Authenticate=%+v, %v", got, err)
			}
			if want := now.Truncate(time.Minute); got.LastUsed == nil || !got.LastUsed.Equal(want) {
				t.Fatalf("LastUsed=%v, want %v (to the minute)", got.LastUsed, want)
			}
		})
		t.Run("ErrUnknownKey", func(t *testing.T) {
			for _, bad := range []string{"", "lsk_", secret1[:len(secret1)-1], secret1 + "x", strings.ToUpper(secret1), "Bearer " + secret1, "not-a-key"} {
				if k, err := ks.Authenticate(ctx, bad); !errors.Is(err, logstats.ErrUnknownKey) || k != nil {
					t.Fatalf("Authenticate(%q)=%+v, %v, want ErrUnknownKey", bad, k, err)
				}
			}
		})
		t.Run("OKFindKeys", func(t *testing.T) {
			keys, err := ks.FindKeys(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(keys) != 2 || keys[0].ID != k1.ID || keys[1].ID != k2.ID || keys[1].CustomerID != "a/b?#%" {
				t.Fatalf("FindKeys=%+v", keys)
			}
			if keys[0].LastUsed == nil || keys[1].LastUsed != nil {
				t.Fatalf("last used: %v, %v; want the first used, the second never", keys[0].LastUsed, keys[1].LastUsed)
			}
		})
		t.Run("OKLastUsedOncePerMinute", func(t *testing.T) {
			before := now.Truncate(time.Minute)
			now = now.Add(30 * time.Second)
			got, _ := ks.Authenticate(ctx, secret1)
			if !got.LastUsed.Equal(before) {
				t.Fatalf("LastUsed=%v moved within the minute", got.LastUsed)
			}
			now = now.Add(45 * time.Second)
			got, _ = ks.Authenticate(ctx, secret1)
			if want := now.Truncate(time.Minute); !got.LastUsed.Equal(want) {
				t.Fatalf("LastUsed=%v, want %v", got.LastUsed, want)
			}
		})
		t.Run("OKRevokeKey", func(t *testing.T) {
			if err := ks.RevokeKey(ctx, k1.ID); err != nil {
				t.Fatal(err)
			}
			if _, err := ks.Authenticate(ctx, secret1); !errors.Is(err, logstats.ErrUnknownKey) {
				t.Fatalf("a revoked key: %v, want ErrUnknownKey", err)
			}
			if _, err := ks.Authenticate(ctx, secret2); err != nil {
				t.Fatalf("the other key after a revocation: %v", err)
			}
			if err := ks.RevokeKey(ctx, k1.ID); !errors.Is(err, logstats.ErrKeyNotFound) || logstats.KindOf(err) != logstats.KindNotFound {
				t.Fatalf("revoking it again: %v, want ErrKeyNotFound", err)
			}
		})
		t.Run("ErrInvalidLabel", func(t *testing.T) {
			for _, label := range []string{strings.Repeat("x", logstats.MaxKeyLabelBytes+1), "a\nb", "\xff"} {
				if _, _, err := ks.CreateKey(ctx, "cust_1", label); !errors.Is(err, logstats.ErrInvalidLabel) || logstats.KindOf(err) != logstats.KindInvalid {
					t.Fatalf("label %q: %v, want ErrInvalidLabel", label, err)
				}
			}
		})
	})
}

// TestKeyService_OnlyHashStored checks that the database holds no key: only
// its SHA-256.
func TestKeyService_OnlyHashStored(t *testing.T) {
	db := testdb.Open(t, logstats.DialectSQLite)
	ks := logstats.NewKeyService(db.DB)
	_, secret, err := ks.CreateKey(context.Background(), "cust_1", "")
	if err != nil {
		t.Fatal(err)
	}
	rows, err := db.DB.Query(`SELECT * FROM logstats_keys`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		for i, v := range vals {
			var s string
			switch v := v.(type) {
			case string:
				s = v
			case []byte:
				s = string(v)
			}
			if strings.Contains(s, secret[4:]) {
				t.Fatalf("column %s holds the key", cols[i])
			}
		}
	}
}
