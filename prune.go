package logstats

import (
	"context"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
)

// DefaultPruneChunk is the default of Ingester.PruneChunk.
const DefaultPruneChunk = 5000

// PruneResult says what Prune removed.
type PruneResult struct {
	Days     int64 // (customer, day) rollups removed
	Requests int64 // raw requests removed
}

// Prune deletes the raw requests and rollups of the days before before, in
// the database's day zone.
// It keeps the source ledger, so reloading an old file does not bring the
// pruned days back. It deletes in small statements, each its own
// transaction, so it never holds locks for long; if it stops half-way, the
// days it did not finish keep their rollups and running it again finishes
// them.
func (ing *Ingester) Prune(ctx context.Context, before Date) (*PruneResult, error) {
	res, err := ing.prune(ctx, before)
	return res, classify(ing.Driver, err)
}

func (ing *Ingester) prune(ctx context.Context, before Date) (*PruneResult, error) {
	res := &PruneResult{}
	if before.IsZero() {
		return res, fmt.Errorf("prune: no date given")
	}
	d, err := resolveDialect(ing.db, ing.Dialect)
	if err != nil {
		return res, fmt.Errorf("prune: %w", err)
	}
	if _, err := ing.beforeWrite(ctx, d); err != nil {
		return res, fmt.Errorf("prune: %w", err)
	}
	store, err := openRawStore(ctx, ing.db, d) // its day zone too
	if err != nil {
		return res, fmt.Errorf("prune: %w", err)
	}
	beforeUS := dayStart(before, store.zone).UnixMicro()
	for {
		keys, err := ing.oldDays(ctx, before.String())
		if err != nil {
			return res, fmt.Errorf("prune: %w", err)
		}
		if len(keys) == 0 {
			return res, nil
		}
		// Raw rows first, customer by customer, then the rollups of the
		// customer's old days: a day whose rollups are gone has no raw rows
		// left.
		for i, k := range keys {
			if i == 0 || keys[i-1].customer != k.customer {
				var err error
				switch store.mode {
				case RawRows:
					err = ing.pruneRequests(ctx, k.customer, beforeUS, res)
				case RawBlocks:
					err = ing.pruneBlocks(ctx, d, k.customer, before.String(), res)
				}
				if err != nil {
					return res, fmt.Errorf("prune %s: %w", k.customer, err)
				}
			}
			if err := ing.pruneRollups(ctx, k.customer, k.day.Date.String(), res); err != nil {
				return res, fmt.Errorf("prune %s %s: %w", k.customer, k.day.Date, err)
			}
		}
		if err := ing.touchLedger(ctx); err != nil {
			return res, fmt.Errorf("prune: %w", err)
		}
	}
}

// touchLedger moves every source's updated_us past the latest one, which
// tells caches of stats (StatsService.CacheFor) that rollups changed.
func (ing *Ingester) touchLedger(ctx context.Context) error {
	var latest int64
	if err := ing.db.QueryRowContext(ctx, `SELECT COALESCE(MAX(updated_us), 0) FROM logstats_sources`).Scan(&latest); err != nil {
		return err
	}
	_, err := ing.db.ExecContext(ctx, `UPDATE logstats_sources SET updated_us = ?`, max(ing.now().UnixMicro(), latest+1))
	return err
}

type customerDay struct {
	customer string
	day      dayValue
}

// oldDays returns up to 500 (customer, day) keys of rollups before before.
// A GROUP BY with a count, not a DISTINCT: through a sharded head (see
// guard.go), a DISTINCT read as a loose index scan over the partitions returns the
// first partition's keys only (MariaDB 10.11).
func (ing *Ingester) oldDays(ctx context.Context, before string) ([]customerDay, error) {
	rows, err := ing.db.QueryContext(ctx, `SELECT customer_id, day, COUNT(*) FROM logstats_rollups
		WHERE day < ? GROUP BY customer_id, day ORDER BY customer_id, day LIMIT 500`, before)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var keys []customerDay
	for rows.Next() {
		var k customerDay
		var n int64
		if err := rows.Scan(&k.customer, &k.day, &n); err != nil {
			return nil, err
		}
		keys = append(keys, k)
	}
	return keys, rows.Err()
}

// pruneRequests deletes a customer's raw rows older than beforeUS. The raw
// table's key is (customer, source, offset), in which old rows are scattered,
// so it walks the key with a cursor: each step selects the keys of up to
// PruneChunk old rows after the cursor, then deletes them by key range
// per source, so every statement is bounded and the walk reads each row once.
func (ing *Ingester) pruneRequests(ctx context.Context, customer string, beforeUS int64, res *PruneResult) error {
	chunk := ing.PruneChunk
	if chunk <= 0 {
		chunk = DefaultPruneChunk
	}
	var curSource, curOffset int64 = math.MinInt64, math.MinInt64
	for {
		rows, err := ing.db.QueryContext(ctx, `SELECT source_id, src_offset FROM logstats_raw_requests
			WHERE customer_id = ? AND (source_id > ? OR (source_id = ? AND src_offset > ?)) AND ts_us < ?
			ORDER BY source_id, src_offset LIMIT ?`,
			customer, curSource, curSource, curOffset, beforeUS, chunk)
		if err != nil {
			return err
		}
		type span struct{ source, first, last int64 }
		var spans []span
		n := 0
		for rows.Next() {
			var src, off int64
			if err := rows.Scan(&src, &off); err != nil {
				rows.Close()
				return err
			}
			if len(spans) == 0 || spans[len(spans)-1].source != src {
				spans = append(spans, span{src, off, off})
			}
			spans[len(spans)-1].last = off
			n++
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, sp := range spans {
			k, err := ing.pruneSpan(ctx, customer, sp.source, sp.first, sp.last, beforeUS)
			if err != nil {
				return err
			}
			res.Requests += k
			curSource, curOffset = sp.source, sp.last
		}
		if n < chunk {
			return nil
		}
	}
}

// pruneSpan deletes the raw requests of customer from source at offsets
// first to last, before beforeUS, and counts them in the source's ledger
// row, in one transaction: Verify expects a source's raw requests to be
// those committed less those pruned.
func (ing *Ingester) pruneSpan(ctx context.Context, customer string, source, first, last, beforeUS int64) (int64, error) {
	tx, err := ing.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	// Counted, not taken from the DELETE's rows affected: through a sharded
	// head a DELETE reports 0 (MariaDB 10.11). The rows are locked until
	// the commit, so the count is what the DELETE removes.
	const where = `WHERE customer_id = ? AND source_id = ? AND src_offset BETWEEN ? AND ? AND ts_us < ?`
	var k int64
	d, err := resolveDialect(ing.db, ing.Dialect)
	if err != nil {
		return 0, err
	}
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM logstats_raw_requests `+where+d.forUpdate(),
		customer, source, first, last, beforeUS).Scan(&k); err != nil {
		return 0, err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM logstats_raw_requests `+where, customer, source, first, last, beforeUS); err != nil {
		return 0, err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE logstats_sources SET pruned_requests = pruned_requests + ? WHERE source_id = ?`, k, source); err != nil {
		return 0, err
	}
	return k, tx.Commit()
}

// pruneBlocksChunk is how many blocks one transaction of pruneBlocks
// removes.
const pruneBlocksChunk = 100

// pruneBlocks deletes a customer's blocks of days before before, up to
// pruneBlocksChunk a transaction, and counts their requests as pruned in
// their sources' ledger rows in the same transaction (Verify expects a
// source's raw requests to be those committed less those pruned).
func (ing *Ingester) pruneBlocks(ctx context.Context, d Dialect, customer, before string, res *PruneResult) error {
	for {
		n, err := ing.pruneBlocksTx(ctx, d, customer, before, res)
		if err != nil || n < pruneBlocksChunk {
			return err
		}
	}
}

func (ing *Ingester) pruneBlocksTx(ctx context.Context, d Dialect, customer, before string, res *PruneResult) (int, error) {
	tx, err := ing.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	rows, err := tx.QueryContext(ctx, `SELECT day, source_id, first_offset, requests FROM logstats_raw_blocks
		WHERE customer_id = ? AND day < ? ORDER BY day, source_id, first_offset LIMIT `+fmt.Sprint(pruneBlocksChunk)+d.forUpdate(),
		customer, before)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	var keys []any
	pruned := make(map[int64]int64)
	for rows.Next() {
		var day dayValue
		var source, first, n int64
		if err := rows.Scan(&day, &source, &first, &n); err != nil {
			return 0, err
		}
		keys = append(keys, day.Date.String(), source, first)
		pruned[source] += n
	}
	if err := rows.Err(); err != nil {
		return 0, err
	}
	rows.Close()
	if len(keys) == 0 {
		return 0, nil
	}
	conds := strings.Repeat(" OR (day = ? AND source_id = ? AND first_offset = ?)", len(keys)/3)[4:]
	if _, err := tx.ExecContext(ctx, `DELETE FROM logstats_raw_blocks WHERE customer_id = ? AND (`+conds+`)`, append([]any{customer}, keys...)...); err != nil {
		return 0, err
	}
	var total int64
	for _, source := range slices.Sorted(maps.Keys(pruned)) { // in order: concurrent prunes lock alike
		n := pruned[source]
		if _, err := tx.ExecContext(ctx, `UPDATE logstats_sources SET pruned_requests = pruned_requests + ? WHERE source_id = ?`, n, source); err != nil {
			return 0, err
		}
		total += n
	}
	if err := tx.Commit(); err != nil {
		return 0, err
	}
	res.Requests += total
	return len(keys) / 3, nil
}

// pruneRollups deletes the rollups of one customer's day.
func (ing *Ingester) pruneRollups(ctx context.Context, customer, day string, res *PruneResult) error {
	// Counted, locked, in the DELETE's transaction (see pruneSpan): another
	// prune may have removed the day since oldDays found it.
	d, err := resolveDialect(ing.db, ing.Dialect)
	if err != nil {
		return err
	}
	tx, err := ing.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var n int64
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM logstats_rollups WHERE customer_id = ? AND day = ?`+d.forUpdate(), customer, day).Scan(&n); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM logstats_rollups WHERE customer_id = ? AND day = ?`, customer, day); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	if n > 0 {
		res.Days++
	}
	return nil
}
