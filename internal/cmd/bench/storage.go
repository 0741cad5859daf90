package main

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// storageResult is how much room the same log takes, raw requests kept in
// blocks (the default) and as one SQL row each (-raw rows), in bytes.
type storageResult struct {
	// SQLite: the database file and its -wal, after the runner exited and
	// a wal_checkpoint(TRUNCATE); and the pages of the raw requests' table
	// with its indexes (dbstat), logstats_raw_blocks or
	// logstats_raw_requests.
	SQLiteBlocks, SQLiteRows       int64
	SQLiteBlocksRaw, SQLiteRowsRaw int64
	// MySQL: data_length + index_length after ANALYZE TABLE, of every
	// logstats table the runner filled (blocks) and of its raw blocks
	// table; and of logstats_raw_requests as LOAD DATA filled it for the raw
	// table reference, one row a request (no runner -raw rows load: it would
	// take as long as the runner's load again).
	MySQLBlocks, MySQLBlocksRaw, MySQLRowsRaw int64
}

// The tables that hold the raw requests, per mode.
const (
	blocksTable = "logstats_raw_blocks"
	rowsTable   = "logstats_raw_requests"
)

// sqliteSize checkpoints the SQLite database at path into its main file,
// then returns the size of that file and its -wal, and the bytes of the
// pages of table and its indexes.
func (b *bench) sqliteSize(ctx context.Context, path, table string) (file, raw int64, err error) {
	_, out, err := b.output(ctx, "sqlite3", path, "PRAGMA wal_checkpoint(TRUNCATE)",
		"SELECT coalesce(sum(pgsize), 0) FROM dbstat WHERE name IN (SELECT name FROM sqlite_schema WHERE tbl_name = '"+table+"')")
	if err != nil {
		return 0, 0, err
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if raw, err = strconv.ParseInt(lines[len(lines)-1], 10, 64); err != nil {
		return 0, 0, fmt.Errorf("sqlite3 %s: dbstat of %s: %q", path, table, out)
	}
	for _, suffix := range []string{"", "-wal"} {
		fi, err := os.Stat(path + suffix)
		if err == nil {
			file += fi.Size()
		} else if suffix == "" || !os.IsNotExist(err) {
			return 0, 0, err
		}
	}
	return file, raw, nil
}

// mysqlSizes runs ANALYZE TABLE on the logstats tables of database db and
// returns each one's data_length + index_length.
func (b *bench) mysqlSizes(ctx context.Context, db string) (map[string]int64, error) {
	const q = `SELECT table_name, data_length + index_length FROM information_schema.tables
		WHERE table_schema = '%s' AND table_name LIKE 'logstats\_%%'`
	out, err := b.query(ctx, fmt.Sprintf(q, db))
	if err != nil {
		return nil, fmt.Errorf("tables of %s: %v", db, err)
	}
	var names []string
	for _, line := range strings.Split(out, "\n") {
		if name, _, ok := strings.Cut(line, "\t"); ok {
			names = append(names, name)
		}
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("%s has no logstats table", db)
	}
	if err := b.sql(ctx, db, "ANALYZE TABLE "+strings.Join(names, ", ")); err != nil {
		return nil, err
	}
	if out, err = b.query(ctx, fmt.Sprintf(q, db)); err != nil {
		return nil, fmt.Errorf("sizes of %s: %v", db, err)
	}
	sizes := make(map[string]int64)
	for _, line := range strings.Split(out, "\n") {
		name, size, _ := strings.Cut(line, "\t")
		n, err := strconv.ParseInt(size, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("sizes of %s: %q", db, line)
		}
		sizes[name] = n
	}
	return sizes, nil
}

// mysqlStorage fills the MySQL figures of st from the runner's database
// and the raw table reference's.
func (b *bench) mysqlStorage(ctx context.Context, st *storageResult) error {
	blocks, err := b.mysqlSizes(ctx, "bench_logstats")
	if err != nil {
		return err
	}
	for _, n := range blocks {
		st.MySQLBlocks += n
	}
	st.MySQLBlocksRaw = blocks[blocksTable]
	rows, err := b.mysqlSizes(ctx, "bench_raw")
	if err != nil {
		return err
	}
	st.MySQLRowsRaw = rows[rowsTable]
	return nil
}
