package testdb

import (
	"bytes"
	"context"
	"database/sql"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/logstats/logstats"
	"github.com/logstats/logstats/internal/loggen"
)

// Build builds the main package in the current directory into a temporary
// directory and returns the binary's path.
func Build(tb testing.TB, name string) string {
	tb.Helper()
	bin := filepath.Join(tb.TempDir(), name)
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		tb.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// WriteLog generates a log of the seed's shape with n lines (a few in a
// thousand malformed) as dir/big.log and returns its path.
func WriteLog(tb testing.TB, dir string, n int, seed uint64) string {
	tb.Helper()
	return WriteLogAs(tb, dir, "logstats", n, seed)
}

// WriteLogAs is WriteLog in a format of examples/loggen ("nginx", "jsonl",
// ...), written to dir/big.log.
func WriteLogAs(tb testing.TB, dir, format string, n int, seed uint64) string {
	tb.Helper()
	path := filepath.Join(dir, "big.log")
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	cfg := loggen.DefaultConfig()
	cfg.Lines, cfg.Seed, cfg.MalformedRate, cfg.Format = n, seed, 0.001, format
	if err := loggen.Write(f, cfg); err != nil {
		tb.Fatal(err)
	}
	if err := f.Close(); err != nil {
		tb.Fatal(err)
	}
	return path
}

// CommittedOffset returns the largest byte offset any source has committed.
func CommittedOffset(tb testing.TB, db *sql.DB) int64 {
	tb.Helper()
	var off sql.NullInt64
	if err := db.QueryRow(`SELECT MAX(committed_offset) FROM logstats_sources`).Scan(&off); err != nil {
		tb.Fatal(err)
	}
	return off.Int64
}

// LoadFile loads the log at path into db, as the reference state a test
// compares with, and fails the test on any error.
func LoadFile(tb testing.TB, db *sql.DB, path string) *logstats.LoadResult {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	res, err := logstats.NewIngester(db).Load(context.Background(), filepath.Base(path), f, logstats.LoadOptions{Growing: true})
	if err != nil {
		tb.Fatalf("load %s: %v", path, err)
	}
	return res
}

// SQLiteBusy returns a real SQLITE_BUSY error of modernc.org/sqlite,
// provoked by writing to a database file that another connection holds the
// write lock on, with no busy timeout: a fault test injects it where a busy
// database would fail a statement.
func SQLiteBusy(tb testing.TB) error {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "busy.db")
	open := func() *sql.DB {
		db, err := sql.Open("sqlite", path)
		if err != nil {
			tb.Fatal(err)
		}
		db.SetMaxOpenConns(1)
		tb.Cleanup(func() { db.Close() })
		return db
	}
	holder, writer := open(), open()
	if _, err := holder.Exec("CREATE TABLE t (x INTEGER)"); err != nil {
		tb.Fatal(err)
	}
	tx, err := holder.Begin()
	if err != nil {
		tb.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.Exec("INSERT INTO t VALUES (1)"); err != nil {
		tb.Fatal(err)
	}
	_, err = writer.Exec("INSERT INTO t VALUES (2)")
	if err == nil {
		tb.Fatal("a second writer got the lock; want SQLITE_BUSY")
	}
	return err
}

// A SyncBuffer is a bytes.Buffer that a process's output, or a logger in
// another goroutine, can write to while the test reads it.
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
