package main

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/logstats/logstats"
	"github.com/logstats/logstats/internal/testdb"
)

// TestRun_Raw checks -raw: given on a new database, it is recorded before
// anything loads (-load and POST /load keep raw requests that way), so
// that a later server without it uses it; a server given another mode is
// refused before it serves, with a message naming the recorded mode.
func TestRun_Raw(t *testing.T) {
	noEnv := func(string) string { return "" }
	testdb.ForEach(t, func(t *testing.T, db *testdb.DB) {
		ctx := context.Background()
		base := startServer(t, noEnv, "-dsn", db.DSN, "-raw", "none", "-load", "../../testdata/api_requests.log")
		if mode, recorded, err := logstats.RawModeOf(ctx, db.DB); err != nil || !recorded || mode != logstats.RawNone {
			t.Fatalf("RawModeOf after -raw none: %q, %v, %v; want none, recorded", mode, recorded, err)
		}
		if status, body := getJSON(t, base+"/customers/cust_1/stats?from=2024-10-01"); status != 200 {
			t.Fatalf("stats under -raw none: %d %v", status, body)
		}
		status, body := getJSON(t, base+"/customers/cust_1/requests?from=2024-10-01")
		if msg, _ := body["error"].(string); status != 409 || !strings.Contains(msg, "raw mode none") {
			t.Fatalf("the export under -raw none: %d %v, want 409 naming raw mode none", status, body)
		}

		// The recorded mode, named or not, is accepted.
		startServer(t, noEnv, "-dsn", db.DSN, "-raw", "none")
		startServer(t, noEnv, "-dsn", db.DSN)

		err := run(ctx, []string{"-addr", "127.0.0.1:0", "-dsn", db.DSN, "-raw", "blocks"}, noEnv, io.Discard, io.Discard)
		var rme *logstats.RawModeError
		if !errors.As(err, &rme) || rme.Recorded != logstats.RawNone || !strings.Contains(err.Error(), "-raw blocks: ") ||
			!strings.Contains(err.Error(), "keeps its raw requests as none, not blocks") {
			t.Fatalf("-raw blocks on a database of raw mode none: %v, want a RawModeError naming none", err)
		}
	})
}

// TestRun_RawRows checks that POST /load keeps the raw requests as -raw
// says, and that they are exported.
func TestRun_RawRows(t *testing.T) {
	db := testdb.Open(t, logstats.DialectSQLite)
	base := startServer(t, func(string) string { return "" }, "-dsn", db.DSN, "-raw", "rows")
	resp, err := http.Post(base+"/load?source=up.log", "text/plain", strings.NewReader("2024-10-03 10:00:00 cust_9 /x 200 0.1\n"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("POST /load: %d", resp.StatusCode)
	}
	if n := testdb.RawRequests(t, db.DB); n != 1 {
		t.Fatalf("%d raw requests held, want 1", n)
	}
	var rows int
	if err := db.QueryRow(`SELECT COUNT(*) FROM logstats_raw_requests`).Scan(&rows); err != nil || rows != 1 {
		t.Fatalf("%d rows in logstats_raw_requests (%v), want 1: -raw rows keeps a row a request", rows, err)
	}
	got := getRawBody(t, base+"/customers/cust_9/requests?from=2024-10-03&format=csv")
	if want := "time,customer_id,method,path,status,latency\n2024-10-03T10:00:00.000000Z,cust_9,,/x,200,0.1\n"; got != want {
		t.Fatalf("the export: %q, want %q", got, want)
	}
}
