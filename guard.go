package logstats

import (
	"context"
	"database/sql"
)

// The guards below let a sharded head (a database server whose tables are
// links to tables on other servers, its shards, partitioned across them)
// keep the guarantees of a single database. A [Driver] that implements them
// is used without a word (package mysql's does, for the heads of MariaDB
// clusters); each is optional.

// A WriteGuard vets a database before each load and prune.
type WriteGuard interface {
	// BeforeWrite is called at the start of each load and prune, before
	// anything is written. An error refuses the operation and is returned
	// as it is: give it a kind (KindUnavailable for a setup that cannot
	// write atomically). bulk false keeps the load from using the
	// Ingester's BulkLoader.
	BeforeWrite(ctx context.Context, db *sql.DB) (bulk bool, err error)
}

// A MigrationGuard vets a migration before [Migrate] applies it.
type MigrationGuard interface {
	// BeforeMigration is called before a migration that db has not recorded
	// is applied; name is its file name. An error refuses it, and Migrate
	// returns it.
	BeforeMigration(ctx context.Context, db *sql.DB, name string) error
}

// An InDoubtReporter tells [Verify] of transactions prepared and not yet
// decided beyond those the server itself lists (XA RECOVER), such as those
// of the servers a database's tables link to.
type InDoubtReporter interface {
	// InDoubt lists them, each a Discrepancy of kind "in-doubt" with its XID.
	// Verify reports those it finds again after VerifyOptions.InDoubtWait.
	InDoubt(ctx context.Context, db *sql.DB) ([]Discrepancy, error)
}
