package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// duckdbOutput is what scripts/duckdb/load.mjs prints.
type duckdbOutput struct {
	Rows    int64  `json:"rows"`
	DuckDB  string `json:"duckdb"`  // DuckDB's version()
	Package string `json:"package"` // @duckdb/node-api's version
}

// duckdb times node running scripts/duckdb/load.mjs, which reads the log
// with read_csv into a table of a new DuckDB database file: the whole
// process, node's start to its exit. It fails unless the table holds
// lines rows.
func (b *bench) duckdb(ctx context.Context, logPath string, lines int) (time.Duration, error) {
	db := filepath.Join(b.cfg.work, "duckdb.db")
	removeDuckDB(db)
	defer removeDuckDB(db)
	d, out, err := b.duckdbRun(ctx, db, logPath)
	if err != nil {
		return 0, err
	}
	if out.Rows != int64(lines) {
		return 0, fmt.Errorf("DuckDB read %d rows of %s, want %d", out.Rows, logPath, lines)
	}
	return d, nil
}

// duckdbVersion loads a one-line log, which tells whether node finds
// DuckDB at all, and returns the versions that load.mjs reports.
func (b *bench) duckdbVersion(ctx context.Context) (string, error) {
	logPath := filepath.Join(b.cfg.work, "duckdb-version.log")
	if err := os.WriteFile(logPath, []byte("2024-10-01 00:00:00 cust_1 /v1/items 200 0.010\n"), 0o644); err != nil {
		return "", err
	}
	defer os.Remove(logPath)
	db := filepath.Join(b.cfg.work, "duckdb-version.db")
	removeDuckDB(db)
	defer removeDuckDB(db)
	_, out, err := b.duckdbRun(ctx, db, logPath)
	if err != nil {
		return "", fmt.Errorf("DuckDB (node %s): %w", b.cfg.duckdb, err)
	}
	if out.Rows != 1 {
		return "", fmt.Errorf("DuckDB read %d rows of a one-line log", out.Rows)
	}
	return fmt.Sprintf("DuckDB %s (npm @duckdb/node-api %s)", out.DuckDB, out.Package), nil
}

func (b *bench) duckdbRun(ctx context.Context, db, logPath string) (time.Duration, duckdbOutput, error) {
	var out duckdbOutput
	d, stdout, err := b.output(ctx, "node", b.cfg.duckdb, db, logPath)
	if err != nil {
		return 0, out, err
	}
	if err := json.Unmarshal(stdout, &out); err != nil {
		return 0, out, fmt.Errorf("node %s: %v in %q", b.cfg.duckdb, err, strings.TrimSpace(string(stdout)))
	}
	return d, out, nil
}

func removeDuckDB(path string) {
	os.Remove(path)
	os.Remove(path + ".wal")
}
