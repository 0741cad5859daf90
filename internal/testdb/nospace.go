package testdb

import (
	"bytes"
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/logstats/logstats"
	"github.com/logstats/logstats/sqlite"
)

// SQLiteFull returns a real SQLITE_FULL error of modernc.org/sqlite, made
// by writing past a database's max_page_count (what SQLite returns for a
// full disk too).
func SQLiteFull(tb testing.TB) error {
	tb.Helper()
	db, err := sql.Open("sqlite", filepath.Join(tb.TempDir(), "full.db"))
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1) // the pragma is the connection's
	for _, stmt := range []string{"CREATE TABLE t (x BLOB)", "PRAGMA max_page_count = 3"} {
		if _, err := db.Exec(stmt); err != nil {
			tb.Fatal(err)
		}
	}
	_, err = db.Exec("INSERT INTO t VALUES (zeroblob(100000))")
	if err == nil {
		tb.Fatal("a write past max_page_count succeeded; want SQLITE_FULL")
	}
	return err
}

// NoSpaceError returns dialect d's driver error for a full disk, as the
// driver makes it: SQLite's SQLITE_FULL, MySQL's 1114 (a table that cannot
// grow, what InnoDB answers when its disk is full).
func NoSpaceError(tb testing.TB, d logstats.Dialect) error {
	tb.Helper()
	if d == logstats.DialectSQLite {
		return SQLiteFull(tb)
	}
	return &mysql.MySQLError{Number: 1114, SQLState: [5]byte{'H', 'Y', '0', '0', '0'}, Message: "The table 'logstats_raw_requests' is full"}
}

// CommitFailer is a connector whose commits fail with Err once After of
// them have succeeded, every one after that too, as on a disk that has
// filled up: the transaction is rolled back and Err returned. Its Driver is
// the wrapped connector's, so logstats classifies Err as that driver says.
type CommitFailer struct {
	driver.Connector
	After int
	Err   error

	mu    sync.Mutex
	seen  int
	fired bool
}

// Open returns a pool of the connector's connections, closed when the test
// ends.
func (c *CommitFailer) Open(tb testing.TB) *sql.DB {
	db := sql.OpenDB(c)
	tb.Cleanup(func() { db.Close() })
	return db
}

// Fired reports whether a commit has failed.
func (c *CommitFailer) Fired() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.fired
}

func (c *CommitFailer) fail() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.seen++; c.seen <= c.After {
		return nil
	}
	c.fired = true
	return c.Err
}

func (c *CommitFailer) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return &failConn{conn, c}, nil
}

// failConn passes everything on to its connection, with the optional
// interfaces database/sql looks for, and wraps transactions.
type failConn struct {
	driver.Conn
	c *CommitFailer
}

func (fc *failConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	var tx driver.Tx
	var err error
	if b, ok := fc.Conn.(driver.ConnBeginTx); ok {
		tx, err = b.BeginTx(ctx, opts)
	} else {
		tx, err = fc.Conn.Begin()
	}
	if err != nil {
		return nil, err
	}
	return &failTx{tx, fc.c}, nil
}

func (fc *failConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	if p, ok := fc.Conn.(driver.ConnPrepareContext); ok {
		return p.PrepareContext(ctx, query)
	}
	return fc.Conn.Prepare(query)
}

func (fc *failConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	if e, ok := fc.Conn.(driver.ExecerContext); ok {
		return e.ExecContext(ctx, query, args)
	}
	return nil, driver.ErrSkip
}

func (fc *failConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	if q, ok := fc.Conn.(driver.QueryerContext); ok {
		return q.QueryContext(ctx, query, args)
	}
	return nil, driver.ErrSkip
}

func (fc *failConn) CheckNamedValue(nv *driver.NamedValue) error {
	if c, ok := fc.Conn.(driver.NamedValueChecker); ok {
		return c.CheckNamedValue(nv)
	}
	return driver.ErrSkip
}

func (fc *failConn) Ping(ctx context.Context) error {
	if p, ok := fc.Conn.(driver.Pinger); ok {
		return p.Ping(ctx)
	}
	return nil
}

func (fc *failConn) ResetSession(ctx context.Context) error {
	if r, ok := fc.Conn.(driver.SessionResetter); ok {
		return r.ResetSession(ctx)
	}
	return nil
}

func (fc *failConn) IsValid() bool {
	v, ok := fc.Conn.(driver.Validator)
	return !ok || v.IsValid()
}

type failTx struct {
	driver.Tx
	c *CommitFailer
}

func (tx *failTx) Commit() error {
	if err := tx.c.fail(); err != nil {
		tx.Tx.Rollback()
		return err
	}
	return tx.Tx.Commit()
}

// SmallDiskSize is the size of a SmallDisk's tmpfs.
const SmallDiskSize = "1m"

// A SmallDisk is an SQLite database, migrated, on a disk that a load fills
// up: a tmpfs of SmallDiskSize that the test mounts (as root, on Linux),
// or, where mounting is not permitted, a database whose connections cap it
// at a few hundred KiB with max_page_count, which SQLite answers with the
// same SQLITE_FULL as a full disk. Grow frees space.
type SmallDisk struct {
	// Path is the database file.
	Path string
	// Tmpfs says whether the database is on a tmpfs; otherwise it is
	// capped by max_page_count, which only its own connections (Open's)
	// obey.
	Tmpfs bool
	dir   string
	pages int64 // the cap, or 0
}

// ForEachSmallDisk runs fn in a subtest per kind of SmallDisk: "tmpfs"
// (which falls back to a capped database, and says so, where mounting is
// not permitted) and "max_page_count".
func ForEachSmallDisk(t *testing.T, fn func(t *testing.T, disk *SmallDisk)) {
	t.Helper()
	for _, tmpfs := range []bool{true, false} {
		name := "tmpfs"
		if !tmpfs {
			name = "max_page_count"
		}
		t.Run(name, func(t *testing.T) { fn(t, NewSmallDisk(t, tmpfs)) })
	}
}

// NewSmallDisk makes a SmallDisk: on a tmpfs if tmpfs is true and mounting
// is permitted (unmounted when the test ends), else capped. It logs which
// kind it made, and why it fell back.
func NewSmallDisk(tb testing.TB, tmpfs bool) *SmallDisk {
	tb.Helper()
	d := &SmallDisk{dir: tb.TempDir()}
	d.Path = filepath.Join(d.dir, "logstats.db")
	if tmpfs {
		out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+SmallDiskSize, "tmpfs", d.dir).CombinedOutput()
		if err == nil {
			d.Tmpfs = true
			// Registered after TempDir's removal, so run before it; the
			// pools, opened later, are closed before it.
			tb.Cleanup(func() {
				if out, err := exec.Command("umount", d.dir).CombinedOutput(); err != nil {
					tb.Errorf("umount %s: %v: %s", d.dir, err, out)
				}
			})
			tb.Logf("a %s tmpfs at %s", SmallDiskSize, d.dir)
		} else {
			tb.Logf("cannot mount a tmpfs (%v: %s); falling back to a database capped by max_page_count, which fails with the same SQLITE_FULL", err, bytes.TrimSpace(out))
		}
	}
	db := d.Open(tb)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := logstats.Migrate(ctx, db.DB); err != nil {
		tb.Fatalf("migrate %s: %v", d.Path, err)
	}
	if !d.Tmpfs {
		if err := db.QueryRowContext(ctx, "PRAGMA page_count").Scan(&d.pages); err != nil {
			tb.Fatal(err)
		}
		d.pages += 150 // 600 KiB of 4 KiB pages
	}
	return d
}

// Open returns a new pool on the database, closed when the test ends.
func (d *SmallDisk) Open(tb testing.TB) *DB {
	tb.Helper()
	c, err := sqlite.NewConnector(d.Path)
	if err != nil {
		tb.Fatal(err)
	}
	if d.pages > 0 {
		c = cappedConnector{c, d.pages}
	}
	db := sql.OpenDB(c)
	db.SetMaxOpenConns(8) // as sqlite.Open's
	db.SetMaxIdleConns(8)
	tb.Cleanup(func() { db.Close() })
	dsn := ""
	if d.Tmpfs {
		dsn = "sqlite://" + d.Path
	}
	return &DB{DB: db, Dialect: logstats.DialectSQLite, Connector: c, DSN: dsn, Backend: "sqlite"}
}

// Grow frees space: the tmpfs is remounted 64 times larger, or the cap
// lifted from the pools that Open returns from now on.
func (d *SmallDisk) Grow(tb testing.TB) {
	tb.Helper()
	if !d.Tmpfs {
		d.pages = 0
		return
	}
	if out, err := exec.Command("mount", "-o", "remount,size=64m", d.dir).CombinedOutput(); err != nil {
		tb.Fatalf("remount %s larger: %v: %s", d.dir, err, out)
	}
}

// cappedConnector caps each new connection's database at pages pages.
type cappedConnector struct {
	driver.Connector
	pages int64
}

func (c cappedConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := conn.(driver.ExecerContext).ExecContext(ctx, fmt.Sprintf("PRAGMA max_page_count = %d", c.pages), nil); err != nil {
		conn.Close()
		return nil, err
	}
	return conn, nil
}
