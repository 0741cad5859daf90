package logstats

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// touchedDays are the (customer, day)s a load wrote rollup rows for since
// its last compaction, in key order, each with whether one batch or several
// wrote it. They are bounded: a load compacts them once they hold limit
// days, and before a batch's would take them past it, so that its memory
// does not grow with its number of distinct customers.
type touchedDays struct {
	limit   int
	keys    []dayKey
	several []bool // several[i]: keys[i] was written by more than one batch
}

// minTouchedDays is the least limit of touchedDays, whatever the batch
// size.
const minTouchedDays = 1 << 14

// fits reports whether the groups of a batch can be added without going
// past the limit.
func (t *touchedDays) fits(groups *batchRollups) bool {
	return len(t.keys) == 0 || len(t.keys)+groups.len() <= t.limit
}

// full reports whether the days should be compacted now.
func (t *touchedDays) full() bool { return len(t.keys) >= t.limit }

// add records the days of a batch's groups, which are in key order. It
// merges them in place, from the back.
func (t *touchedDays) add(groups *batchRollups) {
	old, n := len(t.keys), groups.len()
	t.keys = slices.Grow(t.keys, n)[:old+n]
	t.several = slices.Grow(t.several, n)[:old+n]
	// t.keys[:i+1] are the old days not merged yet, the groups up to j the
	// new ones; w is where the largest of them goes, never below i.
	i, j, w := old-1, n-1, old+n-1
	for ; j >= 0; w-- {
		k := groups.key(j)
		c := -1
		if i >= 0 {
			c = compareDayKeys(t.keys[i], k)
		}
		switch {
		case c > 0:
			t.keys[w], t.several[w] = t.keys[i], t.several[i]
			i--
		case c == 0:
			t.keys[w], t.several[w] = k, true
			i, j = i-1, j-1
		default:
			t.keys[w], t.several[w] = k, false
			j--
		}
	}
	// A day in both left a gap between the old days not moved and the
	// merged ones.
	if w > i {
		copy(t.several[i+1:], t.several[w+1:])
		n := copy(t.keys[i+1:], t.keys[w+1:])
		clear(t.keys[i+1+n:])
		t.keys, t.several = t.keys[:i+1+n], t.several[:i+1+n]
	}
}

// reset forgets every day.
func (t *touchedDays) reset() {
	clear(t.keys) // drop the customer ids
	t.keys, t.several = t.keys[:0], t.several[:0]
}

func compareDayKeys(a, b dayKey) int {
	if c := strings.Compare(a.customer, b.customer); c != 0 {
		return c
	}
	return cmp.Compare(a.day, b.day)
}

// compact merges the rollup rows of each touched day into one, and resets
// t. It is an optimisation for queries: a failure is not an error of the
// load, and the next compaction of that day tries again.
//
// A day that several batches wrote has several rows. A day that one batch
// wrote has several only if an earlier load or another source wrote it
// too. For a customer with many such days, the compaction's one query for
// the customer finds out; for customers with one or a few, one query for
// up to compactCheckCustomers of them (by day) finds those that have, and
// only those are compacted: a compaction query per customer is what made
// loads of millions of distinct customers slow.
func (ing *Ingester) compact(ctx context.Context, d Dialect, t *touchedDays) {
	defer t.reset()
	_ = ing.markSeveralRows(ctx, t)
	keys := t.keys[:0] // the days to compact, still in key order
	for i, k := range t.keys {
		if t.several[i] {
			keys = append(keys, k)
		}
	}
	_ = ing.compactKeys(ctx, d, keys)
}

// A customer with at least compactCheckDays days that one batch wrote is
// compacted without asking which have several rows.
const compactCheckDays = 8

// compactCheckCustomers is how many customers one query of markSeveralRows
// asks about.
const compactCheckCustomers = 500

// markSeveralRows marks as several the days of t that one batch wrote and
// that have more than one rollup row, and every such day of a customer with
// compactCheckDays of them or more.
func (ing *Ingester) markSeveralRows(ctx context.Context, t *touchedDays) error {
	byDay := make(map[int64][]int32) // indexes in t.keys of the days to ask about, in key order
	for start, end := 0, 0; start < len(t.keys); start = end {
		once := 0
		for end = start; end < len(t.keys) && t.keys[end].customer == t.keys[start].customer; end++ {
			if !t.several[end] {
				once++
			}
		}
		for i := start; i < end; i++ {
			switch {
			case t.several[i]:
			case once >= compactCheckDays:
				t.several[i] = true
			default:
				byDay[t.keys[i].day] = append(byDay[t.keys[i].day], int32(i))
			}
		}
	}
	args := make([]any, 0, 1+compactCheckCustomers)
	for _, day := range slices.Sorted(maps.Keys(byDay)) {
		idx := byDay[day]
		for len(idx) > 0 {
			chunk := idx[:min(len(idx), compactCheckCustomers)]
			idx = idx[len(chunk):]
			args = append(args[:0], t.keys[chunk[0]].date().String())
			for _, i := range chunk {
				args = append(args, t.keys[i].customer)
			}
			if err := ing.markChunk(ctx, t, chunk, args); err != nil {
				return err
			}
		}
	}
	return nil
}

// markChunk asks which of the days of t at chunk, of one day and in key
// order, have more than one rollup row, and marks them; args are the day
// and the customers.
func (ing *Ingester) markChunk(ctx context.Context, t *touchedDays, chunk []int32, args []any) error {
	rows, err := ing.db.QueryContext(ctx, `SELECT customer_id, COUNT(*) FROM logstats_rollups
		WHERE day = ? AND customer_id IN (?`+strings.Repeat(", ?", len(chunk)-1)+`)
		GROUP BY customer_id HAVING COUNT(*) > 1`, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var customer string
		var n int64
		if err := rows.Scan(&customer, &n); err != nil {
			return err
		}
		if j, ok := slices.BinarySearchFunc(chunk, customer, func(i int32, c string) int { return strings.Compare(t.keys[i].customer, c) }); ok {
			t.several[chunk[j]] = true
		}
	}
	return rows.Err()
}

// compactDaysPerTx bounds the days one compaction transaction handles.
const compactDaysPerTx = 400

// compactKeys compacts the given days, sorted by customer and day, in
// transactions of at most compactDaysPerTx days (several customers share
// one: a commit costs a log flush on MySQL; a customer's days share one
// unless they are more), in that order, so that concurrent compactions lock
// rows in the same order.
func (ing *Ingester) compactKeys(ctx context.Context, d Dialect, keys []dayKey) error {
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
	for start, end := 0, 0; start < len(keys); start = end {
		for end = start; end < len(keys) && keys[end].customer == keys[start].customer; end++ {
		}
		for from := start; from < end; from += compactDaysPerTx {
			if err := ctx.Err(); err != nil {
				return err
			}
			chunk := keys[from:min(from+compactDaysPerTx, end)]
			if groupDays+len(chunk) > compactDaysPerTx {
				flush()
			}
			cd := customerDates{customer: chunk[0].customer, dates: make([]string, len(chunk))}
			for i, k := range chunk {
				cd.dates[i] = k.date().String()
			}
			group = append(group, cd)
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
	var keys []dayKey
	for rows.Next() {
		var customer string
		var day dayValue
		if err := rows.Scan(&customer, &day); err != nil {
			return fmt.Errorf("compact: %w", err)
		}
		keys = append(keys, dayKey{customer, daysSinceEpoch(day.Date)})
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("compact: %w", err)
	}
	rows.Close()
	slices.SortFunc(keys, compareDayKeys)
	return ing.compactKeys(ctx, d, keys)
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
	var all []*mergedDay
	byDate := make(map[string]*mergedDay)
	for rows.Next() {
		var day dayValue
		var sourceID, seq int64
		var r rollup
		if err := scanRollup(rows, &r, nil, &day, &sourceID, &seq); err != nil {
			return false, err
		}
		// By date, not by run: through a sharded head (see guard.go) a day's rows
		// can come apart (see findStats).
		date := day.Date.String()
		cur := byDate[date]
		if cur == nil {
			cur = &mergedDay{date: date}
			byDate[date] = cur
			all = append(all, cur)
		}
		cur.keys = append(cur.keys, sourceID, seq)
		cur.merged.mergeCounts(&r)
		cur.dists.add(r.dist)
	}
	if err := rows.Err(); err != nil {
		return false, err
	}
	rows.Close()
	for _, dr := range all {
		dr.merged.dist = dr.dists.result()
	}
	var merged []*mergedDay
	for _, dr := range all {
		// One row is compact already; a sum or a distribution too large for
		// one row stays split.
		if len(dr.keys) <= 2 || !dr.merged.sumUS.fitsInt64() {
			continue
		}
		if dr.blob = dr.merged.appendDist(nil); len(dr.blob) <= maxRollupBlob {
			merged = append(merged, dr)
		}
	}
	if len(merged) == 0 {
		return false, nil
	}
	if err := deleteMerged(ctx, tx, d, customer, merged); err != nil {
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
		err := insertRows(ctx, tx, d, "logstats_rollups", rollupColumns, len(group), len(group), func(i int, args []any) []any {
			return appendRollupArgs(args, customer, group[i].date, 0, 0, &group[i].merged, group[i].blob)
		})
		if err != nil {
			return false, err
		}
		start = end
	}
	return true, nil
}

// mergedDay is a day of a customer whose rollup rows compaction merges: its
// date, the (source_id, seq) of each row read, and their merge.
type mergedDay struct {
	date   string
	keys   []any // source_id, seq of each row
	merged rollup
	dists  distMerger // the rows' distributions, merged into merged.dist once all are read
	blob   []byte     // merged.dist encoded
}

// deleteMerged deletes the rows of the days merged, in tx. On SQLite the
// transaction holds the database's write lock since it read them, so they
// are all of the days' rows: one DELETE by day goes. On MySQL it deletes
// exactly the rows read (locked), up to perDelete a statement across days,
// so that rows a concurrent load added are kept and compaction does not
// cost a round trip a day.
func deleteMerged(ctx context.Context, tx *sql.Tx, d Dialect, customer string, merged []*mergedDay) error {
	if d == DialectSQLite {
		const perDelete = 500
		for start := 0; start < len(merged); start += perDelete {
			part := merged[start:min(start+perDelete, len(merged))]
			args := make([]any, 0, 1+len(part))
			args = append(args, customer)
			for _, dr := range part {
				args = append(args, dr.date)
			}
			if _, err := tx.ExecContext(ctx, `DELETE FROM logstats_rollups WHERE customer_id = ? AND day IN (?`+strings.Repeat(", ?", len(part)-1)+`)`, args...); err != nil {
				return err
			}
		}
		return nil
	}
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
					return err
				}
			}
		}
	}
	return deleteKeys()
}
