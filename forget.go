package logstats

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"math/bits"
	"slices"
	"strings"
	"time"
)

// ForgetResult says what Forget removed. Its JSON form is the answer of
// DELETE /sources/{id} and the runner's -forget summary.
type ForgetResult struct {
	SourceID int64  `json:"source_id,string"` // a string in JSON, as Source.ID
	Source   string `json:"source"`           // the name it was loaded under
	// Lines is how many lines of it the ledger had committed.
	Lines int64 `json:"lines"`
	// Requests is how many raw requests this call removed, and Days of how
	// many customer-days it corrected the rollups (a Forget run again
	// after one that stopped counts what is left).
	Requests int64 `json:"requests"`
	Days     int64 `json:"customer_days"`
}

// Forget undoes the loads of a source (an id of FindSources): it removes its
// raw requests, takes them out of the rollups of their days, and drops its
// ledger row, so that the log can be loaded again, read another way if need
// be. Days pruned before (see Prune) lost their rollups and raw requests
// then: nothing of them is left to remove.
//
// A day's rollup that compaction merged with other sources' no longer says
// which requests were whose, so Forget subtracts: in each transaction it
// reads up to PruneChunk of the source's raw requests, recomputes their
// rollups (counts, latency sum, exact distribution), subtracts each from
// the merge of its day's rows, which it writes back as one row (min and
// max are those of the distribution left), deletes those raw requests and
// counts them as pruned in the ledger row. After each transaction the
// rollups are exactly the recomputation of the raw requests left.
//
// It first marks the ledger row (a committed offset of -1), in a
// transaction of its own: from then on a load of the source fails with
// ErrForgetting, and one in flight fails at its next batch (a ledger
// conflict, ErrLoadInProgress), so nothing is loaded on top of a source
// half forgotten. The ledger row goes last. If Forget stops half-way
// (killed, say), running it again finishes; Verify meanwhile reports the
// source as being forgotten.
//
// Forget returns an error wrapping ErrUnknownSource when no source has the
// id, and ErrLoadInProgress when this Ingester is loading it.
func (ing *Ingester) Forget(ctx context.Context, sourceID int64) (*ForgetResult, error) {
	res, err := ing.forget(ctx, sourceID)
	return res, classify(ing.Driver, err)
}

func (ing *Ingester) forget(ctx context.Context, id int64) (*ForgetResult, error) {
	res := &ForgetResult{SourceID: id}
	d, err := resolveDialect(ing.db, ing.Dialect)
	if err != nil {
		return res, fmt.Errorf("forget: %w", err)
	}
	if _, err := ing.beforeWrite(ctx, d); err != nil {
		return res, fmt.Errorf("forget: %w", err)
	}
	if !ing.lock(id) {
		return res, fmt.Errorf("%w: source %d is being loaded; forget it when the load ends", ErrLoadInProgress, id)
	}
	defer ing.unlock(id)
	store, err := openRawStore(ctx, ing.db, d)
	if err != nil {
		return res, fmt.Errorf("forget: %w", err)
	}
	if store.mode == RawNone {
		return res, fmt.Errorf("%w: rollups merge the sources of each day, and without its raw requests a source's share of them is not known; nothing was changed", ErrNoRawRequests)
	}
	if err := ing.retry(ctx, func() error { return ing.markForgetting(ctx, d, res) }); err != nil {
		return res, fmt.Errorf("forget: %w", err)
	}
	if err := ing.forgetRequests(ctx, d, store, res); err != nil {
		return res, fmt.Errorf("forget %s: %w", res.Source, err)
	}
	if err := ing.retry(ctx, func() error { return ing.dropSource(ctx, d, id) }); err != nil {
		return res, fmt.Errorf("forget %s: %w", res.Source, err)
	}
	return res, nil
}

// markForgetting reads the ledger row of res.SourceID and marks it as
// being forgotten, unless a Forget that stopped did.
func (ing *Ingester) markForgetting(ctx context.Context, d Dialect, res *ForgetResult) error {
	tx, err := ing.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var offset int64
	err = tx.QueryRowContext(ctx, `SELECT name, committed_offset, committed_lines FROM logstats_sources WHERE source_id = ?`+d.forUpdate(),
		res.SourceID).Scan(&res.Source, &offset, &res.Lines)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("%w: %d", ErrUnknownSource, res.SourceID)
	case err != nil:
		return err
	case offset < 0:
		return nil // marked by a Forget that stopped
	}
	updated, err := ing.nextUpdate(ctx, tx)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE logstats_sources SET committed_offset = -1, updated_us = ? WHERE source_id = ?`, updated, res.SourceID); err != nil {
		return err
	}
	return tx.Commit()
}

// nextUpdate returns an updated_us past every source's, which tells caches
// of stats (StatsService.CacheFor) that rollups changed.
func (ing *Ingester) nextUpdate(ctx context.Context, tx *sql.Tx) (int64, error) {
	var latest int64
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(updated_us), 0) FROM logstats_sources`).Scan(&latest); err != nil {
		return 0, err
	}
	return max(ing.now().UnixMicro(), latest+1), nil
}

// forgetRequests removes the raw requests of res.SourceID and their share
// of the rollups, a customer at a time (the next one found with MIN, one
// index lookup each, as Verify reads them) and about PruneChunk requests a
// transaction (whole blocks, at least one).
func (ing *Ingester) forgetRequests(ctx context.Context, d Dialect, store *rawStore, res *ForgetResult) error {
	chunk := ing.PruneChunk
	if chunk <= 0 {
		chunk = DefaultPruneChunk
	}
	customer, ok, err := store.nextCustomer(ctx, "", true)
	for ; ok && err == nil; customer, ok, err = store.nextCustomer(ctx, customer, false) {
		days := make(map[int64]bool)
		var after forgetCursor
		for {
			if err := ctx.Err(); err != nil {
				return err
			}
			var c forgottenChunk
			err := ing.retry(ctx, func() error {
				var err error
				c, err = ing.forgetChunk(ctx, d, store, res.SourceID, customer, after, chunk)
				return err
			})
			if err != nil {
				return fmt.Errorf("customer %s: %w", customer, err)
			}
			res.Requests += int64(c.n)
			for _, day := range c.days {
				days[day] = true
			}
			if !c.more {
				break
			}
			after = c.last
		}
		res.Days += int64(len(days))
	}
	return err
}

// forgetCursor is where forgetRequests stands in a customer's raw
// requests of the source: after the request at offset (rows), after the
// block of day at offset (blocks); zero: at the start.
type forgetCursor struct {
	started bool
	day     string
	offset  int64
}

// forgottenChunk is what one transaction of forgetRequests removed: n raw
// requests of the days days, up to last; more says there may be more.
type forgottenChunk struct {
	n    int
	last forgetCursor
	days []int64
	more bool
}

// forgetChunk removes, in one transaction, up to chunk raw requests (whole
// blocks, at least one) of source id and customer after after, takes them
// out of their days' rollups, and counts them as pruned in the ledger row
// (Verify expects a source's raw requests to be those committed less those
// pruned).
func (ing *Ingester) forgetChunk(ctx context.Context, d Dialect, store *rawStore, id int64, customer string, after forgetCursor, chunk int) (forgottenChunk, error) {
	var c forgottenChunk
	tx, err := ing.db.BeginTx(ctx, nil)
	if err != nil {
		return c, err
	}
	defer tx.Rollback()
	byDay := make(map[int64]*dayGroup)
	add := func(off, ts int64, status int, latency int64) error {
		if status < 100 || status > 599 {
			return fmt.Errorf("the raw request at offset %d has status %d, which no rollup holds; run Verify", off, status)
		}
		day := dayNumber(ts, store.zone)
		g := byDay[day]
		if g == nil {
			g = &dayGroup{key: dayKey{customer, day}, hist: make(histogram)}
			byDay[day] = g
			c.days = append(c.days, day)
		}
		g.r.add(status, latency) // a negative latency: none (NoLatency)
		if latency >= 0 {
			g.hist[latency]++
		}
		c.n++
		return nil
	}
	// Loads of the source are refused while it is marked, so the requests
	// read are all of it in the range read, and they stay locked until the
	// commit: the DELETE removes them, whatever it reports (through a
	// sharded head, 0).
	var remove func() error
	if store.mode == RawBlocks {
		remove, err = forgetBlocks(ctx, tx, d, store.zone, id, customer, after, chunk, &c, add)
	} else {
		remove, err = forgetRows(ctx, tx, d, id, customer, after, chunk, &c, add)
	}
	if err != nil || c.n == 0 {
		return c, err
	}
	slices.Sort(c.days)
	for _, day := range c.days {
		g := byDay[day]
		g.r.dist = g.hist.distribution()
		if err := subtractDay(ctx, tx, d, customer, g.key.date().String(), &g.r); err != nil {
			return c, err
		}
	}
	if err := remove(); err != nil {
		return c, err
	}
	updated, err := ing.nextUpdate(ctx, tx)
	if err != nil {
		return c, err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE logstats_sources SET pruned_requests = pruned_requests + ?, updated_us = ? WHERE source_id = ?`,
		c.n, updated, id); err != nil {
		return c, err
	}
	return c, tx.Commit()
}

// forgetRows reads, locked, up to chunk raw rows of source id and customer
// after after into add, and returns the DELETE that removes them.
func forgetRows(ctx context.Context, tx *sql.Tx, d Dialect, id int64, customer string, after forgetCursor, chunk int, c *forgottenChunk, add func(off, ts int64, status int, latency int64) error) (func() error, error) {
	from := int64(math.MinInt64)
	if after.started {
		from = after.offset
	}
	rows, err := tx.QueryContext(ctx, `SELECT src_offset, ts_us, status, latency_us FROM logstats_raw_requests
		WHERE customer_id = ? AND source_id = ? AND src_offset > ? ORDER BY src_offset LIMIT ?`+d.forUpdate(),
		customer, id, from, chunk)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var first int64
	for rows.Next() {
		var off, ts, latency int64
		var status int
		if err := rows.Scan(&off, &ts, &status, &latency); err != nil {
			return nil, err
		}
		if err := add(off, ts, status, latency); err != nil {
			return nil, err
		}
		if c.n == 1 {
			first = off
		}
		c.last = forgetCursor{started: true, offset: off}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	c.more = c.n == chunk
	return func() error {
		_, err := tx.ExecContext(ctx, `DELETE FROM logstats_raw_requests WHERE customer_id = ? AND source_id = ? AND src_offset BETWEEN ? AND ?`,
			customer, id, first, c.last.offset)
		return err
	}, nil
}

// forgetBlocksPage is how many blocks forgetBlocks reads a query.
const forgetBlocksPage = 8

// forgetBlocks reads, locked, the blocks of source id and customer after
// after into add, until they hold chunk requests (at least one block), and
// returns the DELETE that removes them.
func forgetBlocks(ctx context.Context, tx *sql.Tx, d Dialect, zone *time.Location, id int64, customer string, after forgetCursor, chunk int, c *forgottenChunk, add func(off, ts int64, status int, latency int64) error) (func() error, error) {
	var keys []any
	var cols blockColumns
	for c.n < chunk {
		q, args := `SELECT `+blockColumnsSQL+` FROM logstats_raw_blocks WHERE customer_id = ? AND source_id = ?`, []any{customer, id}
		if after.started {
			q += ` AND (day > ? OR day = ? AND first_offset > ?)`
			args = append(args, after.day, after.day, after.offset)
		}
		rows, err := tx.QueryContext(ctx, q+` ORDER BY day, first_offset LIMIT `+fmt.Sprint(forgetBlocksPage)+d.forUpdate(), args...)
		if err != nil {
			return nil, err
		}
		var page []storedBlock
		for rows.Next() {
			page = append(page, storedBlock{})
			if err := scanBlock(rows, &page[len(page)-1]); err != nil {
				rows.Close()
				return nil, err
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
		c.more = len(page) == forgetBlocksPage
		for i := range page {
			b := &page[i]
			if c.n >= chunk {
				c.more = true
				break
			}
			if err := b.decode(&cols, zone); err != nil {
				return nil, fmt.Errorf("%s: %w; run Verify", b, err)
			}
			for j := range cols.len() {
				if err := add(cols.offsets[j], cols.times[j], int(cols.statuses[j]), cols.latencies[j]); err != nil {
					return nil, err
				}
			}
			keys = append(keys, b.day.String(), b.first)
			after = forgetCursor{started: true, day: b.day.String(), offset: b.first}
			c.last = after
		}
		if !c.more {
			break
		}
	}
	return func() error {
		for start := 0; start < len(keys); start += 2 * 100 {
			part := keys[start:min(start+2*100, len(keys))]
			conds := strings.Repeat(" OR (day = ? AND first_offset = ?)", len(part)/2)[4:]
			if _, err := tx.ExecContext(ctx, `DELETE FROM logstats_raw_blocks WHERE customer_id = ? AND source_id = ? AND (`+conds+`)`,
				append([]any{customer, id}, part...)...); err != nil {
				return err
			}
		}
		return nil
	}, nil
}

// subtractDay takes the requests that sub counts out of the rollup of
// customer on date: it merges the day's rows, subtracts sub, deletes
// exactly the rows it read (locked on MySQL, under the write lock on
// SQLite, as compaction does) and writes what is left, as one row keyed
// (0, 0) as compaction writes it, or none.
func subtractDay(ctx context.Context, tx *sql.Tx, d Dialect, customer, date string, sub *rollup) error {
	rows, err := tx.QueryContext(ctx, `SELECT source_id, seq, `+rollupValueColumns+` FROM logstats_rollups
		WHERE customer_id = ? AND day = ?`+d.forUpdate(), customer, date)
	if err != nil {
		return err
	}
	defer rows.Close()
	var merged rollup
	var keys []any
	for rows.Next() {
		var source, seq int64
		var r rollup
		if err := scanRollup(rows, &r, nil, &source, &seq); err != nil {
			return err
		}
		keys = append(keys, source, seq)
		merged.merge(&r)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	rows.Close()
	if err := merged.subtract(sub); err != nil {
		return fmt.Errorf("%w: the rollup of %s on %s does not count the requests being forgotten (%v); run Verify", ErrCorruptRollup, customer, date, err)
	}
	const perDelete = 300 // keys a statement
	for start := 0; start < len(keys); start += 2 * perDelete {
		part := keys[start:min(start+2*perDelete, len(keys))]
		conds := strings.Repeat(" OR (source_id = ? AND seq = ?)", len(part)/2)[4:]
		if _, err := tx.ExecContext(ctx, `DELETE FROM logstats_rollups WHERE customer_id = ? AND day = ? AND (`+conds+`)`,
			append([]any{customer, date}, part...)...); err != nil {
			return err
		}
	}
	pieces := merged.pieces()
	return insertRows(ctx, tx, d, "logstats_rollups", rollupColumns, 1, len(pieces), func(i int, args []any) []any {
		return appendRollupArgs(args, customer, date, 0, int64(i), &pieces[i].r, pieces[i].blob)
	})
}

// dayNumber returns the day of a time in microseconds since the epoch:
// days since 1970-01-01 in zone's calendar (nil: UTC).
func dayNumber(tsUS int64, zone *time.Location) int64 {
	unix := floorDiv(tsUS, 1_000_000)
	if zone != nil && zone != time.UTC {
		_, off := time.Unix(unix, 0).In(zone).Zone()
		unix += int64(off)
	}
	return floorDiv(unix, 86400)
}

// subtract takes the requests that o counts out of r, which must count
// them all. r's min and max are then those of its distribution (of its
// timed requests), which is exact.
func (r *rollup) subtract(o *rollup) error {
	if o.total > r.total || o.untimed > r.untimed {
		return fmt.Errorf("%d requests (%d without a latency) to take out of %d (%d)", o.total, o.untimed, r.total, r.untimed)
	}
	for i := range r.byClass {
		if o.byClass[i] > r.byClass[i] {
			return fmt.Errorf("%d requests of class %dxx to take out of %d", o.byClass[i], i+1, r.byClass[i])
		}
	}
	lo, borrow := bits.Sub64(r.sumUS.lo, o.sumUS.lo, 0)
	hi, borrow := bits.Sub64(r.sumUS.hi, o.sumUS.hi, borrow)
	if borrow != 0 {
		return fmt.Errorf("a latency sum larger than the rollup's")
	}
	dist, err := subtractDistributions(r.dist, o.dist)
	if err != nil {
		return err
	}
	r.total -= o.total
	r.untimed -= o.untimed
	for i := range r.byClass {
		r.byClass[i] -= o.byClass[i]
	}
	r.sumUS, r.dist = uint128{hi, lo}, dist
	r.minUS, r.maxUS = 0, 0
	if n := dist.len(); n > 0 {
		r.minUS, r.maxUS = dist.values[0], dist.values[n-1]
	}
	return nil
}

// subtractDistributions returns a less b; every value of b must be in a at
// least as many times.
func subtractDistributions(a, b distribution) (distribution, error) {
	out := distribution{values: make([]int64, 0, a.len()), counts: make([]int64, 0, a.len())}
	j := 0
	for i, v := range a.values {
		c := a.counts[i]
		if j < b.len() && b.values[j] < v {
			break // b has a value that a has not
		}
		if j < b.len() && b.values[j] == v {
			if c -= b.counts[j]; c < 0 {
				return distribution{}, fmt.Errorf("latency %dus taken out %d times, counted %d", v, b.counts[j], a.counts[i])
			}
			j++
		}
		if c > 0 {
			out.values, out.counts = append(out.values, v), append(out.counts, c)
		}
	}
	if j < b.len() {
		return distribution{}, fmt.Errorf("latency %dus taken out, not counted", b.values[j])
	}
	return out, nil
}

// rollupPiece is a rollup row to write, its distribution encoded.
type rollupPiece struct {
	r    rollup
	blob []byte
}

// pieces returns the rows that hold r: one, unless its distribution's
// encoding is larger than maxRollupBlob or its latency sum does not fit a
// row (compaction leaves such a day in several rows); then r is cut by
// latency, its status classes shared out among the pieces and its requests
// without a latency in the first. None for a rollup of no request.
func (r *rollup) pieces() []rollupPiece {
	if r.total == 0 {
		return nil
	}
	if r.sumUS.fitsInt64() {
		if blob := r.appendDist(nil); len(blob) <= maxRollupBlob {
			return []rollupPiece{{*r, blob}}
		}
	}
	const perValue = 20 // the most bytes a value and its count take encoded
	var out []rollupPiece
	classes := r.byClass
	p := rollup{total: r.untimed, untimed: r.untimed}
	var sum uint64
	flush := func() {
		left := p.total
		for k := range classes {
			take := min(classes[k], left)
			p.byClass[k], classes[k], left = take, classes[k]-take, left-take
		}
		p.sumUS = uint128{lo: sum}
		if n := p.dist.len(); n > 0 {
			p.minUS, p.maxUS = p.dist.values[0], p.dist.values[n-1]
		}
		out = append(out, rollupPiece{p, p.appendDist(nil)})
		p, sum = rollup{}, 0
	}
	for i, v := range r.dist.values {
		for c := r.dist.counts[i]; c > 0; {
			take := c
			if v > 0 {
				take = min(c, int64((math.MaxInt64-sum)/uint64(v)))
			}
			if take == 0 || (p.dist.len()+1)*perValue+16 > maxRollupBlob {
				flush()
				continue
			}
			p.dist.values, p.dist.counts = append(p.dist.values, v), append(p.dist.counts, take)
			p.total += take
			sum += uint64(v) * uint64(take)
			c -= take
		}
	}
	if p.total > 0 {
		flush()
	}
	return out
}

// dropSource deletes the ledger rows of source id, which is marked as being
// forgotten and has no raw request left. A source already gone is no error:
// another Forget finished it.
func (ing *Ingester) dropSource(ctx context.Context, d Dialect, id int64) error {
	tx, err := ing.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var offset int64
	err = tx.QueryRowContext(ctx, `SELECT committed_offset FROM logstats_sources WHERE source_id = ?`+d.forUpdate(), id).Scan(&offset)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil
	case err != nil:
		return err
	case offset >= 0:
		return fmt.Errorf("source %d is no longer marked as being forgotten; report this as a bug", id)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM logstats_source_formats WHERE source_id = ?`, id); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM logstats_sources WHERE source_id = ?`, id); err != nil {
		return err
	}
	return tx.Commit()
}
