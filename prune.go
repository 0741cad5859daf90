package logstats

import (
	"context"
	"fmt"
)

// DefaultPruneChunk is how many raw rows one DELETE of Prune removes.
const DefaultPruneChunk = 5000

// PruneResult says what Prune removed.
type PruneResult struct {
	Days     int64 // (customer, day) rollups removed
	Requests int64 // raw requests removed
}

// Prune deletes the raw requests and rollups of the UTC days before before.
// It keeps the source ledger, so reloading an old file does not bring the
// pruned days back. It deletes in small statements, each its own
// transaction, so it never holds locks for long; if it stops half-way, the
// days it did not finish keep their rollups and running it again finishes
// them.
func (ing *Ingester) Prune(ctx context.Context, before Date) (*PruneResult, error) {
	res := &PruneResult{}
	d, err := resolveDialect(ing.db, ing.Dialect)
	if err != nil {
		return res, err
	}
	if before.IsZero() {
		return res, fmt.Errorf("prune: no date given")
	}
	for {
		keys, err := ing.oldDays(ctx, before.String())
		if err != nil {
			return res, fmt.Errorf("prune: %w", err)
		}
		if len(keys) == 0 {
			return res, nil
		}
		for _, k := range keys {
			if err := ing.pruneDay(ctx, d, k.customer, k.day.Date.String(), res); err != nil {
				return res, fmt.Errorf("prune %s %s: %w", k.customer, k.day.Date, err)
			}
		}
	}
}

type customerDay struct {
	customer string
	day      dayValue
}

// oldDays returns up to 500 (customer, day) keys of rollups before before.
func (ing *Ingester) oldDays(ctx context.Context, before string) ([]customerDay, error) {
	rows, err := ing.db.QueryContext(ctx, `SELECT DISTINCT customer_id, day FROM logstats_rollups
		WHERE day < ? ORDER BY customer_id, day LIMIT 500`, before)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var keys []customerDay
	for rows.Next() {
		var k customerDay
		if err := rows.Scan(&k.customer, &k.day); err != nil {
			return nil, err
		}
		keys = append(keys, k)
	}
	return keys, rows.Err()
}

// pruneDay deletes one customer's day: raw rows first, in chunks, then the
// rollups, so that a day whose rollups are gone has no raw rows left.
func (ing *Ingester) pruneDay(ctx context.Context, d Dialect, customer, day string, res *PruneResult) error {
	chunk := DefaultPruneChunk
	query := `DELETE FROM logstats_requests WHERE customer_id = ? AND day = ? LIMIT ?`
	if d == DialectSQLite {
		// SQLite has DELETE ... LIMIT only when built with an option.
		query = `DELETE FROM logstats_requests WHERE (customer_id, day, source_id, src_offset) IN (
			SELECT customer_id, day, source_id, src_offset FROM logstats_requests
			WHERE customer_id = ? AND day = ? LIMIT ?)`
	}
	for {
		r, err := ing.db.ExecContext(ctx, query, customer, day, chunk)
		if err != nil {
			return err
		}
		n, err := r.RowsAffected()
		if err != nil {
			return err
		}
		res.Requests += n
		if n < int64(chunk) {
			break
		}
	}
	r, err := ing.db.ExecContext(ctx, `DELETE FROM logstats_rollups WHERE customer_id = ? AND day = ?`, customer, day)
	if err != nil {
		return err
	}
	if n, err := r.RowsAffected(); err == nil && n > 0 {
		res.Days++
	}
	return nil
}
