package logstats

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
)

// compact merges the rollup rows of each touched day into one. It is an
// optimisation for queries: a failure is not an error of the load, and the
// next compaction of that day tries again.
func (ing *Ingester) compact(ctx context.Context, d Dialect, keys map[dayKey]bool) {
	byCustomer := make(map[string][]string)
	for k := range keys {
		byCustomer[k.customer] = append(byCustomer[k.customer], k.date().String())
	}
	_ = ing.compactCustomers(ctx, d, byCustomer)
}

// compactDaysPerTx bounds the days one compaction transaction handles.
const compactDaysPerTx = 400

// compactCustomers compacts the given days of each customer, in
// transactions of at most compactDaysPerTx days (several customers share
// one: a commit costs a log flush on MySQL), in a fixed order so that
// concurrent compactions lock rows in the same order.
func (ing *Ingester) compactCustomers(ctx context.Context, d Dialect, days map[string][]string) error {
	customers := make([]string, 0, len(days))
	for c := range days {
		customers = append(customers, c)
	}
	slices.Sort(customers)
	var group []customerDates
	var groupDays int
	var firstErr error
	flush := func() {
		if len(group) == 0 {
			return
		}
		g := group
		err := ing.retry(ctx, func() error { return compactGroup(ctx, ing.db, d, g) })
		if err != nil && firstErr == nil {
			firstErr = fmt.Errorf("compact %s: %w", g[0].customer, err)
		}
		group, groupDays = nil, 0
	}
	for _, c := range customers {
		dates := days[c]
		slices.Sort(dates)
		for start := 0; start < len(dates); start += compactDaysPerTx {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			chunk := dates[start:min(start+compactDaysPerTx, len(dates))]
			if groupDays+len(chunk) > compactDaysPerTx {
				flush()
			}
			group = append(group, customerDates{c, chunk})
			groupDays += len(chunk)
		}
	}
	flush()
	return firstErr
}

// customerDates are days of one customer.
type customerDates struct {
	customer string
	dates    []string
}

// compactGroup compacts the days of several customers in one transaction.
func compactGroup(ctx context.Context, db *sql.DB, d Dialect, group []customerDates) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	changed := false
	for _, cd := range group {
		c, err := compactDays(ctx, tx, d, cd.customer, cd.dates)
		if err != nil {
			return err
		}
		changed = changed || c
	}
	if !changed {
		return nil // read only: the deferred rollback ends it
	}
	return tx.Commit()
}

// Compact merges the rollup rows of every (customer, day) that has more than
// one into one. Loads compact the days they touch; Compact is for after loads
// were interrupted. Queries give the same answers before and after.
func (ing *Ingester) Compact(ctx context.Context) error {
	return classify(ing.Driver, ing.compactAll(ctx))
}

func (ing *Ingester) compactAll(ctx context.Context) error {
	d, err := resolveDialect(ing.db, ing.Dialect)
	if err != nil {
		return err
	}
	rows, err := ing.db.QueryContext(ctx, `SELECT customer_id, day FROM logstats_rollups
		GROUP BY customer_id, day HAVING COUNT(*) > 1`)
	if err != nil {
		return fmt.Errorf("compact: %w", err)
	}
	defer rows.Close()
	days := make(map[string][]string)
	for rows.Next() {
		var customer string
		var day dayValue
		if err := rows.Scan(&customer, &day); err != nil {
			return fmt.Errorf("compact: %w", err)
		}
		days[customer] = append(days[customer], day.Date.String())
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("compact: %w", err)
	}
	rows.Close()
	return ing.compactCustomers(ctx, d, days)
}

// compactDays replaces the rollup rows of each of a customer's days by their
// merge, in tx, and reports whether it changed anything. It deletes exactly
// the rows it read (locked on MySQL, under the write lock on SQLite), so rows
// that a concurrent load adds are never lost, whatever the isolation level.
func compactDays(ctx context.Context, tx *sql.Tx, d Dialect, customer string, dates []string) (bool, error) {
	args := make([]any, 0, len(dates)+1)
	args = append(args, customer)
	for _, date := range dates {
		args = append(args, date)
	}
	rows, err := tx.QueryContext(ctx, `SELECT day, source_id, seq, `+rollupValueColumns+` FROM logstats_rollups
		WHERE customer_id = ? AND day IN (?`+strings.Repeat(", ?", len(dates)-1)+`)
		ORDER BY day, source_id, seq`+d.forUpdate(), args...)
	if err != nil {
		return false, err
	}
	defer rows.Close()
	type dayRows struct {
		date   string
		keys   []any // source_id, seq of each row
		merged rollup
		blob   []byte // merged.dist encoded
	}
	var all []*dayRows
	byDate := make(map[string]*dayRows)
	for rows.Next() {
		var day dayValue
		var sourceID, seq int64
		var r rollup
		if err := scanRollup(rows, &r, nil, &day, &sourceID, &seq); err != nil {
			return false, err
		}
		// By date, not by run: through a Spider head a day's rows can come
		// apart (see findStats).
		date := day.Date.String()
		cur := byDate[date]
		if cur == nil {
			cur = &dayRows{date: date}
			byDate[date] = cur
			all = append(all, cur)
		}
		cur.keys = append(cur.keys, sourceID, seq)
		cur.merged.merge(&r)
	}
	if err := rows.Err(); err != nil {
		return false, err
	}
	rows.Close()
	var merged []*dayRows
	for _, dr := range all {
		// One row is compact already; a sum or a distribution too large for
		// one row stays split.
		if len(dr.keys) <= 2 || !dr.merged.sumUS.fitsInt64() {
			continue
		}
		if dr.blob = dr.merged.dist.appendBinary(nil); len(dr.blob) <= maxRollupBlob {
			merged = append(merged, dr)
		}
	}
	if len(merged) == 0 {
		return false, nil
	}
	// Delete the merged rows by key, up to perDelete rows a statement, across
	// days: a statement per day would make compaction cost a round trip per
	// day.
	const perDelete = 300
	var keys []any
	deleteKeys := func() error {
		if len(keys) == 0 {
			return nil
		}
		conds := strings.Repeat(" OR (day = ? AND source_id = ? AND seq = ?)", len(keys)/3)[4:]
		_, err := tx.ExecContext(ctx, `DELETE FROM logstats_rollups WHERE customer_id = ? AND (`+conds+`)`,
			append([]any{customer}, keys...)...)
		keys = keys[:0]
		return err
	}
	for _, dr := range merged {
		for i := 0; i < len(dr.keys); i += 2 {
			keys = append(keys, dr.date, dr.keys[i], dr.keys[i+1])
			if len(keys) == 3*perDelete {
				if err := deleteKeys(); err != nil {
					return false, err
				}
			}
		}
	}
	if err := deleteKeys(); err != nil {
		return false, err
	}
	// Insert the merges in statements of at most maxRollupBlob bytes of
	// distributions (at least one row each).
	for start := 0; start < len(merged); {
		end, size := start+1, len(merged[start].blob)
		for end < len(merged) && end-start < maxRollupsPerInsert && size+len(merged[end].blob) <= maxRollupBlob {
			size += len(merged[end].blob)
			end++
		}
		group := merged[start:end]
		err := insertRows(ctx, tx, d, "logstats_rollups", rollupColumns, 14, len(group), len(group), func(i int, args []any) []any {
			return appendRollupArgs(args, customer, group[i].date, 0, 0, &group[i].merged, group[i].blob)
		})
		if err != nil {
			return false, err
		}
		start = end
	}
	return true, nil
}
