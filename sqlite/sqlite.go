// Package sqlite opens SQLite databases for logstats, through the pure-Go
// modernc.org/sqlite, with the settings that let a loader and a server share
// one file: write-ahead logging, a busy timeout and transactions that take
// the write lock when they begin.
//
//	db, err := sqlite.Open("logstats.db")
//	...
//	ing := logstats.NewIngester(db)
//
// The *sql.DB that Open returns has a [Driver] as its driver, from which
// logstats takes the dialect and the classification of errors (a busy or
// locked database is retried).
package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"strings"
	"syscall"

	"modernc.org/sqlite"

	"github.com/logstats/logstats"
)

// params are the connection settings: wait up to 10 s for a lock instead of
// failing at once, pages of 8 KiB in a new database (a file that exists
// keeps its own: the pragma changes nothing once a table exists),
// write-ahead logging (readers do not block the writer), synchronous=NORMAL
// (durable at each checkpoint, safe against corruption, a commit costs no
// fsync), and BEGIN IMMEDIATE, so that a transaction that will write takes
// the lock first instead of failing to upgrade a read lock. 8 KiB pages
// hold more of a block of raw requests each than 4 KiB ones: a load of 10M
// lines took 7.0 s against 8.0 s (scripts/bench.sh's log, median of 2).
//
// The page size must come before the journal mode, which materialises the
// file: modernc.org/sqlite runs the _pragma list sorted by name, and
// _journal_mode after it.
const params = "?_pragma=busy_timeout(10000)&_pragma=page_size(8192)&_pragma=synchronous(NORMAL)&_journal_mode=WAL&_txlock=immediate"

// Open returns a pool of connections to the SQLite database file at path,
// created if it does not exist, with the settings above. It does no I/O;
// Ping to check that the file can be opened.
func Open(path string) (*sql.DB, error) {
	c, err := NewConnector(path)
	if err != nil {
		return nil, err
	}
	db := sql.OpenDB(c)
	// One writer at a time anyway; a few readers.
	db.SetMaxOpenConns(8)
	db.SetMaxIdleConns(8)
	return db, nil
}

// NewConnector returns a connector to the database at path whose Driver is
// a [Driver], for sql.OpenDB with pool settings of one's own.
func NewConnector(path string) (driver.Connector, error) {
	if path == "" || strings.ContainsAny(path, "?#") {
		return nil, fmt.Errorf("sqlite: path %q: want a file name without ? or #", path)
	}
	return connector{path + params}, nil
}

type connector struct{ dsn string }

func (c connector) Connect(context.Context) (driver.Conn, error) { return Driver{}.Open(c.dsn) }
func (connector) Driver() driver.Driver                          { return Driver{} }

// Driver is modernc.org/sqlite's driver with what logstats must know of it:
// it is a [logstats.Driver].
type Driver struct{}

// Open opens a connection; name is a file name with modernc.org/sqlite's
// query parameters.
func (Driver) Open(name string) (driver.Conn, error) { return (&sqlite.Driver{}).Open(name) }

// Dialect returns logstats.DialectSQLite.
func (Driver) Dialect() logstats.Dialect { return logstats.DialectSQLite }

// Result codes logstats tells apart (the primary code, the low byte of an
// extended one).
const (
	codeBusy   = 5  // SQLITE_BUSY: another connection holds the lock
	codeLocked = 6  // SQLITE_LOCKED: a conflict within the connection's cache
	codeFull   = 13 // SQLITE_FULL: a write found the disk full
)

// Transient reports whether err is SQLITE_BUSY or SQLITE_LOCKED: the busy
// timeout ran out, and running the transaction again can cure it.
func (Driver) Transient(err error) bool {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return false
	}
	code := se.Code() & 0xff
	return code == codeBusy || code == codeLocked
}

// Unavailable reports false: a local file does not go away as a server does.
func (Driver) Unavailable(error) bool { return false }

// NoSpace reports whether err is SQLITE_FULL, which SQLite returns when a
// write to the database or its write-ahead log finds the disk full (or the
// database at its max_page_count), or wraps the system's ENOSPC. SQLite's
// Unix VFS turns a write that fails with ENOSPC into SQLITE_FULL; where it
// does not (growing the -shm file: SQLITE_IOERR_SHMSIZE), the error does
// not say why (modernc.org/sqlite's Error carries no errno), so an
// SQLITE_IOERR is never taken for a full disk.
func (Driver) NoSpace(err error) bool {
	var se *sqlite.Error
	if errors.As(err, &se) && se.Code()&0xff == codeFull {
		return true
	}
	return errors.Is(err, syscall.ENOSPC)
}
