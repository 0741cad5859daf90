// Package mysql opens MySQL and MariaDB databases for logstats, through
// github.com/go-sql-driver/mysql, and tells logstats what that driver's
// errors mean.
//
//	db, err := mysql.Open("log_user:pw@tcp(localhost:3306)/log_db")
//	...
//	ing := logstats.NewIngester(db) // MySQL dialect, LOAD DATA, retries
//
// The *sql.DB that Open returns has a [Driver] as its driver, from which
// logstats takes the dialect, the classification of errors (a deadlock or a
// lock wait timeout is retried; a lost connection is [logstats.KindUnavailable])
// and bulk loading with LOAD DATA LOCAL INFILE, streamed from memory.
package mysql

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"time"

	gomysql "github.com/go-sql-driver/mysql"

	"github.com/logstats/logstats"
	"github.com/logstats/logstats/spider"
)

// Timeouts that Open sets unless the DSN sets them: dialling fails fast when
// the server is down, and a connection whose peer stops answering (a network
// cut that drops packets) fails instead of hanging a request or a load.
const (
	DialTimeout  = 5 * time.Second
	ReadTimeout  = 30 * time.Second
	WriteTimeout = 30 * time.Second
)

// Open returns a pool of connections to the database dsn names, in the
// driver's syntax (USER:PASSWORD@tcp(HOST:PORT)/DBNAME?PARAMS), with the
// timeouts above where dsn sets none and pool limits for a small server. It
// does no I/O; Ping to check that the database answers.
func Open(dsn string) (*sql.DB, error) {
	cfg, err := gomysql.ParseDSN(dsn)
	if err != nil {
		return nil, fmt.Errorf("mysql: %w", err)
	}
	return OpenConfig(cfg)
}

// OpenConfig is Open for a parsed configuration, which it does not modify.
func OpenConfig(cfg *gomysql.Config) (*sql.DB, error) {
	c, err := NewConnector(cfg)
	if err != nil {
		return nil, err
	}
	db := sql.OpenDB(c)
	// At most 16 connections a process, so that a few servers and runners
	// stay well inside MySQL's default max_connections (151); 8 kept idle
	// for bursts of queries. Connections are replaced after 30 minutes and
	// dropped after 5 idle ones, well before the server's wait_timeout or a
	// proxy's idle cut closes them under us; a pooled connection that died
	// anyway is discarded by database/sql on its first error, so the pool
	// recovers by itself after an outage.
	db.SetMaxOpenConns(16)
	db.SetMaxIdleConns(8)
	db.SetConnMaxLifetime(30 * time.Minute)
	db.SetConnMaxIdleTime(5 * time.Minute)
	return db, nil
}

// NewConnector returns a connector for cfg (with Open's default timeouts)
// whose Driver is a [Driver], for sql.OpenDB with pool settings of one's own.
//
// Its TCP connections notice within a second or so that the server closed
// them while a statement was being sent, such as a LOAD DATA LOCAL whose
// connection was killed, instead of waiting for the write timeout (see
// watchedConn). It dials with cfg.DialFunc when that is set; a dial
// function registered for "tcp" with RegisterDialContext is not used: set
// cfg.DialFunc instead.
func NewConnector(cfg *gomysql.Config) (driver.Connector, error) {
	cfg = WithDefaults(cfg)
	if cfg.Net == "tcp" {
		cfg.DialFunc = watchClosing(cfg.DialFunc)
	}
	c, err := gomysql.NewConnector(cfg)
	if err != nil {
		return nil, fmt.Errorf("mysql: %w", err)
	}
	return connector{c}, nil
}

// WithDefaults returns a copy of cfg with the timeouts above where cfg sets
// none.
func WithDefaults(cfg *gomysql.Config) *gomysql.Config {
	cfg = cfg.Clone()
	if cfg.Timeout == 0 {
		cfg.Timeout = DialTimeout
	}
	if cfg.ReadTimeout == 0 {
		cfg.ReadTimeout = ReadTimeout
	}
	if cfg.WriteTimeout == 0 {
		cfg.WriteTimeout = WriteTimeout
	}
	return cfg
}

type connector struct{ driver.Connector }

func (connector) Driver() driver.Driver { return Driver{} }

// probeEvery is how long a write may block before watchedConn checks
// whether the server has closed the connection.
const probeEvery = time.Second

// errServerClosed is the error of a write that the server will never read.
var errServerClosed = errors.New("the server closed the connection while a statement was being sent (was it killed?)")

// watchClosing wraps dial (a net.Dialer's when nil) so that the TCP
// connections it makes are watchedConns.
func watchClosing(dial func(ctx context.Context, network, addr string) (net.Conn, error)) func(ctx context.Context, network, addr string) (net.Conn, error) {
	if dial == nil {
		var d net.Dialer
		dial = d.DialContext
	}
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		conn, err := dial(ctx, network, addr)
		tc, ok := conn.(*net.TCPConn)
		if err != nil || !ok {
			return conn, err
		}
		tc.SetKeepAlive(true) // as the driver does for the *net.TCPConn it no longer sees
		return &watchedConn{TCPConn: tc}, nil
	}
}

// A watchedConn is a TCP connection to the server whose writes, when one
// has blocked for probeEvery, look whether the server has closed the
// connection (or answered, which it does only once it stopped reading the
// statement) and fail at once if so. Without it, a LOAD DATA LOCAL whose
// connection is killed can hang until the write timeout (30 s): MariaDB
// closes the connection without reading what the client had sent, its
// side of the socket keeps a full receive window and neither reads nor
// resets, so the client's writes block while the only sign of the close,
// the server's FIN, waits unread (the driver reads nothing until it has
// sent the whole file). A server that is merely slow to read sends nothing,
// and the write goes on waiting until its deadline.
type watchedConn struct {
	*net.TCPConn
	mu                          sync.Mutex
	readDeadline, writeDeadline time.Time // as the driver set them
}

func (c *watchedConn) Write(b []byte) (int, error) {
	written := 0
	for {
		c.mu.Lock()
		deadline := c.writeDeadline
		c.mu.Unlock()
		slice := time.Now().Add(probeEvery)
		if !deadline.IsZero() && deadline.Before(slice) {
			slice = deadline
		}
		if err := c.TCPConn.SetWriteDeadline(slice); err != nil {
			return written, err
		}
		n, err := c.TCPConn.Write(b[written:])
		written += n
		if err == nil || !errors.Is(err, os.ErrDeadlineExceeded) {
			return written, err
		}
		if !deadline.IsZero() && !slice.Before(deadline) {
			return written, err // the driver's own deadline
		}
		if c.serverClosed() {
			return written, &net.OpError{Op: "write", Net: "tcp", Source: c.LocalAddr(), Addr: c.RemoteAddr(), Err: errServerClosed}
		}
	}
}

// serverClosed reports whether the server has closed the connection or
// sent something: a read that waits a millisecond returns end of file or
// data. (A deadline already past would fail the read without trying it.)
// What it reads is lost, which does not matter: the write that asked then
// fails, and the driver discards the connection.
func (c *watchedConn) serverClosed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.TCPConn.SetReadDeadline(time.Now().Add(time.Millisecond)); err != nil {
		return false
	}
	var b [1]byte
	n, err := c.TCPConn.Read(b[:])
	c.TCPConn.SetReadDeadline(c.readDeadline)
	return n > 0 || errors.Is(err, io.EOF)
}

func (c *watchedConn) SetDeadline(t time.Time) error {
	c.mu.Lock()
	c.readDeadline, c.writeDeadline = t, t
	c.mu.Unlock()
	return c.TCPConn.SetDeadline(t)
}

func (c *watchedConn) SetReadDeadline(t time.Time) error {
	c.mu.Lock()
	c.readDeadline = t
	c.mu.Unlock()
	return c.TCPConn.SetReadDeadline(t)
}

func (c *watchedConn) SetWriteDeadline(t time.Time) error {
	c.mu.Lock()
	c.writeDeadline = t
	c.mu.Unlock()
	return c.TCPConn.SetWriteDeadline(t)
}

// Driver is go-sql-driver/mysql's driver with what logstats must know of
// it: it is a [logstats.Driver] and a [logstats.BulkLoader], and, through
// [spider.Guard], a [logstats.WriteGuard], a [logstats.MigrationGuard] and
// a [logstats.InDoubtReporter] that keep a MariaDB Spider head's loads,
// migrations and Verify safe (and do nothing on any other database).
type Driver struct {
	gomysql.MySQLDriver
	spider.Guard
}

// Dialect returns logstats.DialectMySQL.
func (Driver) Dialect() logstats.Dialect { return logstats.DialectMySQL }

// Server error numbers logstats tells apart.
const (
	errLockWaitTimeout    = 1205  // ER_LOCK_WAIT_TIMEOUT
	errDeadlock           = 1213  // ER_LOCK_DEADLOCK
	errUnknown            = 1105  // ER_UNKNOWN_ERROR, which Vitess uses for what it does not support
	errNotAllowed         = 1148  // ER_NOT_ALLOWED_COMMAND: LOAD DATA LOCAL disabled
	errNotSupportedYet    = 1235  // ER_NOT_SUPPORTED_YET
	errLocalFilesDisabled = 3948  // ER_CLIENT_LOCAL_FILES_DISABLED
	errInfileCapability   = 3950  // ER_LOAD_INFILE_CAPABILITY_DISABLED
	errForeignSource      = 1429  // ER_CONNECT_TO_FOREIGN_DATA_SOURCE: a Spider head cannot reach a shard
	errNetReadError       = 1158  // ER_NET_READ_ERROR: a Spider head lost a shard mid-statement
	errNetReadInterrupted = 1159  // ER_NET_READ_INTERRUPTED
	errNetWriteError      = 1160  // ER_NET_ERROR_ON_WRITE
	errNetWriteInterrupt  = 1161  // ER_NET_WRITE_INTERRUPTED
	errSpiderGoneAway     = 12701 // Spider: the remote server has gone away
	errSpiderXIDExists    = 12605 // Spider: "This xid already exists": the head reused the id of a transaction a dead shard made it abandon
	errConnRefused        = 2003  // CR_CONN_HOST_ERROR, as a proxy relays it
	errServerGone         = 2006  // CR_SERVER_GONE_ERROR, as a proxy relays it
	errServerLost         = 2013  // CR_SERVER_LOST, as a proxy relays it
	errWrite              = 3     // EE_WRITE, a mysys error: "Error writing file ... (Errcode: N ...)"
	errDiskFullMysys      = 20    // EE_DISK_FULL, a mysys error: "Disk is full writing ..."
	errDiskFull           = 1021  // ER_DISK_FULL: a storage engine's write failed with ENOSPC
	errErrorOnWrite       = 1026  // ER_ERROR_ON_WRITE: "Error writing file ... (errno: N ...)"
	errGetErrno           = 1030  // ER_GET_ERRNO: "Got error N ... from storage engine"
	errRecordFileFull     = 1114  // ER_RECORD_FILE_FULL: "The table ... is full" (InnoDB cannot extend its tablespace)
	errDiskFullNoWait     = 3675  // ER_DISK_FULL_NOWAIT (MySQL 8): a tablespace cannot be created or extended, the disk is full
)

// errnoNoSpace matches the operating system's error 28, ENOSPC, as the
// server quotes it in the messages of the errors that carry an errno:
// MariaDB's "(errno: 28 "No space left on device")", "(Errcode: 28 ...)"
// and "Got error 28 ...", MySQL's "(OS errno 28 - No space left on device)".
var errnoNoSpace = regexp.MustCompile(`(?i)\b(errno|errcode|got error):? 28\b`)

// number returns the server error number of err, or 0.
func number(err error) uint16 {
	var me *gomysql.MySQLError
	if errors.As(err, &me) {
		return me.Number
	}
	return 0
}

// Transient reports whether err is a deadlock (1213), a lock wait timeout
// (1205), or a Spider head's "This xid already exists" (12605: the head
// gave a new transaction the XA id of one it abandoned when a shard died,
// and gives the next one another), which running the transaction again
// can cure.
func (Driver) Transient(err error) bool {
	n := number(err)
	return n == errDeadlock || n == errLockWaitTimeout || n == errSpiderXIDExists
}

// Unavailable reports whether err says that the server cannot be reached or
// the connection was lost: the driver's bad or invalid connection, a network
// error, the client errors 2003, 2006 and 2013 relayed by a proxy, or a
// Spider head's errors for a shard it cannot reach or lost (1429, 1158 to
// 1161, 12701): "shard unavailable".
func (Driver) Unavailable(err error) bool {
	switch number(err) {
	case errConnRefused, errServerGone, errServerLost,
		errForeignSource, errNetReadError, errNetReadInterrupted, errNetWriteError, errNetWriteInterrupt, errSpiderGoneAway:
		return true
	}
	var netErr net.Error
	return errors.Is(err, driver.ErrBadConn) || errors.Is(err, gomysql.ErrInvalidConn) ||
		errors.As(err, &netErr) || errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET)
}

// NoSpace reports whether err says that the server ran out of space: a
// full disk (1021, MySQL's 3675, the mysys error 20), a table that cannot
// grow (1114), or a write that failed with ENOSPC (the mysys error 3, 1026
// and 1030, when the errno they quote is 28).
func (Driver) NoSpace(err error) bool {
	var me *gomysql.MySQLError
	if !errors.As(err, &me) {
		return false
	}
	switch me.Number {
	case errDiskFull, errRecordFileFull, errDiskFullNoWait, errDiskFullMysys:
		return true
	case errWrite, errErrorOnWrite, errGetErrno:
		return errnoNoSpace.MatchString(me.Message)
	}
	return false
}

// LoadData registers r with the driver under a name unique to this call,
// executes stmt with that name as the file, and unregisters it. The server
// must allow LOAD DATA LOCAL (local_infile=ON, MariaDB's default; MySQL 8
// defaults to OFF); when it does not, the Ingester falls back to INSERTs.
func (Driver) LoadData(ctx context.Context, tx *sql.Tx, stmt func(file string) string, r io.Reader) (sql.Result, error) {
	// The driver's registry is process-wide; the reader's address makes the
	// name unique among the loads in flight.
	name := fmt.Sprintf("logstats-%p", r)
	gomysql.RegisterReaderHandler(name, func() io.Reader { return r })
	defer gomysql.DeregisterReaderHandler(name)
	return tx.ExecContext(ctx, stmt("Reader::"+name))
}

// LoadDataRefused reports whether err says that LOAD DATA LOCAL is not
// allowed: 1148, 3948 or 3950, or a statement the engine does not support
// (1235, or Vitess's 1105 saying so).
func (Driver) LoadDataRefused(err error) bool {
	switch number(err) {
	case errNotAllowed, errLocalFilesDisabled, errInfileCapability, errNotSupportedYet:
		return true
	case errUnknown:
		msg := err.Error()
		return strings.Contains(msg, "not supported") || strings.Contains(msg, "not allowed")
	}
	return false
}

// Shard opens the MariaDB server dsn names (in the driver's syntax) as a
// shard of a Spider head, for spider.MigrateSharded: its database, and
// the host, port, user, password and database the head reaches it with.
// The host must be one the head can reach, and the shards' hosts distinct.
func Shard(dsn string) (spider.Shard, error) {
	cfg, err := gomysql.ParseDSN(dsn)
	if err != nil {
		return spider.Shard{}, fmt.Errorf("mysql: shard: %w", err)
	}
	return ShardConfig(cfg)
}

// ShardConfig is Shard for a parsed configuration, which must be TCP.
func ShardConfig(cfg *gomysql.Config) (spider.Shard, error) {
	if cfg.Net != "tcp" {
		return spider.Shard{}, fmt.Errorf("mysql: shard %s: a Spider head reaches its shards over TCP; give the shard's host and port", cfg.Addr)
	}
	host, port, err := net.SplitHostPort(cfg.Addr)
	if err != nil {
		return spider.Shard{}, fmt.Errorf("mysql: shard %s: %w", cfg.Addr, err)
	}
	p, err := net.LookupPort("tcp", port)
	if err != nil {
		return spider.Shard{}, fmt.Errorf("mysql: shard %s: %w", cfg.Addr, err)
	}
	db, err := OpenConfig(cfg)
	if err != nil {
		return spider.Shard{}, err
	}
	return spider.Shard{DB: db, Host: host, Port: p, User: cfg.User, Password: cfg.Passwd, Database: cfg.DBName}, nil
}
