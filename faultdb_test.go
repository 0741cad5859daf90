package logstats_test

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/go-sql-driver/mysql"
	"github.com/logstats/logstats"
	"github.com/logstats/logstats/internal/testdb"
)

// faultConnector wraps a driver.Connector so that a test can make one chosen
// operation fail: the Nth statement whose SQL contains a substring, or the
// Nth commit. It is how the tests cut a connection or fail a statement in
// the middle of a load. When the error is driver.ErrBadConn, the connection
// dies: it is closed (the server rolls back its transaction) and every later
// operation on it fails too.
type faultConnector struct {
	driver.Connector
	mu     sync.Mutex
	match  string // SQL substring, or "COMMIT" for commits
	after  int    // matching operations that succeed before the failure
	seen   int
	err    error // what the failing operation returns
	commit bool  // for COMMIT: commit for real, then report err (outcome unknown)
	fired  bool
	// queries records the SQL text of every statement and the commits.
	queries []string
	// onMatch, when set, is called when the fault fires, before the
	// operation runs (with err nil, the operation then runs normally).
	onMatch func()
	// afterMatch, when set, is called after the operation the fault fired on
	// has run, before database/sql sees its result.
	afterMatch func()
	pending    func()
}

// takePending returns the afterMatch hook if the fault just fired.
func (c *faultConnector) takePending() func() {
	c.mu.Lock()
	defer c.mu.Unlock()
	f := c.pending
	c.pending = nil
	return f
}

// errInjected is the error of an injected statement failure.
var errInjected = errors.New("injected failure")

// transientError returns an error of dialect d's driver that a retry cures,
// as the driver makes it: MySQL's deadlock (1213), SQLite's SQLITE_BUSY.
func transientError(t *testing.T, d logstats.Dialect) error {
	if d == logstats.DialectSQLite {
		return testdb.SQLiteBusy(t)
	}
	return &mysql.MySQLError{Number: 1213, Message: "Deadlock found when trying to get lock; try restarting transaction"}
}

func (c *faultConnector) check(op string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.queries = append(c.queries, op)
	if c.match == "" || c.fired || !strings.Contains(op, c.match) {
		return nil
	}
	if c.seen++; c.seen <= c.after {
		return nil
	}
	c.fired = true
	c.pending = c.afterMatch
	if c.onMatch != nil {
		c.onMatch()
	}
	return c.err
}

func (c *faultConnector) hasFired() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.fired
}

func (c *faultConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return &faultConn{Conn: conn, c: c}, nil
}

func (c *faultConnector) Driver() driver.Driver { return c.Connector.Driver() }

type faultConn struct {
	driver.Conn
	c     *faultConnector
	dead  bool
	stmts map[*faultStmt]bool // open statements, finalised before the conn dies
}

// check fails an operation that the fault selects, or any operation on a
// dead connection.
func (fc *faultConn) check(op string) error {
	if fc.dead {
		return driver.ErrBadConn
	}
	err := fc.c.check(op)
	if errors.Is(err, driver.ErrBadConn) {
		fc.dead = true
		for st := range fc.stmts {
			st.Stmt.Close()
		}
		fc.Conn.Close()
	}
	return err
}

func (fc *faultConn) Close() error {
	if fc.dead {
		return nil
	}
	return fc.Conn.Close()
}

func (fc *faultConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	st, err := fc.Conn.(driver.ConnPrepareContext).PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	fs := &faultStmt{Stmt: st, query: query, conn: fc}
	if fc.stmts == nil {
		fc.stmts = make(map[*faultStmt]bool)
	}
	fc.stmts[fs] = true
	return fs, nil
}

func (fc *faultConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	tx, err := fc.Conn.(driver.ConnBeginTx).BeginTx(ctx, opts)
	if err != nil {
		return nil, err
	}
	return &faultTx{Tx: tx, conn: fc}, nil
}

func (fc *faultConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	if err := fc.check(query); err != nil {
		return nil, err
	}
	res, err := fc.Conn.(driver.ExecerContext).ExecContext(ctx, query, args)
	if after := fc.c.takePending(); after != nil {
		after()
	}
	return res, err
}

func (fc *faultConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	if err := fc.check(query); err != nil {
		return nil, err
	}
	return fc.Conn.(driver.QueryerContext).QueryContext(ctx, query, args)
}

func (fc *faultConn) Ping(ctx context.Context) error {
	if p, ok := fc.Conn.(driver.Pinger); ok {
		return p.Ping(ctx)
	}
	return nil
}

func (fc *faultConn) ResetSession(ctx context.Context) error {
	if r, ok := fc.Conn.(driver.SessionResetter); ok {
		return r.ResetSession(ctx)
	}
	return nil
}

type faultStmt struct {
	driver.Stmt
	query string
	conn  *faultConn
}

func (s *faultStmt) Close() error {
	if s.conn.dead {
		return nil // finalised when the connection died
	}
	delete(s.conn.stmts, s)
	return s.Stmt.Close()
}

func (s *faultStmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	if err := s.conn.check(s.query); err != nil {
		return nil, err
	}
	res, err := s.Stmt.(driver.StmtExecContext).ExecContext(ctx, args)
	if after := s.conn.c.takePending(); after != nil {
		after()
	}
	return res, err
}

func (s *faultStmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	if err := s.conn.check(s.query); err != nil {
		return nil, err
	}
	return s.Stmt.(driver.StmtQueryContext).QueryContext(ctx, args)
}

type faultTx struct {
	driver.Tx
	conn *faultConn
}

func (tx *faultTx) Commit() error {
	if tx.conn.dead {
		return driver.ErrBadConn
	}
	if tx.conn.c.commit {
		// The commit happens, but the client is told it failed.
		if err := tx.conn.c.check("COMMIT"); err != nil {
			if cerr := tx.Tx.Commit(); cerr != nil {
				return cerr
			}
			return err
		}
		return tx.Tx.Commit()
	}
	if err := tx.conn.check("COMMIT"); err != nil {
		return err
	}
	return tx.Tx.Commit()
}

func (tx *faultTx) Rollback() error {
	if tx.conn.dead {
		return driver.ErrBadConn
	}
	return tx.Tx.Rollback()
}

// openFaulty opens a second pool on the same database whose connections fail
// as fc says.
func openFaulty(fc *faultConnector) *sql.DB {
	db := sql.OpenDB(fc)
	db.SetMaxIdleConns(0) // a failed connection must not come back
	return db
}
