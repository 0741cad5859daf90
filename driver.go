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
// the Ingester's BulkLoader.
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

// classify gives err the kind KindUnavailable when it has no kind and drv
// says the database is unreachable; the exported methods return their errors
// through it.
func classify(drv Driver, err error) error {
	if err == nil || drv == nil || KindOf(err) != KindInternal || !drv.Unavailable(err) {
		return err
	}
	return &unavailableError{err}
}

// unavailableError is a driver error that says the database is unreachable.
type unavailableError struct{ err error }

func (e *unavailableError) Error() string   { return e.err.Error() }
func (e *unavailableError) Unwrap() error   { return e.err }
func (e *unavailableError) Kind() ErrorKind { return KindUnavailable }
