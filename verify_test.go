package logstats_test

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/logstats/logstats"
	"github.com/logstats/logstats/internal/loggen"
	"github.com/logstats/logstats/internal/testdb"
	"github.com/logstats/logstats/spider"
)

// TestVerify loads a log of several customers and days (with malformed
// lines, in batches, compacted), and then corrupts the database one way at
// a time: Verify must find a consistent database consistent, and name each
// corruption (which source, or which customer and day).
func TestVerify(t *testing.T) {
	text := genLog(t, 3000, 11, 0.01)
	const somePruned = "2024-10-03"
	rowsOnly, blocksOnly := []logstats.RawMode{logstats.RawRows}, []logstats.RawMode{logstats.RawBlocks}
	allModes := []logstats.RawMode{logstats.RawBlocks, logstats.RawRows, logstats.RawNone}
	const firstBlock = `(SELECT MIN(first_offset) FROM logstats_raw_blocks WHERE first_offset > 0)`
	cases := []struct {
		name    string
		modes   []logstats.RawMode // the raw modes it applies to; nil: rows and blocks
		corrupt []string           // statements run after the load
		prune   bool
		// want are substrings of the discrepancies, in order, with {n} for
		// the requests loaded; none: consistent.
		want []string
	}{
		{name: "consistent", modes: allModes},
		{name: "pruned", prune: true, modes: allModes},
		{name: "a raw request lost", modes: rowsOnly,
			corrupt: []string{`DELETE FROM logstats_raw_requests WHERE src_offset = (SELECT MIN(src_offset) FROM logstats_raw_requests WHERE src_offset > 0)`},
			want:    []string{"kind=rollup", "kind=source expected={n} raw requests ({n} committed, 0 pruned) found={n-1}"}},
		{name: "a block lost", modes: blocksOnly,
			corrupt: []string{`DELETE FROM logstats_raw_blocks WHERE first_offset = ` + firstBlock},
			want:    []string{"kind=rollup", "kind=source expected={n} raw requests ({n} committed, 0 pruned) found="}},
		{name: "a block's data corrupt", modes: blocksOnly,
			corrupt: []string{`UPDATE logstats_raw_blocks SET data = X'01000000' WHERE first_offset = ` + firstBlock},
			want:    []string{"kind=block", "kind=rollup", "kind=source expected={n} raw requests"}},
		{name: "a block's row counting more requests than it holds", modes: blocksOnly,
			corrupt: []string{`UPDATE logstats_raw_blocks SET requests = requests + 1 WHERE first_offset = ` + firstBlock},
			want:    []string{"kind=block", "kind=rollup", "kind=source expected={n} raw requests"}},
		{name: "the ledger ahead of the raw requests",
			corrupt: []string{`UPDATE logstats_sources SET committed_requests = committed_requests + 449`},
			want:    []string{"kind=source expected={n+449} raw requests ({n+449} committed, 0 pruned) found={n}"}},
		{name: "a rollup's count changed",
			corrupt: []string{`UPDATE logstats_rollups SET c5xx = c5xx + 1, total = total + 1 WHERE customer_id = 'cust_1' AND day = '2024-10-02'`},
			want:    []string{"kind=rollup customer=cust_1 day=2024-10-02"}},
		{name: "a rollup's distribution changed",
			corrupt: []string{`UPDATE logstats_rollups SET latency_sum_us = latency_sum_us + 1 WHERE customer_id = 'cust_2' AND day = '2024-10-01'`},
			want:    []string{"kind=rollup customer=cust_2 day=2024-10-01"}},
		{name: "a rollup that cannot be read", modes: allModes,
			corrupt: []string{`UPDATE logstats_rollups SET latency_dist = X'FF' WHERE customer_id = 'cust_2' AND day = '2024-10-01'`},
			want:    []string{"kind=rollup customer=cust_2 day=2024-10-01 expected="}},
		{name: "a rollup without raw requests",
			corrupt: []string{`INSERT INTO logstats_rollups SELECT 'ghost', day, source_id, seq, total, c1xx, c2xx, c3xx, c4xx, c5xx, latency_sum_us, latency_min_us, latency_max_us, latency_dist FROM logstats_rollups WHERE customer_id = 'cust_1' AND day = '2024-10-02'`},
			want:    []string{"kind=rollup customer=ghost day=2024-10-02 expected=no requests found="}},
		{name: "a raw request after the committed offset", modes: rowsOnly,
			corrupt: []string{`UPDATE logstats_raw_requests SET src_offset = 1000000000 WHERE src_offset = (SELECT MAX(src_offset) FROM logstats_raw_requests)`},
			want:    []string{"kind=source expected=raw requests before the committed offset"}},
		{name: "a source loaded before requests were counted",
			corrupt: []string{`UPDATE logstats_sources SET committed_requests = -1`}},
	}
	testdb.ForEach(t, func(t *testing.T, base *testdb.DB) {
		for _, c := range cases {
			modes := c.modes
			if modes == nil {
				modes = []logstats.RawMode{logstats.RawRows, logstats.RawBlocks}
			}
			for _, mode := range modes {
				t.Run(c.name+"/"+string(mode), func(t *testing.T) {
					ctx := context.Background()
					db := testdb.OpenBackend(t, base.Backend)
					ing := newIngester(db, 500)
					ing.Raw = mode
					loaded := mustLoad(t, ing, "access.log", text).Inserted
					if c.prune {
						res, err := ing.Prune(ctx, date(somePruned))
						if err != nil || res.Days == 0 || (res.Requests == 0) != (mode == logstats.RawNone) {
							t.Fatalf("prune: %+v, %v", res, err)
						}
					}
					for _, stmt := range c.corrupt {
						if _, err := db.DB.ExecContext(ctx, stmt); err != nil {
							t.Fatalf("%s: %v", stmt, err)
						}
					}
					rep, err := logstats.Verify(ctx, db.DB, logstats.VerifyOptions{Dialect: db.Dialect, Batch: 700})
					if err != nil {
						t.Fatal(err)
					}
					var got []string
					for _, d := range rep.Discrepancies {
						got = append(got, describe(d))
					}
					if len(got) != len(c.want) {
						t.Fatalf("discrepancies:\n%s\nwant %d, matching %q", strings.Join(got, "\n"), len(c.want), c.want)
					}
					n := loaded
					fill := strings.NewReplacer("{n}", fmt.Sprint(n), "{n-1}", fmt.Sprint(n-1), "{n+449}", fmt.Sprint(n+449))
					for i, w := range c.want {
						if w = fill.Replace(w); !strings.Contains(got[i], w) {
							t.Errorf("discrepancy %d: %s\nwant it to contain %q", i, got[i], w)
						}
					}
					if rep.OK() != (len(c.want) == 0) || rep.Sources != 1 || rep.Days == 0 {
						t.Errorf("report %+v", rep)
					}
					wantUncounted := int64(0)
					if len(c.corrupt) > 0 && strings.Contains(c.corrupt[0], "= -1") {
						wantUncounted = 1
					}
					if rep.Uncounted != wantUncounted {
						t.Errorf("%d sources uncounted, want %d", rep.Uncounted, wantUncounted)
					}
					if !c.prune && len(c.want) == 0 && mode != logstats.RawNone && rep.Requests != n {
						t.Errorf("%d requests read, want %d", rep.Requests, n)
					}
				})
			}
		}
	})
}

// describe puts a discrepancy's fields in one line for the cases to match.
func describe(d logstats.Discrepancy) string {
	var b strings.Builder
	b.WriteString("kind=" + d.Kind)
	if d.Customer != "" {
		b.WriteString(" customer=" + d.Customer + " day=" + d.Day)
	}
	b.WriteString(" expected=" + d.Expected + " found=" + d.Found)
	return b.String()
}

// TestVerify_Untimed: a database of requests with and without a latency
// (SPEC §13) is consistent, and a request whose "no latency" was turned
// into a latency of 0 in the raw storage is found in its day's rollup.
func TestVerify_Untimed(t *testing.T) {
	cfg := loggen.DefaultConfig()
	cfg.Lines, cfg.Customers, cfg.Days, cfg.UntimedRate = 3000, 5, 4, 0.3
	var log strings.Builder
	if err := loggen.Write(&log, cfg); err != nil {
		t.Fatal(err)
	}
	testdb.ForEach(t, func(t *testing.T, db *testdb.DB) {
		ctx := context.Background()
		db = db.Fresh(t)
		ing := newIngester(db, 400)
		ing.Raw = logstats.RawRows
		mustLoad(t, ing, "untimed.log", log.String())
		rep, err := logstats.Verify(ctx, db.DB, logstats.VerifyOptions{Dialect: db.Dialect})
		if err != nil || !rep.OK() || rep.Requests != 3000 {
			t.Fatalf("Verify: %+v, %v; want consistent, 3000 raw requests", rep, err)
		}
		// The first request without a latency, stored again with one of 0
		// (in a raw row, which SQL can change).
		var customer string
		var offset int64
		if err := db.DB.QueryRowContext(ctx, `SELECT customer_id, MIN(src_offset) FROM logstats_raw_requests WHERE latency_us = -1 GROUP BY customer_id ORDER BY customer_id LIMIT 1`).Scan(&customer, &offset); err != nil {
			t.Fatalf("no request without a latency stored as -1: %v", err)
		}
		if _, err := db.DB.ExecContext(ctx, `UPDATE logstats_raw_requests SET latency_us = 0 WHERE customer_id = ? AND src_offset = ?`, customer, offset); err != nil {
			t.Fatal(err)
		}
		rep, err = logstats.Verify(ctx, db.DB, logstats.VerifyOptions{Dialect: db.Dialect})
		if err != nil || len(rep.Discrepancies) != 1 || rep.Discrepancies[0].Customer != customer || !strings.Contains(rep.Discrepancies[0].Found, "without a latency") {
			t.Fatalf("Verify after a latency of 0 replaced none: %+v, %v", rep, err)
		}
	})
}

// TestVerify_InDoubt: an XA transaction left prepared on MySQL is reported.
func TestVerify_InDoubt(t *testing.T) {
	db := testdb.Open(t, logstats.DialectMySQL)
	ctx := context.Background()
	prepareXA(t, db.DB, "logstats-verify-test")
	rep, err := logstats.Verify(ctx, db.DB, logstats.VerifyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, d := range rep.Discrepancies {
		found = found || d.Kind == "in-doubt" && strings.Contains(d.XID, "logstats-verify-test")
	}
	if !found {
		t.Fatalf("discrepancies %+v, want the prepared XA transaction", rep.Discrepancies)
	}
}

// TestVerify_InFlightIsNotInDoubt: an XA transaction prepared when Verify
// first looks and committed before it looks again (a commit in flight, of
// another database of the same server) is not reported.
func TestVerify_InFlightIsNotInDoubt(t *testing.T) {
	db := testdb.Open(t, logstats.DialectMySQL)
	ctx := context.Background()
	conn := prepareXA(t, db.DB, "logstats-verify-inflight")
	time.AfterFunc(300*time.Millisecond, func() { conn.ExecContext(ctx, "XA COMMIT 'logstats-verify-inflight'") })
	rep, err := logstats.Verify(ctx, db.DB, logstats.VerifyOptions{InDoubtWait: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range rep.Discrepancies {
		if strings.Contains(d.XID, "logstats-verify-inflight") {
			t.Fatalf("a transaction committed within the wait reported in doubt: %+v", d)
		}
	}
}

// TestVerify_InDoubtOnShard: an XA branch left prepared on a shard of a
// Spider head is reported by Verify through the head.
func TestVerify_InDoubtOnShard(t *testing.T) {
	head, shards := testdb.SpiderParts(t)
	ctx := context.Background()
	if err := spider.MigrateSharded(ctx, head.DB, shards); err != nil {
		t.Fatal(err)
	}
	prepareXA(t, shards[1].DB, "logstats-verify-shard")
	rep, err := logstats.Verify(ctx, head.DB, logstats.VerifyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, d := range rep.Discrepancies {
		found = found || d.Kind == "in-doubt" && strings.Contains(d.XID, "logstats-verify-shard") && strings.Contains(d.XID, "_shard2")
	}
	if !found {
		t.Fatalf("discrepancies %+v, want the branch prepared on shard 2", rep.Discrepancies)
	}
}

// prepareXA leaves an XA transaction named xid prepared on db until the
// test ends, as a process that died between XA PREPARE and XA COMMIT does.
func prepareXA(t *testing.T, db *sql.DB, xid string) *sql.Conn {
	t.Helper()
	ctx := context.Background()
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, stmt := range []string{"XA START '" + xid + "'", `INSERT INTO logstats_settings (name, value) VALUES ('verify-test', 'x')`,
		"XA END '" + xid + "'", "XA PREPARE '" + xid + "'"} {
		if _, err := conn.ExecContext(ctx, stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	t.Cleanup(func() {
		conn.ExecContext(ctx, "XA ROLLBACK '"+xid+"'")
		conn.Close()
	})
	return conn
}
