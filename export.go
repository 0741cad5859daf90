package logstats

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"iter"
	"slices"
	"strings"
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
// were loaded: ordered by day, then by source in the order they were first
// loaded (their ledger rows' creation), then as they were in the source. It
// reads them in pages (blocks, or rows), one query each, so its memory does
// not grow with their number and no query stays open while the caller
// handles one. A database whose raw mode is RawNone keeps none: it yields
// an error wrapping ErrNoRawRequests. On an error it yields it (with a zero
// Request) and stops.
func Requests(ctx context.Context, db *sql.DB, customerID string, f RequestFilter) iter.Seq2[Request, error] {
	return func(yield func(Request, error) bool) {
		err := requests(ctx, db, customerID, f, func(r *Request) bool { return yield(*r, nil) })
		if err != nil {
			yield(Request{}, classify(driverOf(db), fmt.Errorf("requests of %s: %w", customerID, err)))
		}
	}
}

// errStopped says that the caller of Requests stopped the iteration.
var errStopped = errors.New("stopped")

func requests(ctx context.Context, db *sql.DB, customer string, f RequestFilter, yield func(*Request) bool) error {
	if f.To != nil && !f.From.IsZero() && f.To.Before(f.From) {
		return fmt.Errorf("%w: to %s is before from %s", ErrInvalidRange, *f.To, f.From)
	}
	store, err := openRawStore(ctx, db, DialectUnknown)
	if err != nil {
		return err
	}
	if store.mode == RawNone {
		return fmt.Errorf("%w: this database was loaded with raw mode none, which keeps only the rollups; load the logs into a database with raw mode blocks or rows to export them", ErrNoRawRequests)
	}
	days, err := store.daySources(ctx, customer, f)
	if err != nil {
		return err
	}
	dims, err := store.sourceDimensions(ctx)
	if err != nil {
		return err
	}
	var r Request
	for _, ds := range days {
		names := dims[ds.source]
		if store.mode == RawBlocks {
			err = store.scanBlocks(ctx, customer, "day = ? AND source_id = ?", []any{ds.day.String(), ds.source}, func(b *storedBlock, cols *blockColumns) error {
				for i := range cols.len() {
					r.Entry, r.SourceID, r.Offset = cols.entryWithDimensions(i, customer), b.source, cols.offsets[i]
					r.DimensionNames = names[:min(len(names), len(r.Dimensions))]
					if !yield(&r) {
						return errStopped
					}
				}
				return nil
			})
		} else {
			err = store.dayRows(ctx, customer, ds.day, ds.source, names, yield)
		}
		if err == errStopped {
			return nil
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// daySource is a source with raw requests of a customer on a day.
type daySource struct {
	day    Date
	source int64
}

// daySources returns the days of f with raw requests of customer, each
// with its sources in the order they were first loaded. Blocks have their
// days in the key; raw rows do not, so the days are those of the
// customer's rollups, each with every source it has rows of.
func (s *rawStore) daySources(ctx context.Context, customer string, f RequestFilter) ([]daySource, error) {
	created, err := sourcesCreated(ctx, s.db)
	if err != nil {
		return nil, err
	}
	var out []daySource
	if s.mode == RawBlocks {
		cond, args := f.days()
		rows, err := s.db.QueryContext(ctx, `SELECT day, source_id, COUNT(*) FROM logstats_raw_blocks WHERE customer_id = ? AND `+cond+`
			GROUP BY day, source_id`, append([]any{customer}, args...)...)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		for rows.Next() {
			var day dayValue
			var ds daySource
			var n int64
			if err := rows.Scan(&day, &ds.source, &n); err != nil {
				return nil, err
			}
			ds.day = day.Date
			out = append(out, ds)
		}
		if err := rows.Err(); err != nil {
			return nil, err
		}
	} else {
		days, err := rollupDays(ctx, s.db, customer, f)
		if err != nil || len(days) == 0 {
			return nil, err
		}
		rows, err := s.db.QueryContext(ctx, `SELECT source_id, COUNT(*) FROM logstats_raw_requests WHERE customer_id = ? GROUP BY source_id`, customer)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		var sources []int64
		for rows.Next() {
			var id, n int64
			if err := rows.Scan(&id, &n); err != nil {
				return nil, err
			}
			sources = append(sources, id)
		}
		if err := rows.Err(); err != nil {
			return nil, err
		}
		for _, day := range days {
			for _, id := range sources {
				out = append(out, daySource{day, id})
			}
		}
	}
	slices.SortFunc(out, func(a, b daySource) int {
		return cmp.Or(a.day.Compare(b.day), cmp.Compare(created[a.source], created[b.source]), cmp.Compare(a.source, b.source))
	})
	return out, nil
}

// sourcesCreated returns when each source of the ledger was first loaded.
func sourcesCreated(ctx context.Context, db *sql.DB) (map[int64]int64, error) {
	rows, err := db.QueryContext(ctx, `SELECT source_id, created_us FROM logstats_sources`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	created := make(map[int64]int64)
	for rows.Next() {
		var id, us int64
		if err := rows.Scan(&id, &us); err != nil {
			return nil, err
		}
		created[id] = us
	}
	return created, rows.Err()
}

// dayRows yields the raw rows of customer from source on day, in the key's
// order: the table has no index by time, so each page reads the
// customer's rows of the source from the last one read.
func (s *rawStore) dayRows(ctx context.Context, customer string, day Date, source int64, names []string, yield func(*Request) bool) error {
	from, to := dayStart(day, s.zone).UnixMicro(), dayStart(day.AddDays(1), s.zone).UnixMicro()
	r := Request{Entry: Entry{CustomerID: customer}, SourceID: source, DimensionNames: names}
	offset := int64(-1 << 63)
	var page []Request
	for {
		rows, err := s.db.QueryContext(ctx, `SELECT src_offset, ts_us, method, path, status, latency_us, `+strings.Join(dimColumns[:], ", ")+` FROM logstats_raw_requests
			WHERE customer_id = ? AND source_id = ? AND src_offset > ? AND ts_us >= ? AND ts_us < ?
			ORDER BY src_offset LIMIT ?`, customer, source, offset, from, to, exportRowsPage)
		if err != nil {
			return err
		}
		page = page[:0]
		for rows.Next() {
			var ts, latency int64
			var values [MaxDimensions]string
			if err := rows.Scan(&r.Offset, &ts, &r.Method, &r.Path, &r.Status, &latency, &values[0], &values[1], &values[2], &values[3]); err != nil {
				rows.Close()
				return err
			}
			r.Time, r.Latency = time.UnixMicro(ts).UTC(), time.Duration(latency)*time.Microsecond
			r.Dimensions = nil
			if len(names) > 0 {
				r.Dimensions = slices.Clone(values[:len(names)])
			}
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
			return nil
		}
		offset = page[len(page)-1].Offset
	}
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
