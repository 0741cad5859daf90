package logstats_test

import (
	"context"
	"crypto/sha256"
	"database/sql/driver"
	"encoding/binary"
	"errors"
	"regexp"
	"strings"
	"testing"

	"github.com/DATA-DOG/go-sqlmock"

	"github.com/logstats/logstats"
)

// These tests pin the SQL the library sends and how it handles transactions:
// each batch is one transaction that starts with the ledger's
// compare-and-set, and every failure rolls back without committing.

const mockLog = "2024-10-01 10:00:00 c /a 200 0.1\n2024-10-01 11:00:00 c /a 500 0.2\n2024-10-02 09:00:00 c /b 200 0.3\n"

var (
	sqlIdentify       = `SELECT source_id, fingerprint, committed_offset, committed_sha256 FROM logstats_sources\s+WHERE source_id IN \(\?\)`
	sqlReadSource     = `SELECT s\.fingerprint, s\.committed_offset, s\.committed_lines, s\.committed_sha256, f\.format, f\.customer, f\.customer_default, f\.dimensions\s+FROM logstats_sources s LEFT JOIN logstats_source_formats f ON f\.source_id = s\.source_id\s+WHERE s\.source_id = \?`
	sqlDayZone        = regexp.QuoteMeta("SELECT value FROM logstats_settings WHERE name = 'day_zone'")
	sqlRawMode        = regexp.QuoteMeta("SELECT value FROM logstats_settings WHERE name = 'raw_mode'")
	sqlInsertFormat   = regexp.QuoteMeta("INSERT INTO logstats_source_formats (source_id, format, customer, customer_default, dimensions) VALUES (?, ?, ?, ?, ?)")
	sqlInsertSource   = `INSERT INTO logstats_sources\s+\(source_id, fingerprint, name, committed_offset, committed_lines, committed_sha256, committed_requests, created_us, updated_us\)\s+VALUES \(\?, \?, \?, \?, \?, \?, \?, \?, \?\)`
	sqlCountSource    = regexp.QuoteMeta("SELECT COUNT(*) FROM logstats_sources WHERE source_id = ?")
	sqlUpdateSource   = `UPDATE logstats_sources\s+SET committed_offset = \?, committed_lines = \?, committed_sha256 = \?, name = \?, updated_us = \?,\s+committed_requests = CASE WHEN committed_requests < 0 THEN committed_requests ELSE committed_requests \+ \? END\s+WHERE source_id = \? AND committed_offset = \?`
	sqlInsertRequests = regexp.QuoteMeta("INSERT INTO logstats_raw_requests (customer_id, source_id, src_offset, ts_us, method, path, status, latency_us) VALUES (?, ?, ?, ?, ?, ?, ?, ?), (?, ?, ?, ?, ?, ?, ?, ?)")
	sqlInsertRollups  = regexp.QuoteMeta("INSERT INTO logstats_rollups (customer_id, day, source_id, seq, total, c1xx, c2xx, c3xx, c4xx, c5xx, latency_sum_us, latency_min_us, latency_max_us, latency_dist) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
	sqlCopyCheck      = `SELECT DISTINCT source_id, ts_us, path, status, latency_us FROM logstats_raw_requests\s+WHERE customer_id = \? AND source_id <> \? AND \(\(ts_us = \? AND path = \? AND status = \? AND latency_us = \?\) OR \(ts_us = \? AND path = \? AND status = \? AND latency_us = \?\)\)`
	sqlCompactCheck   = `SELECT customer_id, COUNT\(\*\) FROM logstats_rollups\s+WHERE day = \? AND customer_id IN \(\?\)\s+GROUP BY customer_id HAVING COUNT\(\*\) > 1`
	sqlCompactSelect  = `SELECT day, source_id, seq, total, c1xx, c2xx, c3xx, c4xx, c5xx, latency_sum_us, latency_min_us, latency_max_us, latency_dist FROM logstats_rollups\s+WHERE customer_id = \? AND day IN \(\?, \?\)\s+ORDER BY day, source_id, seq`
)

var (
	mockFingerprint = sha256.Sum256([]byte("2024-10-01 10:00:00 c /a 200 0.1"))
	mockSourceID    = int64(binary.BigEndian.Uint64(mockFingerprint[:8]) >> 1)
	line1End        = len("2024-10-01 10:00:00 c /a 200 0.1\n")
	line2End        = len("2024-10-01 10:00:00 c /a 200 0.1\n2024-10-01 11:00:00 c /a 500 0.2\n")
)

func newMockIngester(t *testing.T) (*logstats.Ingester, sqlmock.Sqlmock) {
	t.Helper()
	db, mock, err := sqlmock.New()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	ing := logstats.NewIngester(db)
	ing.Dialect = logstats.DialectSQLite
	ing.BatchLines = 2
	ing.Raw = logstats.RawRows // the SQL of blocks is TestIngester_SQL_Blocks's
	return ing, mock
}

// expectNewSource expects the ledger to be read (no row: the source is new)
// and the source's first requests to be looked up in other sources (and not
// found).
func expectNewSource(mock sqlmock.Sqlmock) {
	expectSettings(mock)
	mock.ExpectQuery(sqlIdentify).WithArgs(sqlmock.AnyArg()).
		WillReturnRows(sqlmock.NewRows([]string{"source_id", "fingerprint", "committed_offset", "committed_sha256"}))
	mock.ExpectQuery(sqlReadSource).WithArgs(sqlmock.AnyArg()).
		WillReturnRows(sqlmock.NewRows([]string{"fingerprint", "committed_offset", "committed_lines", "committed_sha256", "format", "customer", "customer_default", "dimensions"}))
	// Both requests of the first batch are sampled, in one query.
	mock.ExpectQuery(sqlCopyCheck).WithArgs("c", sqlmock.AnyArg(),
		int64(1727776800000000), "/a", 200, int64(100000),
		int64(1727780400000000), "/a", 500, int64(200000)).
		WillReturnRows(sqlmock.NewRows([]string{"source_id", "ts_us", "path", "status", "latency_us"}))
}

// expectLoadedSource expects the ledger to say that the first line of
// mockLog was loaded before.
func expectLoadedSource(mock sqlmock.Sqlmock) {
	expectSettings(mock)
	mock.ExpectQuery(sqlIdentify).WithArgs(sqlmock.AnyArg()).
		WillReturnRows(sqlmock.NewRows([]string{"source_id", "fingerprint", "committed_offset", "committed_sha256"}).
			AddRow(mockSourceID, mockFingerprint[:], line1End, prefixSum(line1End)))
	mock.ExpectQuery(sqlReadSource).WithArgs(sqlmock.AnyArg()).
		WillReturnRows(sqlmock.NewRows([]string{"fingerprint", "committed_offset", "committed_lines", "committed_sha256", "format", "customer", "customer_default", "dimensions"}).
			AddRow(mockFingerprint[:], line1End, 1, prefixSum(line1End), "logstats", "", "", ""))
}

// expectSettings expects the database's raw mode (rows) and day zone
// (none: UTC) to be read.
func expectSettings(mock sqlmock.Sqlmock) {
	mock.ExpectQuery(sqlRawMode).WillReturnRows(sqlmock.NewRows([]string{"value"}).AddRow("rows"))
	mock.ExpectQuery(sqlDayZone).WillReturnRows(sqlmock.NewRows([]string{"value"}))
}

func rollupRows() *sqlmock.Rows {
	return sqlmock.NewRows([]string{"day", "source_id", "seq", "total", "c1xx", "c2xx", "c3xx", "c4xx", "c5xx", "latency_sum_us", "latency_min_us", "latency_max_us", "latency_dist"})
}

// mockDist encodes distinct latencies (ascending), each seen once, as the
// ingester stores them.
func mockDist(values ...int64) []byte {
	b := []byte{1}
	b = binary.AppendUvarint(b, uint64(len(values)))
	prev := int64(0)
	for _, v := range values {
		b = binary.AppendUvarint(b, uint64(v-prev))
		b = binary.AppendUvarint(b, 1)
		prev = v
	}
	return b
}

func prefixSum(n int) []byte {
	s := sha256.Sum256([]byte(mockLog[:n]))
	return s[:]
}

func TestIngester_SQL(t *testing.T) {
	ing, mock := newMockIngester(t)
	expectNewSource(mock)

	// Batch 1: two lines of one day. The new source's ledger row is created
	// in the batch's transaction.
	mock.ExpectBegin()
	mock.ExpectExec(sqlInsertSource).
		WithArgs(sqlmock.AnyArg(), mockFingerprint[:], "a.log", line2End, 2, prefixSum(line2End), 2, sqlmock.AnyArg(), sqlmock.AnyArg()).
		WillReturnResult(sqlmock.NewResult(0, 1))
	mock.ExpectExec(sqlInsertFormat).WithArgs(sqlmock.AnyArg(), "logstats", "", "", "").WillReturnResult(sqlmock.NewResult(0, 1))
	mock.ExpectPrepare(sqlInsertRequests).ExpectExec().
		WithArgs("c", sqlmock.AnyArg(), 0, sqlmock.AnyArg(), "", "/a", 200, 100000,
			"c", sqlmock.AnyArg(), line1End, sqlmock.AnyArg(), "", "/a", 500, 200000).
		WillReturnResult(sqlmock.NewResult(0, 2))
	mock.ExpectPrepare(sqlInsertRollups).ExpectExec().
		WithArgs("c", "2024-10-01", sqlmock.AnyArg(), line2End, 2, 0, 1, 0, 0, 1, 300000, 100000, 200000, mockDist(100000, 200000)).
		WillReturnResult(sqlmock.NewResult(0, 1))
	mock.ExpectCommit()

	// Batch 2: the last line, on the next day; the ledger update compares
	// with batch 1's offset.
	mock.ExpectBegin()
	mock.ExpectExec(sqlUpdateSource).
		WithArgs(len(mockLog), 3, prefixSum(len(mockLog)), "a.log", sqlmock.AnyArg(), 1, sqlmock.AnyArg(), line2End).
		WillReturnResult(sqlmock.NewResult(0, 1))
	mock.ExpectPrepare(regexp.QuoteMeta("INSERT INTO logstats_raw_requests (customer_id, source_id, src_offset, ts_us, method, path, status, latency_us) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")).ExpectExec().
		WithArgs("c", sqlmock.AnyArg(), line2End, sqlmock.AnyArg(), "", "/b", 200, 300000).
		WillReturnResult(sqlmock.NewResult(0, 1))
	mock.ExpectPrepare(sqlInsertRollups).ExpectExec().WillReturnResult(sqlmock.NewResult(0, 1))
	mock.ExpectCommit()

	// Compaction: each day was written by one batch of this load, so it is
	// compacted only if it has other rows (of another source, say), which
	// one query per day asks. Here both have, so one transaction compacts
	// the customer's two days; each turns out to have one row by then, so
	// there is nothing to merge and the read-only transaction is rolled back.
	mock.ExpectQuery(sqlCompactCheck).WithArgs("2024-10-01", "c").
		WillReturnRows(sqlmock.NewRows([]string{"customer_id", "n"}).AddRow("c", 2))
	mock.ExpectQuery(sqlCompactCheck).WithArgs("2024-10-02", "c").
		WillReturnRows(sqlmock.NewRows([]string{"customer_id", "n"}).AddRow("c", 2))
	mock.ExpectBegin()
	mock.ExpectQuery(sqlCompactSelect).WithArgs("c", "2024-10-01", "2024-10-02").WillReturnRows(rollupRows().
		AddRow("2024-10-01", 1, line2End, 2, 0, 1, 0, 0, 1, 300000, 100000, 200000, mockDist(100000, 200000)).
		AddRow("2024-10-02", 1, len(mockLog), 1, 0, 1, 0, 0, 0, 300000, 300000, 300000, mockDist(300000)))
	mock.ExpectRollback()

	res, err := ing.Load(context.Background(), "a.log", strings.NewReader(mockLog), logstats.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Inserted != 3 || res.Lines != 3 {
		t.Fatalf("result=%+v, want 3 lines inserted", res)
	}
	if err := mock.ExpectationsWereMet(); err != nil {
		t.Fatal(err)
	}
}

// TestIngester_SQL_RollbackOnError fails each step of a batch in turn: the
// transaction must be rolled back, never committed, and the load must fail
// with the step's error.
func TestIngester_SQL_RollbackOnError(t *testing.T) {
	boom := errors.New("boom")
	insertRest := func(m sqlmock.Sqlmock) { // the raw rows and rollups of one batch
		m.ExpectPrepare(sqlInsertRequests).ExpectExec().WillReturnResult(sqlmock.NewResult(0, 2))
		m.ExpectPrepare(sqlInsertRollups).ExpectExec().WillReturnResult(sqlmock.NewResult(0, 1))
	}
	steps := []struct {
		name    string
		source  func(sqlmock.Sqlmock)
		expect  func(sqlmock.Sqlmock) // expectations up to and including the failure
		wantErr error
		noTx    bool // the failure happens before a transaction exists
	}{
		{"ErrBegin", expectNewSource, func(m sqlmock.Sqlmock) { m.ExpectBegin().WillReturnError(boom) }, boom, true},
		{"ErrInsertSource", expectNewSource, func(m sqlmock.Sqlmock) {
			m.ExpectBegin()
			m.ExpectExec(sqlInsertSource).WillReturnError(boom)
			m.ExpectQuery(sqlCountSource).WillReturnRows(sqlmock.NewRows([]string{"n"}).AddRow(0))
		}, boom, false},
		{"ErrSourceCreatedMeanwhile", expectNewSource, func(m sqlmock.Sqlmock) {
			m.ExpectBegin()
			m.ExpectExec(sqlInsertSource).WillReturnError(boom) // a duplicate key
			m.ExpectQuery(sqlCountSource).WillReturnRows(sqlmock.NewRows([]string{"n"}).AddRow(1))
		}, logstats.ErrLoadInProgress, false},
		{"ErrUpdateSource", expectLoadedSource, func(m sqlmock.Sqlmock) {
			m.ExpectBegin()
			m.ExpectExec(sqlUpdateSource).WillReturnError(boom)
		}, boom, false},
		{"ErrSourceMoved", expectLoadedSource, func(m sqlmock.Sqlmock) {
			m.ExpectBegin()
			m.ExpectExec(sqlUpdateSource).WithArgs(len(mockLog), 3, prefixSum(len(mockLog)), "a.log", sqlmock.AnyArg(), sqlmock.AnyArg(), sqlmock.AnyArg(), line1End).
				WillReturnResult(sqlmock.NewResult(0, 0))
		}, logstats.ErrLoadInProgress, false},
		{"ErrRowsAffected", expectLoadedSource, func(m sqlmock.Sqlmock) {
			m.ExpectBegin()
			m.ExpectExec(sqlUpdateSource).WillReturnResult(sqlmock.NewErrorResult(boom))
		}, boom, false},
		{"ErrInsertFormat", expectNewSource, func(m sqlmock.Sqlmock) {
			m.ExpectBegin()
			m.ExpectExec(sqlInsertSource).WillReturnResult(sqlmock.NewResult(0, 1))
			m.ExpectExec(sqlInsertFormat).WillReturnError(boom)
		}, boom, false},
		{"ErrPrepareRequests", expectNewSource, func(m sqlmock.Sqlmock) {
			m.ExpectBegin()
			m.ExpectExec(sqlInsertSource).WillReturnResult(sqlmock.NewResult(0, 1))
			m.ExpectExec(sqlInsertFormat).WillReturnResult(sqlmock.NewResult(0, 1))
			m.ExpectPrepare(sqlInsertRequests).WillReturnError(boom)
		}, boom, false},
		{"ErrInsertRequests", expectNewSource, func(m sqlmock.Sqlmock) {
			m.ExpectBegin()
			m.ExpectExec(sqlInsertSource).WillReturnResult(sqlmock.NewResult(0, 1))
			m.ExpectExec(sqlInsertFormat).WillReturnResult(sqlmock.NewResult(0, 1))
			m.ExpectPrepare(sqlInsertRequests).ExpectExec().WillReturnError(boom)
		}, boom, false},
		{"ErrInsertRollups", expectNewSource, func(m sqlmock.Sqlmock) {
			m.ExpectBegin()
			m.ExpectExec(sqlInsertSource).WillReturnResult(sqlmock.NewResult(0, 1))
			m.ExpectExec(sqlInsertFormat).WillReturnResult(sqlmock.NewResult(0, 1))
			m.ExpectPrepare(sqlInsertRequests).ExpectExec().WillReturnResult(sqlmock.NewResult(0, 2))
			m.ExpectPrepare(sqlInsertRollups).ExpectExec().WillReturnError(boom)
		}, boom, false},
		{"ErrCommit", expectNewSource, func(m sqlmock.Sqlmock) {
			m.ExpectBegin()
			m.ExpectExec(sqlInsertSource).WillReturnResult(sqlmock.NewResult(0, 1))
			m.ExpectExec(sqlInsertFormat).WillReturnResult(sqlmock.NewResult(0, 1))
			insertRest(m)
			m.ExpectCommit().WillReturnError(driver.ErrBadConn)
		}, driver.ErrBadConn, true},
	}
	for _, tt := range steps {
		t.Run(tt.name, func(t *testing.T) {
			ing, mock := newMockIngester(t)
			tt.source(mock)
			tt.expect(mock)
			if !tt.noTx {
				mock.ExpectRollback()
			}
			res, err := ing.Load(context.Background(), "a.log", strings.NewReader(mockLog), logstats.LoadOptions{})
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Load error=%v, want %v", err, tt.wantErr)
			}
			if res.Inserted != 0 {
				t.Fatalf("Inserted=%d after a failed first batch, want 0", res.Inserted)
			}
			// Any Commit, or any statement after the failure, would be an
			// unexpected call and fail here.
			if err := mock.ExpectationsWereMet(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestStatsService_SQL(t *testing.T) {
	db, mock, err := sqlmock.New()
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	cols := []string{"day", "total", "c1xx", "c2xx", "c3xx", "c4xx", "c5xx", "latency_sum_us", "latency_min_us", "latency_max_us", "latency_dist"}
	query := regexp.QuoteMeta("SELECT day, total, c1xx, c2xx, c3xx, c4xx, c5xx, latency_sum_us, latency_min_us, latency_max_us, latency_dist FROM logstats_rollups WHERE customer_id = ? AND day >= ? AND day <= ? ORDER BY day, source_id, seq")
	objectives := regexp.QuoteMeta("SELECT objectives FROM logstats_objectives WHERE customer_id = ?")
	svc := logstats.NewStatsService(db)
	filter := logstats.StatsFilter{From: date("2024-10-01"), To: ptr(date("2024-10-31"))}

	t.Run("OK", func(t *testing.T) {
		// The first answer reads the day zone, which, recorded, is kept
		// for the answers after.
		mock.ExpectQuery(sqlDayZone).WillReturnRows(sqlmock.NewRows([]string{"value"}).AddRow("UTC"))
		// One day in two rollup rows (before compaction): latencies {30, 100}
		// and {50} microseconds.
		mock.ExpectQuery(query).WithArgs("c", "2024-10-01", "2024-10-31").WillReturnRows(sqlmock.NewRows(cols).
			AddRow("2024-10-01", 2, 0, 1, 0, 0, 1, 130, 30, 100, []byte{1, 2, 30, 1, 70, 1}).
			AddRow([]byte("2024-10-01"), 1, 0, 1, 0, 0, 0, 50, 50, 50, []byte{1, 1, 50, 1}))
		// Then the customer's own objectives, which replace the defaults.
		mock.ExpectQuery(objectives).WithArgs("c").WillReturnRows(sqlmock.NewRows([]string{"objectives"}).AddRow("uptime>=50,p50<=0.00004"))
		st, err := svc.FindStats(context.Background(), "c", filter)
		if err != nil {
			t.Fatal(err)
		}
		if st.Stats.TotalRequests != 3 || st.Stats.MedianLatency != us(50) || st.Stats.AverageLatency != us(60) || len(st.Daily) != 1 || st.Stats.Uptime != 66.67 || st.DayZone != "UTC" {
			t.Fatalf("FindStats=%+v", st)
		}
		// uptime>=50: 1 of floor(3 × 50/100) = 1 may fail; p50<=40µs:
		// floor(3 × 50/100) = 1 may be slower, and 50 and 100 are.
		if o := st.Objectives; len(o) != 2 || !o[0].Met || o[0].Allowed != 1 || o[0].Spent != 1 ||
			o[1].Met || o[1].Allowed != 1 || o[1].Spent != 2 || o[1].Latency != us(50) {
			t.Fatalf("objectives %+v", o)
		}
	})
	// Rows of a day apart, out of the order asked for (as a Spider head
	// returned them): merged by day all the same.
	t.Run("OutOfOrder", func(t *testing.T) {
		mock.ExpectQuery(query).WithArgs("c", "2024-10-01", "2024-10-31").WillReturnRows(sqlmock.NewRows(cols).
			AddRow("2024-10-02", 1, 0, 1, 0, 0, 0, 50, 50, 50, []byte{1, 1, 50, 1}).
			AddRow("2024-10-01", 2, 0, 1, 0, 0, 1, 130, 30, 100, []byte{1, 2, 30, 1, 70, 1}).
			AddRow("2024-10-02", 1, 0, 0, 0, 0, 1, 70, 70, 70, []byte{1, 1, 70, 1}))
		mock.ExpectQuery(objectives).WithArgs("c").WillReturnRows(sqlmock.NewRows([]string{"objectives"})) // none: the defaults
		st, err := svc.FindStats(context.Background(), "c", filter)
		if err != nil {
			t.Fatal(err)
		}
		if len(st.Daily) != 2 || st.Daily[0].Date != date("2024-10-01") || st.Daily[1].Date != date("2024-10-02") ||
			st.Daily[1].Stats.TotalRequests != 2 || st.Daily[1].Stats.MinLatency != us(50) || st.Daily[1].Stats.MaxLatency != us(70) || st.Stats.TotalRequests != 4 {
			t.Fatalf("FindStats=%+v", st)
		}
	})
	t.Run("ErrCorruptRollup", func(t *testing.T) {
		mock.ExpectQuery(query).WillReturnRows(sqlmock.NewRows(cols).
			AddRow("2024-10-01", 2, 0, 2, 0, 0, 0, 400, 100, 300, []byte{1, 1, 100, 1}))
		if _, err := svc.FindStats(context.Background(), "c", filter); !errors.Is(err, logstats.ErrCorruptRollup) {
			t.Fatalf("err=%v, want ErrCorruptRollup", err)
		}
	})
	// A corrupt day column is the database's fault, not the caller's: an
	// internal error (a 500), not KindInvalid (a 400).
	t.Run("CorruptDay", func(t *testing.T) {
		mock.ExpectQuery(query).WillReturnRows(sqlmock.NewRows(cols).
			AddRow("2024-13-01", 1, 0, 1, 0, 0, 0, 50, 50, 50, []byte{1, 1, 50, 1}))
		_, err := svc.FindStats(context.Background(), "c", filter)
		if !errors.Is(err, logstats.ErrCorruptRollup) || logstats.KindOf(err) != logstats.KindInternal {
			t.Fatalf("err=%v (kind %v), want ErrCorruptRollup of kind internal", err, logstats.KindOf(err))
		}
	})
	t.Run("ErrQuery", func(t *testing.T) {
		boom := errors.New("boom")
		mock.ExpectQuery(query).WillReturnError(boom)
		if _, err := svc.FindStats(context.Background(), "c", filter); !errors.Is(err, boom) {
			t.Fatalf("err=%v, want the driver's error", err)
		}
	})
	if err := mock.ExpectationsWereMet(); err != nil {
		t.Fatal(err)
	}
}

// TestIngester_SQL_Blocks is TestIngester_SQL in raw mode blocks, in one
// batch: the copy check reads the customer's blocks of the sample's day
// from other sources, and the batch writes a block per customer and day
// (the two days of mockLog in one INSERT), keyed by customer, day, source
// and first offset, with the last offset and the number of requests.
func TestIngester_SQL_Blocks(t *testing.T) {
	ing, mock := newMockIngester(t)
	ing.Raw, ing.BatchLines = logstats.RawBlocks, 10
	mock.ExpectQuery(sqlRawMode).WillReturnRows(sqlmock.NewRows([]string{"value"}).AddRow("blocks"))
	mock.ExpectQuery(sqlDayZone).WillReturnRows(sqlmock.NewRows([]string{"value"}))
	mock.ExpectQuery(sqlIdentify).WithArgs(sqlmock.AnyArg()).
		WillReturnRows(sqlmock.NewRows([]string{"source_id", "fingerprint", "committed_offset", "committed_sha256"}))
	mock.ExpectQuery(sqlReadSource).WithArgs(sqlmock.AnyArg()).
		WillReturnRows(sqlmock.NewRows([]string{"fingerprint", "committed_offset", "committed_lines", "committed_sha256", "format", "customer", "customer_default", "dimensions"}))
	// The sample's three requests are of two days.
	mock.ExpectQuery(`SELECT customer_id, day, source_id, first_offset, last_offset, requests, data FROM logstats_raw_blocks WHERE customer_id = \? AND day IN \(\?, \?\) AND source_id <> \? ORDER BY day, source_id, first_offset LIMIT 16`).
		WithArgs("c", sqlmock.AnyArg(), sqlmock.AnyArg(), sqlmock.AnyArg()).
		WillReturnRows(sqlmock.NewRows([]string{"customer_id", "day", "source_id", "first_offset", "last_offset", "requests", "data"}))
	mock.ExpectBegin()
	mock.ExpectExec(sqlInsertSource).WillReturnResult(sqlmock.NewResult(0, 1))
	mock.ExpectExec(sqlInsertFormat).WillReturnResult(sqlmock.NewResult(0, 1))
	mock.ExpectPrepare(regexp.QuoteMeta("INSERT INTO logstats_raw_blocks (customer_id, day, source_id, first_offset, last_offset, requests, data) VALUES (?, ?, ?, ?, ?, ?, ?), (?, ?, ?, ?, ?, ?, ?)")).ExpectExec().
		WithArgs("c", "2024-10-01", mockSourceID, 0, line1End, 2, sqlmock.AnyArg(),
			"c", "2024-10-02", mockSourceID, line2End, line2End, 1, sqlmock.AnyArg()).
		WillReturnResult(sqlmock.NewResult(0, 2))
	mock.ExpectPrepare(regexp.QuoteMeta("INSERT INTO logstats_rollups (customer_id, day, source_id, seq, total, c1xx, c2xx, c3xx, c4xx, c5xx, latency_sum_us, latency_min_us, latency_max_us, latency_dist) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?), (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")).ExpectExec().
		WillReturnResult(sqlmock.NewResult(0, 2))
	mock.ExpectCommit()
	// Compaction: each day has its one row.
	mock.ExpectQuery(sqlCompactCheck).WithArgs("2024-10-01", "c").WillReturnRows(sqlmock.NewRows([]string{"customer_id", "n"}))
	mock.ExpectQuery(sqlCompactCheck).WithArgs("2024-10-02", "c").WillReturnRows(sqlmock.NewRows([]string{"customer_id", "n"}))

	res, err := ing.Load(context.Background(), "a.log", strings.NewReader(mockLog), logstats.LoadOptions{})
	if err != nil || res.Inserted != 3 {
		t.Fatalf("Load: %+v, %v; want 3 inserted", res, err)
	}
	if err := mock.ExpectationsWereMet(); err != nil {
		t.Fatal(err)
	}
}
