package logstats_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/logstats/logstats"
	"github.com/logstats/logstats/internal/testdb"
)

func TestIngester_Load(t *testing.T) {
	forEachFormat(t, func(t *testing.T, format string) {
		testdb.ForEach(t, func(t *testing.T, db *testdb.DB) {
			text := genLogFormat(t, format, 3000, 1, 0.01)
			entries := parseEntries(t, text)
			res := mustLoad(t, newIngester(db, 500), "a.log", text)
			if res.Lines != 3000 || res.Inserted != int64(len(entries)) || res.Malformed != 3000-int64(len(entries)) || res.SkippedAlreadyLoaded != 0 {
				t.Fatalf("result=%+v, want 3000 lines, %d inserted", res, len(entries))
			}
			if res.Malformed == 0 || len(res.Errors) != int(min(res.Malformed, logstats.DefaultMaxErrors)) {
				t.Fatalf("malformed=%d, errors=%v: the generator should have made some", res.Malformed, res.Errors)
			}
			if st := testdb.Snapshot(t, db.DB); st.RawRows != int64(len(entries)) {
				t.Fatalf("raw rows=%d, want %d", st.RawRows, len(entries))
			}
			checkStats(t, db.DB, entries, logstats.Date{}, nil, nil)
		})
	})
}

func TestIngester_LoadTwiceAddsNothing(t *testing.T) {
	forEachFormat(t, func(t *testing.T, format string) {
		testdb.ForEach(t, func(t *testing.T, db *testdb.DB) {
			text := genLogFormat(t, format, 2000, 2, 0.01)
			ing := newIngester(db, 300)
			first := mustLoad(t, ing, "a.log", text)
			before := testdb.Snapshot(t, db.DB)
			second := mustLoad(t, ing, "renamed.log", text)
			if second.Inserted != 0 || second.SkippedAlreadyLoaded != 2000 || second.Lines != 2000 || second.Malformed != 0 {
				t.Fatalf("second load=%+v, want nothing inserted and 2000 skipped", second)
			}
			if first.Inserted == 0 {
				t.Fatalf("first load inserted nothing")
			}
			testdb.CheckSame(t, testdb.Snapshot(t, db.DB), before)
		})
	})
}

func TestIngester_Empty(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, db *testdb.DB) {
		for _, text := range []string{"", "\n\n  \n"} {
			res := mustLoad(t, newIngester(db, 10), "empty.log", text)
			if res.Inserted != 0 || res.Malformed != 0 {
				t.Fatalf("Load(%q)=%+v", text, res)
			}
		}
	})
}

func TestIngester_AppendLoadsOnlyNewLines(t *testing.T) {
	forEachFormat(t, func(t *testing.T, format string) {
		full := genLogFormat(t, format, 2500, 4, 0.01)
		cut := lineOffset(full, 2000)
		testdb.ForEach(t, func(t *testing.T, db *testdb.DB) {
			for _, tc := range []struct {
				name  string
				first string
			}{
				{"OK", full[:cut]},
				{"OKLastLineWithoutNewline", full[:cut-1]},
			} {
				t.Run(tc.name, func(t *testing.T) {
					db := db.Fresh(t)
					ing := newIngester(db, 700)
					first := mustLoad(t, ing, "a.log", tc.first)
					second := mustLoad(t, ing, "a.log", full)
					newEntries := int64(len(parseEntries(t, full)) - len(parseEntries(t, full[:cut])))
					if second.Inserted != newEntries || second.SkippedAlreadyLoaded != 2000 || second.Lines != 2500 {
						t.Fatalf("second load=%+v, want %d inserted, 2000 skipped, 2500 lines", second, newEntries)
					}
					if first.Inserted+second.Inserted != int64(len(parseEntries(t, full))) {
						t.Fatalf("inserted %d+%d, want %d", first.Inserted, second.Inserted, len(parseEntries(t, full)))
					}
					testdb.CheckSame(t, testdb.Snapshot(t, db.DB), cleanState(t, db.Dialect, "a.log", full))
				})
			}
		})
	})
}

func TestIngester_ChangedSourceIsRefused(t *testing.T) {
	text := "# written by loggen\n" + genLog(t, 1500, 5, 0)
	mid := lineOffset(text, 700)
	edited := text[:mid+25] + "9" + text[mid+26:] // a digit of line 701
	lastCut := len(text) - 4                      // in the middle of the last line
	cases := []struct {
		name, first, second string
	}{
		{"ErrEdited", text, edited},
		{"ErrTruncated", text, text[:lineOffset(text, 900)]},
		{"ErrTruncatedMidLine", text, text[:mid+10]},
		{"ErrHeaderChanged", text, "# written by hand\n" + text[len("# written by loggen\n"):]},
		{"ErrLastLineExtended", text[:lastCut], text[:lastCut] + "7" + text[lastCut:]},
		// The first lines cut away: the first valid line, which identifies a
		// source, is another, but the rest was loaded already.
		{"ErrFirstLinesCut", text, "# written by loggen\n" + text[lineOffset(text, 4):]},
		{"ErrFirstLineCut", text, text[lineOffset(text, 2):]},
		{"ErrFirstLineEdited", text, "# written by loggen\n" + "2024-10-01 00:00:00 cust_1 /x 200 0.1" + text[lineOffset(text, 2)-1:]},
		{"ErrOriginalAfterCutCopy", text[lineOffset(text, 3):], text},
		// A line after the first one edited: the first line is the same,
		// and so are most of the others.
		{"ErrSecondLineEdited", text, text[:lineOffset(text, 2)] + "2024-10-01 00:00:00 cust_1 /x 200 0.1\n" + text[lineOffset(text, 3):]},
		{"ErrSecondLineEditedSmall", text[:lineOffset(text, 60)], text[:lineOffset(text, 2)] + "2024-10-01 00:00:00 cust_1 /x 200 0.1\n" + text[lineOffset(text, 3):lineOffset(text, 60)]},
	}
	testdb.ForEach(t, func(t *testing.T, db *testdb.DB) {
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				db := db.Fresh(t)
				ing := newIngester(db, 400)
				mustLoad(t, ing, "a.log", tc.first)
				before := testdb.Snapshot(t, db.DB)
				res, err := ing.Load(context.Background(), "a.log", strings.NewReader(tc.second), logstats.LoadOptions{})
				if !errors.Is(err, logstats.ErrSourceChanged) {
					t.Fatalf("second load error=%v, want ErrSourceChanged", err)
				}
				if res.Inserted != 0 {
					t.Fatalf("second load inserted %d, want 0", res.Inserted)
				}
				testdb.CheckSame(t, testdb.Snapshot(t, db.DB), before)
			})
		}
	})
}

// TestIngester_FailureThenRerun injects failures at chosen points of a load:
// failing statements, a connection closed mid-transaction, a commit whose
// outcome the client never learns, a failing compaction, a transient
// deadlock. Running the load again on a healthy connection must end with the
// same database as one uninterrupted load.
func TestIngester_FailureThenRerun(t *testing.T) {
	forEachFormat(t, func(t *testing.T, format string) {
		text := genLogFormat(t, format, 3000, 6, 0.01)
		// deadlock stands for the dialect's error that a retry cures, made in the
		// loop below (transientError).
		deadlock := errors.New("a deadlock or a busy database")
		cases := []struct {
			name    string
			fault   *faultConnector
			loadErr bool // whether the faulty load must fail
			bulk    bool // MySQL only: raw rows go by LOAD DATA
		}{
			{"ErrInsertRequests", &faultConnector{match: "INSERT INTO logstats_raw_", after: 4, err: errInjected}, true, false},
			{"ErrInsertRollups", &faultConnector{match: "INSERT INTO logstats_rollups", after: 3, err: errInjected}, true, false},
			{"ErrUpdateSource", &faultConnector{match: "UPDATE logstats_sources", after: 2, err: errInjected}, true, false},
			{"ErrFirstBatch", &faultConnector{match: "INSERT INTO logstats_raw_", after: 0, err: errInjected}, true, false},
			{"ClosedConnectionMidBatch", &faultConnector{match: "INSERT INTO logstats_rollups", after: 5, err: driver.ErrBadConn}, true, false},
			{"ClosedConnectionAtCommit", &faultConnector{match: "COMMIT", after: 3, err: driver.ErrBadConn}, true, false},
			{"CommitOutcomeUnknown", &faultConnector{match: "COMMIT", after: 3, err: errors.New("connection lost after COMMIT was sent"), commit: true}, true, false},
			{"OKCompactionFails", &faultConnector{match: "DELETE FROM logstats_rollups", after: 0, err: errInjected}, false, false},
			{"OKDeadlockRetried", &faultConnector{match: "INSERT INTO logstats_raw_", after: 2, err: deadlock}, false, false},
			{"ErrLoadData", &faultConnector{match: "LOAD DATA LOCAL INFILE", after: 3, err: errInjected}, true, true},
			{"LoadDataClosedConnection", &faultConnector{match: "LOAD DATA LOCAL INFILE", after: 2, err: driver.ErrBadConn}, true, true},
			{"OKLoadDataDeadlockRetried", &faultConnector{match: "LOAD DATA LOCAL INFILE", after: 2, err: deadlock}, false, true},
			// A server with local_infile off: the load goes on with INSERTs.
			{"OKLoadDataRefused", &faultConnector{match: "LOAD DATA LOCAL INFILE", after: 1,
				err: &mysql.MySQLError{Number: 1148, Message: "The used command is not allowed with this MariaDB version"}}, false, true},
		}
		testdb.ForEach(t, func(t *testing.T, db *testdb.DB) {
			forEachRawMode(t, []logstats.RawMode{logstats.RawBlocks, logstats.RawRows}, func(t *testing.T, mode logstats.RawMode) {
				want := testdb.CleanStateRaw(t, db.Dialect, mode, "a.log", text)
				for _, tc := range cases {
					if tc.bulk && (db.Dialect != logstats.DialectMySQL || mode != logstats.RawRows) {
						continue // LOAD DATA is MySQL's, for raw rows
					}
					t.Run(tc.name, func(t *testing.T) {
						db := db.Fresh(t)
						fc := &faultConnector{Connector: db.Connector, match: tc.fault.match, after: tc.fault.after, err: tc.fault.err, commit: tc.fault.commit}
						if fc.err == deadlock {
							fc.err = transientError(t, db.Dialect)
						}
						faulty := openFaulty(fc)
						defer faulty.Close()
						ing := logstats.NewIngester(faulty)
						ing.Dialect, ing.BatchLines, ing.Raw = db.Dialect, 400, mode
						if !tc.bulk {
							ing.BulkLoader = nil
						}
						_, err := ing.Load(context.Background(), "a.log", strings.NewReader(text), logstats.LoadOptions{})
						if tc.bulk && db.Backend == "spider" {
							// No LOAD DATA through a Spider head, where it becomes
							// one INSERT a row: the fault has nothing to hit.
							if fc.hasFired() || err != nil {
								t.Fatalf("through a Spider head: LOAD DATA used: %v; load error %v", fc.hasFired(), err)
							}
							testdb.CheckSame(t, testdb.Snapshot(t, db.DB), want)
							return
						}
						if !fc.hasFired() {
							t.Fatalf("the fault never fired")
						}
						if (err != nil) != tc.loadErr {
							t.Fatalf("faulty load error=%v, want error: %v", err, tc.loadErr)
						}
						if err != nil && !errors.Is(err, errInjected) && !errors.Is(err, driver.ErrBadConn) && !strings.Contains(err.Error(), "connection lost") {
							t.Fatalf("faulty load error=%v does not say what failed", err)
						}
						// Package mysql tells a lost connection from other failures.
						if lost := errors.Is(err, driver.ErrBadConn); db.Dialect == logstats.DialectMySQL && lost != (logstats.KindOf(err) == logstats.KindUnavailable) {
							t.Fatalf("faulty load error=%v is of kind %v", err, logstats.KindOf(err))
						}
						mustLoad(t, newIngester(db, 400), "a.log", text)
						testdb.CheckSame(t, testdb.Snapshot(t, db.DB), want)
					})
				}
			})
		})
	})
}

// TestIngester_Driver shows what the Driver field is for: a *sql.DB whose
// driver is not a logstats.Driver (opened with sql.Open, or wrapped for
// tracing) gets no retries until the field is set.
func TestIngester_Driver(t *testing.T) {
	text := genLog(t, 1500, 5, 0)
	testdb.ForEach(t, func(t *testing.T, db *testdb.DB) {
		want := cleanState(t, db.Dialect, "a.log", text)
		drv, ok := db.Connector.Driver().(logstats.Driver)
		if !ok {
			t.Fatalf("the test database's driver %T is not a logstats.Driver", db.Connector.Driver())
		}
		for _, set := range []bool{false, true} {
			t.Run(fmt.Sprintf("set=%v", set), func(t *testing.T) {
				db := db.Fresh(t)
				fc := &faultConnector{Connector: db.Connector, match: "INSERT INTO logstats_raw_", after: 1, err: transientError(t, db.Dialect)}
				wrapped := sql.OpenDB(hiddenDriver{fc})
				defer wrapped.Close()
				wrapped.SetMaxIdleConns(0)
				ing := logstats.NewIngester(wrapped)
				if ing.Driver != nil {
					t.Fatalf("NewIngester found Driver %T behind a wrapper", ing.Driver)
				}
				ing.Dialect, ing.BatchLines, ing.BulkLoader = db.Dialect, 400, nil
				if set {
					ing.Driver = drv
				}
				_, err := ing.Load(context.Background(), "a.log", strings.NewReader(text), logstats.LoadOptions{})
				if !fc.hasFired() {
					t.Fatalf("the fault never fired")
				}
				if set != (err == nil) {
					t.Fatalf("load with Driver set=%v: error=%v", set, err)
				}
				if !set {
					mustLoad(t, newIngester(db, 400), "a.log", text)
				}
				testdb.CheckSame(t, testdb.Snapshot(t, db.DB), want)
			})
		}
	})
}

// hiddenDriver wraps a connector so that its driver is a plain
// driver.Driver, as a tracing wrapper's would be.
type hiddenDriver struct{ driver.Connector }

func (h hiddenDriver) Driver() driver.Driver { return plainDriver{h.Connector.Driver()} }

type plainDriver struct{ d driver.Driver }

func (p plainDriver) Open(name string) (driver.Conn, error) { return p.d.Open(name) }

// TestIngester_CancelThenRerun cancels loads after each of several batches.
func TestIngester_CancelThenRerun(t *testing.T) {
	forEachFormat(t, func(t *testing.T, format string) {
		text := genLogFormat(t, format, 3000, 7, 0.01)
		testdb.ForEach(t, func(t *testing.T, db *testdb.DB) {
			want := cleanState(t, db.Dialect, "a.log", text)
			db = db.Fresh(t)
			for stopAfter := 1; stopAfter <= 5; stopAfter += 2 {
				ctx, cancel := context.WithCancel(context.Background())
				ing := newIngester(db, 250)
				batches := 0
				progress := func(logstats.LoadProgress) {
					if batches++; batches == stopAfter {
						cancel()
					}
				}
				_, err := ing.Load(ctx, "a.log", strings.NewReader(text), logstats.LoadOptions{Progress: progress})
				cancel()
				if !errors.Is(err, context.Canceled) {
					t.Fatalf("cancelled load error=%v, want context.Canceled", err)
				}
			}
			mustLoad(t, newIngester(db, 250), "a.log", text)
			testdb.CheckSame(t, testdb.Snapshot(t, db.DB), want)
		})
	})
}

// TestIngester_ConcurrentLoads runs two loads of one log at once through
// different Ingesters (as two processes would): the ledger's compare-and-set
// lets exactly one commit each batch, and the other is told so.
func TestIngester_ConcurrentLoads(t *testing.T) {
	forEachFormat(t, func(t *testing.T, format string) {
		text := genLogFormat(t, format, 4000, 8, 0.01)
		entries := parseEntries(t, text)
		testdb.ForEach(t, func(t *testing.T, db *testdb.DB) {
			want := cleanState(t, db.Dialect, "a.log", text)
			refused := 0
			for round := range 3 {
				db := db.Fresh(t)
				var wg sync.WaitGroup
				results := make([]*logstats.LoadResult, 2)
				errs := make([]error, 2)
				start := make(chan struct{})
				for i := range 2 {
					wg.Add(1)
					go func() {
						defer wg.Done()
						<-start
						results[i], errs[i] = newIngester(db, 200).Load(context.Background(), "a.log", strings.NewReader(text), logstats.LoadOptions{})
					}()
				}
				close(start)
				wg.Wait()
				inserted := results[0].Inserted + results[1].Inserted
				if inserted != int64(len(entries)) {
					t.Fatalf("round %d: inserted %d+%d, want %d in all (errors: %v; %v)", round, results[0].Inserted, results[1].Inserted, len(entries), errs[0], errs[1])
				}
				for i, err := range errs {
					if err != nil && !errors.Is(err, logstats.ErrLoadInProgress) {
						t.Fatalf("round %d: load %d error=%v, want nil or ErrLoadInProgress", round, i, err)
					}
				}
				if errs[0] != nil && errs[1] != nil {
					t.Fatalf("round %d: both loads failed: %v; %v", round, errs[0], errs[1])
				}
				if errs[0] != nil || errs[1] != nil {
					refused++
				}
				testdb.CheckSame(t, testdb.Snapshot(t, db.DB), want)
			}
			// Starting together, the loads must have raced for the ledger.
			if refused == 0 {
				t.Fatalf("in 3 rounds no load was refused: the compare-and-set was never exercised")
			}
			t.Logf("3 rounds of two loads at once: %d with one refused, every line counted once", refused)
		})
	})
}

// TestIngester_LoadInProgress checks that one Ingester refuses a second load
// of a source while the first is running.
func TestIngester_LoadInProgress(t *testing.T) {
	text := genLog(t, 1000, 9, 0)
	cut := lineOffset(text, 100)
	testdb.ForEach(t, func(t *testing.T, db *testdb.DB) {
		ing := newIngester(db, 10)
		committed := make(chan struct{}, 100)
		progress := func(logstats.LoadProgress) {
			select {
			case committed <- struct{}{}:
			default:
			}
		}
		pr, pw := io.Pipe()
		done := make(chan error, 1)
		go func() {
			_, err := ing.Load(context.Background(), "a.log", pr, logstats.LoadOptions{Progress: progress})
			done <- err
		}()
		io.WriteString(pw, text[:cut])
		<-committed // the first load holds the source now
		_, err := ing.Load(context.Background(), "a.log", strings.NewReader(text), logstats.LoadOptions{})
		if !errors.Is(err, logstats.ErrLoadInProgress) {
			t.Fatalf("second load error=%v, want ErrLoadInProgress", err)
		}
		io.WriteString(pw, text[cut:])
		pw.Close()
		if err := <-done; err != nil {
			t.Fatalf("first load: %v", err)
		}
		testdb.CheckSame(t, testdb.Snapshot(t, db.DB), cleanState(t, db.Dialect, "a.log", text))
	})
}

func TestIngester_Strict(t *testing.T) {
	good := genLog(t, 2000, 10, 0)
	bad := good[:lineOffset(good, 1499)] + "2024-10-01 12:00:00 cust_1 /a abc 0.1\n" + good[lineOffset(good, 1500):]
	testdb.ForEach(t, func(t *testing.T, db *testdb.DB) {
		ing := newIngester(db, 500)
		res, err := ing.Load(context.Background(), "a.log", strings.NewReader(bad), logstats.LoadOptions{Strict: true})
		var perr *logstats.ParseError
		if !errors.As(err, &perr) || perr.Line != 1500 || !errors.Is(err, logstats.ErrInvalidStatus) {
			t.Fatalf("strict load error=%v, want line 1500: invalid status", err)
		}
		if res.Inserted != 1000 {
			t.Fatalf("strict load inserted %d, want the 1000 lines of the batches before line 1500", res.Inserted)
		}
		// Fixing the line and loading again finishes the load.
		res = mustLoad(t, ing, "a.log", good)
		if res.SkippedAlreadyLoaded != 1000 || res.Inserted != 1000 {
			t.Fatalf("rerun=%+v, want 1000 skipped, 1000 inserted", res)
		}
		testdb.CheckSame(t, testdb.Snapshot(t, db.DB), cleanState(t, db.Dialect, "a.log", good))
	})
}

// TestIngester_Gzip checks that a gzip file loads as its content: the same
// rows, and the same source, so loading the plain file afterwards adds nothing.
func TestIngester_Gzip(t *testing.T) {
	text := genLog(t, 2000, 11, 0.01)
	var zbuf bytes.Buffer
	zw := gzip.NewWriter(&zbuf)
	io.WriteString(zw, text)
	zw.Close()
	testdb.ForEach(t, func(t *testing.T, db *testdb.DB) {
		ing := newIngester(db, 300)
		res, err := ing.Load(context.Background(), "a.log.gz", bytes.NewReader(zbuf.Bytes()), logstats.LoadOptions{})
		if err != nil || res.Inserted != int64(len(parseEntries(t, text))) {
			t.Fatalf("gzip load=%+v, %v", res, err)
		}
		if res := mustLoad(t, ing, "a.log", text); res.Inserted != 0 {
			t.Fatalf("plain load after gzip load inserted %d, want 0", res.Inserted)
		}
		testdb.CheckSame(t, testdb.Snapshot(t, db.DB), cleanState(t, db.Dialect, "a.log", text))
	})
}

func TestIngester_Location(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, db *testdb.DB) {
		ing := newIngester(db, 10)
		ing.Location = time.FixedZone("UTC-5", -5*60*60)
		mustLoad(t, ing, "a.log", "2024-10-01 22:00:00 c /a 200 0.1\n")
		st, err := logstats.NewStatsService(db.DB).FindStats(context.Background(), "c", logstats.StatsFilter{})
		if err != nil {
			t.Fatal(err)
		}
		if len(st.Daily) != 1 || st.Daily[0].Date != date("2024-10-02") {
			t.Fatalf("days=%v, want the UTC day 2024-10-02", st.Daily)
		}
	})
}

// lineOffset returns the byte offset of the start of line n+1 (after n lines).
func lineOffset(text string, n int) int {
	off := 0
	for range n {
		off += strings.IndexByte(text[off:], '\n') + 1
	}
	return off
}

// TestIngester_LastLineWithoutNewline covers a log whose last line had no
// newline when it was loaded, and then got one and more lines, also when that
// line is the first (the one that identifies the source) or follows a header.
func TestIngester_LastLineWithoutNewline(t *testing.T) {
	const (
		l1 = "2024-10-01 10:00:00 c /a 200 0.1"
		l2 = "2024-10-01 10:00:01 c /a 500 0.2"
	)
	for _, tc := range []struct{ name, first, full string }{
		{"OKFirstLine", l1, l1 + "\n" + l2 + "\n"},
		{"OKAfterHeader", "# header\n" + l1, "# header\n" + l1 + "\n" + l2 + "\n"},
		{"OKCRLF", l1 + "\r", l1 + "\r\n" + l2 + "\r\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			testdb.ForEach(t, func(t *testing.T, db *testdb.DB) {
				ing := newIngester(db, 10)
				if res := mustLoad(t, ing, "a.log", tc.first); res.Inserted != 1 {
					t.Fatalf("first load inserted %d, want 1", res.Inserted)
				}
				if res := mustLoad(t, ing, "a.log", tc.full); res.Inserted != 1 {
					t.Fatalf("second load inserted %d, want 1 (the new line)", res.Inserted)
				}
				testdb.CheckSame(t, testdb.Snapshot(t, db.DB), cleanState(t, db.Dialect, "a.log", tc.full))
			})
		})
	}
}

// TestIngester_Growing loads a file while its last line is being written:
// the partial line is left for the next load, which loads it once complete.
func TestIngester_Growing(t *testing.T) {
	const (
		l1 = "2024-10-01 10:00:00 c /a 200 0.1\n"
		l2 = "2024-10-01 10:00:01 c /a 500 1.234\n"
		l3 = "2024-10-01 10:00:02 c /a 200 0.3\n"
	)
	steps := []struct {
		text              string
		inserted, pending int64
	}{
		{l2[:20], 0, 20},                 // only a partial first line: nothing to identify the source by yet
		{l1 + l2[:len(l2)-4], 1, 31},     // "... 500 1." is not 1.234 yet
		{l1 + l2, 1, 0},                  // now it is
		{l1 + l2 + l3[:5], 0, 5},         // the next line starts
		{l1 + l2 + l3, 1, 0},             // and ends
		{l1 + l2 + l3 + "\n\n", 0, 0},    // blank lines
		{l1 + l2 + l3 + "\n\nbad", 0, 3}, // a partial line that will be malformed
	}
	testdb.ForEach(t, func(t *testing.T, db *testdb.DB) {
		ing := newIngester(db, 10)
		for i, st := range steps {
			res, err := ing.Load(context.Background(), "live.log", strings.NewReader(st.text), logstats.LoadOptions{Growing: true})
			if err != nil || res.Inserted != st.inserted || res.PendingBytes != st.pending {
				t.Fatalf("step %d: %+v, %v; want %d inserted, %d pending", i, res, err, st.inserted, st.pending)
			}
		}
		entries := parseEntries(t, l1+l2+l3)
		checkStats(t, db.DB, entries, logstats.Date{}, nil, nil)
		if st := testdb.Snapshot(t, db.DB); st.RawRows != 3 {
			t.Fatalf("%d raw rows, want 3", st.RawRows)
		}
	})
}

// TestIngester_CancelWhileReading cancels a load that is waiting for input:
// it stops at its next read instead of reading on.
func TestIngester_CancelWhileReading(t *testing.T) {
	line := "2024-10-01 10:00:00 c /a 200 0.1\n"
	testdb.ForEach(t, func(t *testing.T, db *testdb.DB) {
		ctx, cancel := context.WithCancel(context.Background())
		pr, pw := io.Pipe()
		r := &readSignaller{r: pr, reading: make(chan struct{}, 100)}
		done := make(chan error, 1)
		go func() {
			_, err := newIngester(db, 1000).Load(ctx, "a.log", r, logstats.LoadOptions{})
			done <- err
		}()
		io.WriteString(pw, line+line)
		<-r.reading // the first read, which got those lines
		<-r.reading // the load waits for more
		cancel()
		go io.WriteString(pw, line) // the read returns; the load must stop, not read on
		select {
		case err := <-done:
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("cancelled load error=%v, want context.Canceled", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("the cancelled load kept reading")
		}
		pw.Close()
	})
}

// readSignaller reports each call of Read before it reads.
type readSignaller struct {
	r       io.Reader
	reading chan struct{}
}

func (s *readSignaller) Read(p []byte) (int, error) {
	s.reading <- struct{}{}
	return s.r.Read(p)
}

// TestIngester_CancelMidBatch cancels loads while a batch is being written
// (from the driver, between two statements of the transaction): the error
// must say the load was cancelled, whatever the driver reports.
func TestIngester_CancelMidBatch(t *testing.T) {
	text := genLog(t, 3000, 14, 0)
	testdb.ForEach(t, func(t *testing.T, db *testdb.DB) {
		want := cleanState(t, db.Dialect, "a.log", text)
		for _, stmt := range []string{"UPDATE logstats_sources", "INSERT INTO logstats_raw_", "INSERT INTO logstats_rollups"} {
			db := db.Fresh(t)
			ctx, cancel := context.WithCancel(context.Background())
			fc := &faultConnector{Connector: db.Connector, match: stmt}
			// Cancel once the statement has run, and give database/sql's
			// watcher time to roll the transaction back under the load, as a
			// shutdown does: the next statement then fails with "statement is
			// closed" or "transaction has already been committed or rolled
			// back", which says nothing of the cancellation.
			fc.afterMatch = func() { cancel(); time.Sleep(20 * time.Millisecond) }
			faulty := openFaulty(fc)
			ing := logstats.NewIngester(faulty)
			ing.Dialect, ing.BatchLines = db.Dialect, 1500 // two INSERT statements a batch
			ing.BulkLoader = nil                           // raw rows by INSERT on MySQL too
			_, err := ing.Load(ctx, "a.log", strings.NewReader(text), logstats.LoadOptions{})
			faulty.Close()
			cancel()
			if !fc.hasFired() || !errors.Is(err, context.Canceled) {
				t.Fatalf("cancelled at %s (fired: %v): error %v, want context.Canceled", stmt, fc.hasFired(), err)
			}
			mustLoad(t, newIngester(db, 500), "a.log", text)
			testdb.CheckSame(t, testdb.Snapshot(t, db.DB), want)
		}
	})
}

// TestIngester_Growing_LongPartialLine leaves an overlong last line that
// is still being written for later, like a short one: once it ends, it is
// malformed (too long), and the log goes on loading.
func TestIngester_Growing_LongPartialLine(t *testing.T) {
	const l1, l2 = "2024-10-01 10:00:00 c /a 200 0.1\n", "2024-10-01 10:00:01 c /a 200 0.2\n"
	long := strings.Repeat("x", logstats.MaxLineBytes+5000)
	testdb.ForEach(t, func(t *testing.T, db *testdb.DB) {
		ing := newIngester(db, 10)
		res, err := ing.Load(context.Background(), "live.log", strings.NewReader(l1+long), logstats.LoadOptions{Growing: true})
		if err != nil || res.Inserted != 1 || res.Malformed != 0 || res.PendingBytes != int64(len(long)) {
			t.Fatalf("partial long line: %+v, %v; want 1 inserted, %d pending", res, err, len(long))
		}
		res, err = ing.Load(context.Background(), "live.log", strings.NewReader(l1+long+"yyyy\n"+l2), logstats.LoadOptions{Growing: true})
		if err != nil || res.Inserted != 1 || res.Malformed != 1 || res.PendingBytes != 0 {
			t.Fatalf("once the line ends: %+v, %v; want it malformed and the next line inserted", res, err)
		}
		if res.Errors[0].Line != 2 || !errors.Is(res.Errors[0], logstats.ErrLineTooLong) {
			t.Fatalf("error %v, want line 2 too long", res.Errors[0])
		}
	})
}

// TestIngester_RawRowsKeepBytes checks that paths holding LOAD DATA's escape
// and NULL markers are stored as they were written, by both writers of raw
// rows and in blocks, and exported so.
func TestIngester_RawRowsKeepBytes(t *testing.T) {
	paths := []string{`\N`, `\`, `/a\b\\c`, `/x\0y`, `/tab\tnot`, "/nul\x00byte", "/ü"}
	var text strings.Builder
	for i, p := range paths {
		fmt.Fprintf(&text, "2024-10-01 00:00:%02d cust_%d %s 200 0.1\n", i, i, p)
	}
	testdb.ForEach(t, func(t *testing.T, db *testdb.DB) {
		forEachRawMode(t, []logstats.RawMode{logstats.RawRows, logstats.RawBlocks}, func(t *testing.T, mode logstats.RawMode) {
			db := db.Fresh(t)
			ing := newIngester(db, 3)
			ing.Raw = mode
			res := mustLoad(t, ing, "a.log", text.String())
			if res.Inserted != int64(len(paths)) {
				t.Fatalf("inserted %d, want %d (errors %v)", res.Inserted, len(paths), res.Errors)
			}
			var got []string
			for _, r := range exportAll(t, db.DB) {
				got = append(got, r.Path)
			}
			if !slices.Equal(got, paths) {
				t.Fatalf("stored paths %q, want %q", got, paths)
			}
		})
	})
}

// TestIngester_Unattributed: a new log whose well-formed lines all lack a
// customer is refused like a log in the wrong format and records nothing,
// so that the same log then loads with a default customer (SPEC §13, issue
// 23); a log whose first batches lack customers and whose later lines have
// them loads whole, once.
func TestIngester_Unattributed(t *testing.T) {
	anon := `203.0.113.7 - - [10/Oct/2024:13:55:36 +0000] "GET /a HTTP/1.1" 200 9 "-" "curl/8.5.0"
203.0.113.7 - - [10/Oct/2024:13:55:37 +0000] "GET /b HTTP/1.1" 503 9 "-" "curl/8.5.0"
203.0.113.7 - - [10/Oct/2024:13:55:38 +0000] "GET /c HTTP/1.1" 404 9 "-" "curl/8.5.0"
`
	named := `203.0.113.7 - acme [10/Oct/2024:13:56:00 +0000] "GET /d HTTP/1.1" 200 9 "-" "curl/8.5.0"
`
	testdb.ForEach(t, func(t *testing.T, db *testdb.DB) {
		ctx := context.Background()
		db = db.Fresh(t)
		res, err := newIngester(db, 2).Load(ctx, "anon.log", strings.NewReader(anon), logstats.LoadOptions{})
		var ue *logstats.UnattributedError
		if !errors.As(err, &ue) || !errors.Is(err, logstats.ErrWrongFormat) || logstats.KindOf(err) != logstats.KindWrongFormat ||
			ue.Lines != 3 || ue.Customer != "remote_user" || ue.Format.String() != "combined" || res.Unattributed != 3 || res.Inserted != 0 {
			t.Fatalf("a log without customers: %+v, %v", res, err)
		}
		if st := testdb.Snapshot(t, db.DB); st.RawRows != 0 || st.Ledger != "" {
			t.Fatalf("the refused log left %d raw rows and the ledger %q", st.RawRows, st.Ledger)
		}
		ing := newIngester(db, 2)
		ing.CustomerDefault = "my_service"
		if res := mustLoad(t, ing, "anon.log", anon); res.Inserted != 3 {
			t.Fatalf("with a default customer: %+v, want 3 inserted", res)
		}
		// Unattributed lines first, a customer later: the batches before
		// the first request commit with it.
		mixed := strings.ReplaceAll(anon, "/a HTTP", "/mixed HTTP") + named
		if res := mustLoad(t, newIngester(db, 2), "mixed.log", mixed); res.Inserted != 1 || res.Unattributed != 3 {
			t.Fatalf("a log with a customer on its 4th line: %+v, want its one request loaded", res)
		}
		if res := mustLoad(t, newIngester(db, 2), "mixed.log", mixed); res.Inserted != 0 || res.SkippedAlreadyLoaded != 4 {
			t.Fatalf("the same log again: %+v, want its 4 lines skipped", res)
		}
	})
}
