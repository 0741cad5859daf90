package main

import (
	"context"
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/logstats/logstats"
	"github.com/logstats/logstats/internal/runner"
	"github.com/logstats/logstats/internal/testdb"
)

// TestRun_Keys: -create-key prints a key once (and with -link the
// dashboard's link), -list-keys lists it without the key, the key reads its
// customer through the library's KeyService, -revoke-key ends it; the
// flags they do not go with are refused.
func TestRun_Keys(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, db *testdb.DB) {
		stdout, stderr, err := runRunner(t, "", "-dsn", db.DSN, "-create-key", "cust_42", "-key-label", "acme ops", "-link", "https://stats.example.com")
		if err != nil {
			t.Fatalf("-create-key: %v\n%s", err, stderr)
		}
		key := regexp.MustCompile(`lsk_[0-9A-Za-z]{43}`).FindString(stdout)
		id := regexp.MustCompile(`created key ([0-9a-f]+) for customer cust_42`).FindStringSubmatch(stdout)
		if key == "" || id == nil || !strings.Contains(stdout, "https://stats.example.com/#key="+key+"\n") || !strings.Contains(stdout, "-revoke-key "+id[1]) {
			t.Fatalf("-create-key printed %q", stdout)
		}
		k, err := logstats.NewKeyService(db.DB).Authenticate(context.Background(), key)
		if err != nil || k.CustomerID != "cust_42" || k.Label != "acme ops" {
			t.Fatalf("the printed key: %+v, %v", k, err)
		}

		stdout, _, err = runRunner(t, "", "-dsn", db.DSN, "-list-keys")
		if err != nil || !strings.Contains(stdout, id[1]) || !strings.Contains(stdout, "cust_42") || !strings.Contains(stdout, "acme ops") || strings.Contains(stdout, key) || !strings.HasSuffix(stdout, "1 keys\n") {
			t.Fatalf("-list-keys: %q, %v", stdout, err)
		}
		stdout, _, err = runRunner(t, "", "-dsn", db.DSN, "-list-keys", "-json")
		var sum runner.Summary
		if jerr := json.Unmarshal([]byte(stdout), &sum); err != nil || jerr != nil || len(sum.Keys) != 1 || sum.Keys[0].ID != id[1] || sum.Keys[0].LastUsed == nil {
			t.Fatalf("-list-keys -json: %s (%v, %v)", stdout, err, jerr)
		}
		stdout, _, err = runRunner(t, "", "-dsn", db.DSN, "-create-key", "cust_43", "-json")
		sum = runner.Summary{}
		if jerr := json.Unmarshal([]byte(stdout), &sum); err != nil || jerr != nil || sum.CreatedKey == nil || sum.CreatedKey.CustomerID != "cust_43" || !strings.HasPrefix(sum.CreatedKey.Key, "lsk_") {
			t.Fatalf("-create-key -json: %s (%v, %v)", stdout, err, jerr)
		}

		stdout, _, err = runRunner(t, "", "-dsn", db.DSN, "-revoke-key", id[1])
		if err != nil || !strings.Contains(stdout, "revoked key "+id[1]) {
			t.Fatalf("-revoke-key: %q, %v", stdout, err)
		}
		if _, err := logstats.NewKeyService(db.DB).Authenticate(context.Background(), key); err == nil {
			t.Fatal("a revoked key still authenticates")
		}
		if _, _, err = runRunner(t, "", "-dsn", db.DSN, "-revoke-key", id[1]); err == nil || !strings.Contains(err.Error(), "-list-keys") {
			t.Fatalf("revoking it again: %v, want an error pointing to -list-keys", err)
		}
	})
	dsn := "sqlite://" + t.TempDir() + "/x.db"
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-create-key", "a b"}, "whitespace"},
		{[]string{"-create-key", "c", "-list-keys"}, "one at a time"},
		{[]string{"-create-key", "c", sample}, "drop the FILE"},
		{[]string{"-create-key", "c", "-verify"}, "go with none of"},
		{[]string{"-key-label", "x"}, "go with -create-key"},
		{[]string{"-link", "https://x/"}, "go with -create-key"},
		{[]string{"-create-key", "c", "-link", "stats.example.com"}, "-link"},
		{[]string{"-create-key", "c", "-key-label", "a\nb"}, "label"},
	} {
		if _, _, err := runRunner(t, "", append([]string{"-dsn", dsn}, tc.args...)...); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("runner %q: %v, want an error saying %q", tc.args, err, tc.want)
		}
	}
}
