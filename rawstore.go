package logstats

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// A rawStore reads a database's raw requests, kept in its raw mode: the
// checks of a load (identity.go, copycheck.go), Verify, FindSources and
// the export read them through it, whichever table holds them. Prune and
// Forget, which also remove them, are in prune.go and forget.go.
type rawStore struct {
	db   *sql.DB
	d    Dialect
	mode RawMode
	zone *time.Location // the database's day zone, which cuts blocks' days
}

// rawStore returns the store of ing's database, recording ing.Raw as its
// raw mode if it records none.
func (ing *Ingester) rawStore(ctx context.Context, d Dialect) (*rawStore, error) {
	mode, err := ing.rawMode.get(ctx, ing.db, d, ing.Raw)
	if err != nil {
		return nil, err
	}
	zone, _, err := recordedDayZone(ctx, ing.db)
	if err != nil {
		return nil, err
	}
	return &rawStore{db: ing.db, d: d, mode: mode, zone: zone}, nil
}

// openRawStore returns the store of db for reading, in the raw mode it
// records (blocks when none: then it holds no raw request yet).
func openRawStore(ctx context.Context, db *sql.DB, d Dialect) (*rawStore, error) {
	mode, _, err := recordedRawMode(ctx, db)
	if err != nil {
		return nil, err
	}
	zone, _, err := recordedDayZone(ctx, db)
	if err != nil {
		return nil, err
	}
	return &rawStore{db: db, d: d, mode: mode, zone: zone}, nil
}

// A Request is a raw request read back (see StatsService.Requests): what
// was loaded, and where from.
type Request struct {
	Entry
	// SourceID is the source it was loaded from (Source.ID), and Offset
	// the byte offset of its line in that source.
	SourceID int64
	Offset   int64
	// DimensionNames are the names of the values of Entry.Dimensions: the
	// dimensions of its source, as the ledger records them (shared: do
	// not modify it).
	DimensionNames []string
}

// requestKey is what the checks of a load compare of a request, besides
// its customer.
type requestKey struct {
	ts, latency int64
	path        string
	status      int
}

func keyOf(e *Entry) requestKey {
	return requestKey{e.Time.UnixMicro(), e.Latency.Microseconds(), e.Path, e.Status}
}

// holders returns, for each key of keys, the sources other than exclude
// that hold a request of customer with it (keys of requests whose days,
// in the day zone, are days).
func (s *rawStore) holders(ctx context.Context, customer string, exclude int64, keys []requestKey) (map[requestKey][]int64, error) {
	found := make(map[requestKey][]int64)
	add := func(k requestKey, source int64) {
		for _, id := range found[k] {
			if id == source {
				return
			}
		}
		found[k] = append(found[k], source)
	}
	switch s.mode {
	case RawRows:
		var cond strings.Builder
		args := []any{customer, exclude}
		for _, k := range keys {
			if cond.Len() > 0 {
				cond.WriteString(" OR ")
			}
			cond.WriteString("(ts_us = ? AND path = ? AND status = ? AND latency_us = ?)")
			args = append(args, k.ts, k.path, k.status, k.latency)
		}
		rows, err := s.db.QueryContext(ctx, `SELECT DISTINCT source_id, ts_us, path, status, latency_us FROM logstats_raw_requests
			WHERE customer_id = ? AND source_id <> ? AND (`+cond.String()+`)`, args...)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		for rows.Next() {
			var id int64
			var k requestKey
			if err := rows.Scan(&id, &k.ts, &k.path, &k.status, &k.latency); err != nil {
				return nil, err
			}
			add(k, id)
		}
		return found, rows.Err()
	case RawBlocks:
		want := make(map[requestKey]bool, len(keys))
		days := make(map[int64]bool)
		for _, k := range keys {
			want[k] = true
			days[dayNumber(k.ts, s.zone)] = true
		}
		var args []any
		for day := range days {
			args = append(args, dayKey{day: day}.date().String())
		}
		err := s.scanBlocks(ctx, customer, `day IN (?`+strings.Repeat(", ?", len(args)-1)+`) AND source_id <> ?`,
			append(args, exclude), func(b *storedBlock, cols *blockColumns) error {
				for i := range cols.len() {
					e := cols.entry(i, customer)
					if k := keyOf(&e); want[k] {
						add(k, b.source)
					}
				}
				return nil
			})
		return found, err
	}
	return found, nil // none: nothing kept to compare with
}

// atOffsets returns the requests source holds at the given offsets of the
// given customers, by offset.
func (s *rawStore) atOffsets(ctx context.Context, source int64, at map[int64]string) (map[int64]Entry, error) {
	found := make(map[int64]Entry)
	if len(at) == 0 {
		return found, nil
	}
	switch s.mode {
	case RawRows:
		var cond strings.Builder
		args := []any{source}
		for off, customer := range at {
			if cond.Len() > 0 {
				cond.WriteString(" OR ")
			}
			cond.WriteString("(customer_id = ? AND src_offset = ?)")
			args = append(args, customer, off)
		}
		rows, err := s.db.QueryContext(ctx, `SELECT customer_id, src_offset, ts_us, path, status, latency_us FROM logstats_raw_requests
			WHERE source_id = ? AND (`+cond.String()+`)`, args...)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		for rows.Next() {
			var e Entry
			var off, ts, lat int64
			if err := rows.Scan(&e.CustomerID, &off, &ts, &e.Path, &e.Status, &lat); err != nil {
				return nil, err
			}
			e.Time, e.Latency = time.UnixMicro(ts).UTC(), time.Duration(lat)*time.Microsecond
			if at[off] == e.CustomerID {
				found[off] = e
			}
		}
		return found, rows.Err()
	case RawBlocks:
		byCustomer := make(map[string][]int64)
		for off, customer := range at {
			byCustomer[customer] = append(byCustomer[customer], off)
		}
		for customer, offs := range byCustomer {
			lo, hi := offs[0], offs[0]
			for _, off := range offs {
				lo, hi = min(lo, off), max(hi, off)
			}
			err := s.scanBlocks(ctx, customer, `source_id = ? AND first_offset <= ? AND last_offset >= ?`,
				[]any{source, hi, lo}, func(b *storedBlock, cols *blockColumns) error {
					for i, off := range cols.offsets {
						if at[off] == customer {
							found[off] = cols.entry(i, customer)
						}
					}
					return nil
				})
			if err != nil {
				return nil, err
			}
		}
	}
	return found, nil
}

// firstOffset returns the offset of the first request of customer that
// source holds with key k, and whether it holds one.
func (s *rawStore) firstOffset(ctx context.Context, customer string, source int64, k requestKey) (int64, bool, error) {
	switch s.mode {
	case RawRows:
		var off int64
		err := s.db.QueryRowContext(ctx, `SELECT src_offset FROM logstats_raw_requests
			WHERE customer_id = ? AND source_id = ? AND ts_us = ? AND path = ? AND status = ? AND latency_us = ?
			ORDER BY src_offset LIMIT 1`, customer, source, k.ts, k.path, k.status, k.latency).Scan(&off)
		if err == sql.ErrNoRows {
			return 0, false, nil
		}
		return off, err == nil, err
	case RawBlocks:
		off, ok := int64(0), false
		err := s.scanBlocks(ctx, customer, `day = ? AND source_id = ?`,
			[]any{dayKey{day: dayNumber(k.ts, s.zone)}.date().String(), source}, func(b *storedBlock, cols *blockColumns) error {
				for i := range cols.len() {
					if e := cols.entry(i, customer); keyOf(&e) == k && (!ok || cols.offsets[i] < off) {
						off, ok = cols.offsets[i], true
					}
				}
				return nil
			})
		return off, ok, err
	}
	return 0, false, nil
}

// scanBlocksPage is how many blocks scanBlocks reads a query: it holds them
// all, each at most maxBlockBytes and compressed.
const scanBlocksPage = 16

// scanBlocks calls fn with each block of customer in logstats_raw_blocks
// where the condition cond (with args) holds, decoded and checked, in key
// order. A block that cannot be decoded is an error wrapping
// ErrCorruptBlock.
func (s *rawStore) scanBlocks(ctx context.Context, customer, cond string, args []any, fn func(*storedBlock, *blockColumns) error) error {
	var cols blockColumns
	return s.scanBlockRows(ctx, customer, cond, args, func(b *storedBlock) error {
		if err := b.decode(&cols, s.zone); err != nil {
			return fmt.Errorf("%s: %w", b, err)
		}
		return fn(b, &cols)
	})
}

// scanBlockRows calls fn with each block of customer in logstats_raw_blocks
// where the condition cond (with args) holds, in key order, not decoded. It
// reads them in pages of scanBlocksPage, one query each, so that no query
// stays open while fn runs; each query reads one customer, so through a
// sharded head one partition (see verify.go's scanRequests). fn may keep
// the block's data if it leaves another buffer (of any length) in its
// place, which the next page fills.
func (s *rawStore) scanBlockRows(ctx context.Context, customer, cond string, args []any, fn func(*storedBlock) error) error {
	if cond != "" {
		cond = " AND " + cond
	}
	page := make([]storedBlock, scanBlocksPage)
	var day string
	var source, first int64
	for started := false; ; started = true {
		q, qargs := `SELECT `+blockColumnsSQL+` FROM logstats_raw_blocks WHERE customer_id = ?`+cond, append([]any{customer}, args...)
		if started {
			q += ` AND (day > ? OR day = ? AND (source_id > ? OR source_id = ? AND first_offset > ?))`
			qargs = append(qargs, day, day, source, source, first)
		}
		rows, err := s.db.QueryContext(ctx, q+` ORDER BY day, source_id, first_offset LIMIT `+strconv.Itoa(scanBlocksPage), qargs...)
		if err != nil {
			return err
		}
		n := 0
		for ; rows.Next(); n++ {
			if err := scanBlock(rows, &page[n]); err != nil {
				rows.Close()
				return err
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for i := range page[:n] {
			if err := fn(&page[i]); err != nil {
				return err
			}
		}
		if n < scanBlocksPage {
			return nil
		}
		day, source, first = page[n-1].day.String(), page[n-1].source, page[n-1].first
	}
}

// nextCustomer returns the least customer after after (any, when first)
// with raw requests, and false when there is none. One index lookup each:
// through a sharded head an ordered scan across customers (partitions) with
// a LIMIT can skip and repeat rows (MariaDB 10.11).
func (s *rawStore) nextCustomer(ctx context.Context, after string, first bool) (string, bool, error) {
	table := "logstats_raw_requests"
	switch s.mode {
	case RawBlocks:
		table = "logstats_raw_blocks"
	case RawNone:
		return "", false, nil
	}
	var customer sql.NullString
	var err error
	if first {
		err = s.db.QueryRowContext(ctx, `SELECT MIN(customer_id) FROM `+table).Scan(&customer)
	} else {
		err = s.db.QueryRowContext(ctx, `SELECT MIN(customer_id) FROM `+table+` WHERE customer_id > ?`, after).Scan(&customer)
	}
	return customer.String, customer.Valid, err
}

// heldBySource calls fn with how many raw requests each source holds and
// the days of its first and last, in one pass (neither table has an index
// by source).
func (s *rawStore) heldBySource(ctx context.Context, fn func(id, n int64, first, last Date)) error {
	var q string
	switch s.mode {
	case RawRows:
		q = `SELECT source_id, COUNT(*), MIN(ts_us), MAX(ts_us) FROM logstats_raw_requests GROUP BY source_id`
	case RawBlocks:
		q = `SELECT source_id, SUM(requests), MIN(day), MAX(day) FROM logstats_raw_blocks GROUP BY source_id`
	default:
		return nil
	}
	rows, err := s.db.QueryContext(ctx, q)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id, n int64
		var first, last Date
		if s.mode == RawRows {
			var firstUS, lastUS int64
			if err := rows.Scan(&id, &n, &firstUS, &lastUS); err != nil {
				return err
			}
			first, last = dayKey{day: dayNumber(firstUS, s.zone)}.date(), dayKey{day: dayNumber(lastUS, s.zone)}.date()
		} else {
			var f, l dayValue
			if err := rows.Scan(&id, &n, &f, &l); err != nil {
				return err
			}
			first, last = f.Date, l.Date
		}
		fn(id, n, first, last)
	}
	return rows.Err()
}
