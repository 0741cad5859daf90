package logstats

import (
	"context"
	"database/sql"
	"fmt"
	"iter"
	"time"
)

// RequestFilter selects the days of the raw requests Requests yields.
type RequestFilter struct {
	// From is the first day (of the day zone); the zero Date means from the
	// first day with data.
	From Date
	// To is the last day (of the day zone), inclusive; nil means no end.
	To *Date
}

// days returns the SQL condition on a day column that selects f's days.
func (f RequestFilter) days() (string, []any) {
	cond, args := "1 = 1", []any(nil)
	if !f.From.IsZero() {
		cond, args = "day >= ?", append(args, f.From.String())
	}
	if f.To != nil {
		cond, args = cond+" AND day <= ?", append(args, f.To.String())
	}
	return cond, args
}

// exportRowsPage is how many raw rows Requests reads a query (raw mode
// rows).
const exportRowsPage = 5000

// Requests yields the raw requests of customerID on the days of f, as they
// were loaded: ordered by day, then by source (its id), then as they were
// in the source. It reads them in pages (blocks, or rows), one query each,
// so its memory does not grow with their number and no query stays open
// while the caller handles one. A database whose raw mode is RawNone keeps
// none: it yields an error wrapping ErrNoRawRequests. On an error it
// yields it (with a zero Request) and stops.
func Requests(ctx context.Context, db *sql.DB, customerID string, f RequestFilter) iter.Seq2[Request, error] {
	return func(yield func(Request, error) bool) {
		err := requests(ctx, db, customerID, f, func(r *Request) bool { return yield(*r, nil) })
		if err != nil {
			yield(Request{}, classify(driverOf(db), fmt.Errorf("requests of %s: %w", customerID, err)))
		}
	}
}

// errStopped says that the caller of Requests stopped the iteration.
var errStopped = fmt.Errorf("stopped")

func requests(ctx context.Context, db *sql.DB, customer string, f RequestFilter, yield func(*Request) bool) error {
	if f.To != nil && !f.From.IsZero() && f.To.Before(f.From) {
		return fmt.Errorf("%w: to %s is before from %s", ErrInvalidRange, *f.To, f.From)
	}
	store, err := openRawStore(ctx, db, DialectUnknown)
	if err != nil {
		return err
	}
	var r Request
	switch store.mode {
	case RawNone:
		return fmt.Errorf("%w: this database was loaded with raw mode none, which keeps only the rollups; load the logs into a database with raw mode blocks or rows to export them", ErrNoRawRequests)
	case RawBlocks:
		cond, args := f.days()
		err = store.scanBlocks(ctx, customer, cond, args, func(b *storedBlock, cols *blockColumns) error {
			for i := range cols.len() {
				r.Entry, r.SourceID, r.Offset = cols.entry(i, customer), b.source, cols.offsets[i]
				if !yield(&r) {
					return errStopped
				}
			}
			return nil
		})
	default:
		err = store.requestRows(ctx, customer, f, func(r *Request) bool { return yield(r) })
	}
	if err == errStopped {
		return nil
	}
	return err
}

// requestRows yields the raw rows of customer on the days of f, a day at a
// time (those its rollups have), each in the key's order (source, offset):
// the table has no index by time, so each day's pages read the customer's
// rows from the last one read.
func (s *rawStore) requestRows(ctx context.Context, customer string, f RequestFilter, yield func(*Request) bool) error {
	days, err := rollupDays(ctx, s.db, customer, f)
	if err != nil {
		return err
	}
	var r Request
	r.CustomerID = customer
	for _, day := range days {
		from, to := dayStart(day, s.zone).UnixMicro(), dayStart(day.AddDays(1), s.zone).UnixMicro()
		source, offset := int64(-1<<63), int64(-1<<63)
		for {
			rows, err := s.db.QueryContext(ctx, `SELECT source_id, src_offset, ts_us, method, path, status, latency_us FROM logstats_raw_requests
				WHERE customer_id = ? AND ts_us >= ? AND ts_us < ? AND (source_id > ? OR source_id = ? AND src_offset > ?)
				ORDER BY source_id, src_offset LIMIT ?`, customer, from, to, source, source, offset, exportRowsPage)
			if err != nil {
				return err
			}
			var page []Request
			for rows.Next() {
				var ts, latency int64
				if err := rows.Scan(&r.SourceID, &r.Offset, &ts, &r.Method, &r.Path, &r.Status, &latency); err != nil {
					rows.Close()
					return err
				}
				r.Time, r.Latency = time.UnixMicro(ts).UTC(), time.Duration(latency)*time.Microsecond
				page = append(page, r)
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
			for i := range page {
				if !yield(&page[i]) {
					return errStopped
				}
			}
			if len(page) < exportRowsPage {
				break
			}
			source, offset = page[len(page)-1].SourceID, page[len(page)-1].Offset
		}
	}
	return nil
}

// rollupDays returns the days of f on which customer has rollups, in order.
// A GROUP BY with a count, not a DISTINCT (see oldDays in prune.go).
func rollupDays(ctx context.Context, db *sql.DB, customer string, f RequestFilter) ([]Date, error) {
	cond, args := f.days()
	rows, err := db.QueryContext(ctx, `SELECT day, COUNT(*) FROM logstats_rollups WHERE customer_id = ? AND `+cond+` GROUP BY day ORDER BY day`,
		append([]any{customer}, args...)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var days []Date
	for rows.Next() {
		var day dayValue
		var n int64
		if err := rows.Scan(&day, &n); err != nil {
			return nil, err
		}
		days = append(days, day.Date)
	}
	return days, rows.Err()
}
