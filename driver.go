package logstats

import (
	"database/sql"
)

// A Driver is what logstats must know of a database/sql driver, which it
// does not import: the SQL dialect and what the driver's errors mean.
// Packages github.com/logstats/logstats/mysql and
// github.com/logstats/logstats/sqlite provide one each, and the *sql.DB that
// their Open functions return has it as its driver (db.Driver()), so that
// NewIngester, NewStatsService and Migrate find it by themselves.
//
// A driver that also implements [BulkLoader] (package mysql's does) becomes
// the Ingester's BulkLoader; one that also implements [NoSpaceReporter]
// (both packages' do) tells a full disk from other failures; one that
// implements [WriteGuard], [MigrationGuard] or [InDoubtReporter] (package
// mysql's does) is asked before writes and migrations and by Verify.
type Driver interface {
	// Dialect is the SQL dialect the driver speaks.
	Dialect() Dialect
	// Transient reports whether err is a lock conflict that running the whole
	// transaction again can cure: a deadlock, a lock wait timeout, a busy
	// database.
	Transient(err error) bool
	// Unavailable reports whether err says that the database cannot be
	// reached or the connection to it was lost.
	Unavailable(err error) bool
}

// A NoSpaceReporter is a [Driver] that can tell that an error is the
// database's want of space. It is optional, so that a Driver written before
// it (for a wrapper of one's own, say) goes on compiling: the errors of a
// Driver without it are never [KindNoSpace].
type NoSpaceReporter interface {
	// NoSpace reports whether err says that a write failed because the
	// database's disk, or a table, is full.
	NoSpace(err error) bool
}

// driverOf returns db's Driver, or nil when its driver is not one (a
// *sql.DB opened with sql.Open, say).
func driverOf(db *sql.DB) Driver {
	if db == nil {
		return nil
	}
	d, _ := db.Driver().(Driver)
	return d
}

// transient reports whether drv says err can be cured by a retry.
func transient(drv Driver, err error) bool {
	return drv != nil && drv.Transient(err)
}

// classify gives err, when it has no kind, the kind drv sees in it:
// KindNoSpace when drv is a NoSpaceReporter that says the disk is full,
// KindUnavailable when drv says the database is unreachable. The exported
// methods return their errors through it.
func classify(drv Driver, err error) error {
	if err == nil || drv == nil || KindOf(err) != KindInternal {
		return err
	}
	if ns, ok := drv.(NoSpaceReporter); ok && ns.NoSpace(err) {
		return &driverError{KindNoSpace, err}
	}
	if drv.Unavailable(err) {
		return &driverError{KindUnavailable, err}
	}
	return err
}

// ClassifyError gives err, when it has no kind, the kind db's [Driver] sees
// in it (KindNoSpace, KindUnavailable), as this package's functions do with
// their errors: for packages built on this one that run SQL of their own.
func ClassifyError(db *sql.DB, err error) error { return classify(driverOf(db), err) }

// driverError is a driver error with the kind its Driver sees in it.
type driverError struct {
	kind ErrorKind
	err  error
}

func (e *driverError) Error() string   { return e.err.Error() }
func (e *driverError) Unwrap() error   { return e.err }
func (e *driverError) Kind() ErrorKind { return e.kind }
