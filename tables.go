package logstats

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// The SQL of the two data tables, shared by the write path (ingest.go,
// compact.go, prune.go) and the read path (stats.go). The tables themselves
// are created by the migrations in migrations/.

// requestColumns are the columns of logstats_raw_requests, one row a request.
const requestColumns = "customer_id, source_id, src_offset, ts_us, method, path, status, latency_us"

// dimColumns are the columns of logstats_raw_requests that hold the values
// of a source's dimensions, in the order its ledger row names them.
var dimColumns = [MaxDimensions]string{"dim1", "dim2", "dim3", "dim4"}

// requestColumnsWith returns requestColumns and the first dims dimColumns.
func requestColumnsWith(dims int) string {
	if dims == 0 {
		return requestColumns
	}
	return requestColumns + ", " + strings.Join(dimColumns[:dims], ", ")
}

// batchDimensions returns how many dimensions the entries of a batch
// have: all have as many, read by one Parser.
func batchDimensions(entries []Entry) int {
	if len(entries) == 0 {
		return 0
	}
	return len(entries[0].Dimensions)
}

// insertRequests writes the raw rows of entries, read from source sourceID
// at offsets (one each), with multi-row INSERTs prepared once per statement
// size.
func insertRequests(ctx context.Context, tx *sql.Tx, d Dialect, sourceID int64, entries []Entry, offsets []int64) error {
	columns := requestColumnsWith(batchDimensions(entries))
	return insertRows(ctx, tx, d, "logstats_raw_requests", columns, maxRequestsPerInsert, len(entries), func(i int, args []any) []any {
		e := &entries[i]
		args = append(args, e.CustomerID, sourceID, offsets[i], e.Time.UnixMicro(), e.Method, e.Path, e.Status, e.Latency.Microseconds())
		for _, v := range e.Dimensions {
			args = append(args, v)
		}
		return args
	})
}

// rollupColumns are the columns of logstats_rollups, one row per customer,
// day, source and batch until compaction merges a day's rows into one.
const rollupColumns = "customer_id, day, source_id, seq, total, c1xx, c2xx, c3xx, c4xx, c5xx, latency_sum_us, latency_min_us, latency_max_us, latency_dist"

// appendRollupArgs appends the arguments of one rollup row; dist is r's
// encoded distribution.
func appendRollupArgs(args []any, customer, date string, sourceID, seq int64, r *rollup, dist []byte) []any {
	return append(args, customer, date, sourceID, seq, r.total,
		r.byClass[0], r.byClass[1], r.byClass[2], r.byClass[3], r.byClass[4],
		int64(r.sumUS.lo), r.minUS, r.maxUS, dist)
}

// Rows per INSERT statement. Rollup rows carry blobs, so fewer of them keep
// a statement well under MySQL's max_allowed_packet (16 MiB by default).
const (
	maxRequestsPerInsert = 1000
	maxRollupsPerInsert  = 100
	// maxRollupBlob is the largest distribution compaction writes in one
	// row; a day whose merge would be larger keeps several rows.
	maxRollupBlob = 4 << 20
)

// insertRows inserts n rows in statements of at most maxRows rows; row
// appends the arguments of row i, one for each of the comma-separated
// columns.
func insertRows(ctx context.Context, tx *sql.Tx, d Dialect, table, columns string, maxRows, n int, row func(i int, args []any) []any) error {
	if n == 0 {
		return nil
	}
	cols := strings.Count(columns, ",") + 1
	per := min(maxRows, d.maxParams()/cols, n)
	stmts := make(map[int]*sql.Stmt, 2)
	defer func() {
		for _, s := range stmts {
			s.Close()
		}
	}()
	args := make([]any, 0, per*cols)
	for start := 0; start < n; start += per {
		k := min(per, n-start)
		stmt := stmts[k]
		if stmt == nil {
			var err error
			stmt, err = tx.PrepareContext(ctx, "INSERT INTO "+table+" ("+columns+") VALUES "+placeholders(cols, k))
			if err != nil {
				return fmt.Errorf("prepare insert into %s: %w", table, err)
			}
			stmts[k] = stmt
		}
		args = args[:0]
		for i := start; i < start+k; i++ {
			args = row(i, args)
		}
		if _, err := stmt.ExecContext(ctx, args...); err != nil {
			return fmt.Errorf("insert into %s: %w", table, err)
		}
	}
	return nil
}

// rollupValueColumns are the rollup's values, after its key columns.
const rollupValueColumns = "total, c1xx, c2xx, c3xx, c4xx, c5xx, latency_sum_us, latency_min_us, latency_max_us, latency_dist"

// scanRollupBlob scans rollupValueColumns, preceded by the columns in pre,
// leaving the distribution encoded in blob (valid until the next Scan)
// and r's untimed count to be decoded with it.
func scanRollupBlob(rows *sql.Rows, r *rollup, blob *sql.RawBytes, pre ...any) error {
	var sum int64
	dest := append(pre, &r.total, &r.byClass[0], &r.byClass[1], &r.byClass[2], &r.byClass[3], &r.byClass[4],
		&sum, &r.minUS, &r.maxUS, blob)
	if err := rows.Scan(dest...); err != nil {
		return err
	}
	if r.total < 0 || sum < 0 {
		return fmt.Errorf("%w: negative total or latency sum", ErrCorruptRollup)
	}
	r.sumUS = uint128{lo: uint64(sum)}
	return nil
}

// scanRollup scans rollupValueColumns, preceded by the columns in pre. The
// distribution is carved from arena, if not nil (see decodeDistribution).
func scanRollup(rows *sql.Rows, r *rollup, arena *[]int64, pre ...any) error {
	var blob sql.RawBytes // decoded before the next Scan, so not copied
	if err := scanRollupBlob(rows, r, &blob, pre...); err != nil {
		return err
	}
	dist, untimed, err := decodeDistribution(blob, r.total, arena)
	if err != nil {
		return err
	}
	r.dist, r.untimed = dist, untimed
	return nil
}
