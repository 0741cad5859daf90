package spider

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/logstats/logstats"
)

// Guard is what logstats needs to know of a Spider head: it is a
// [logstats.WriteGuard], a [logstats.MigrationGuard] and a
// [logstats.InDoubtReporter], and on a database that is not a Spider head
// each of them does nothing. Package mysql's Driver embeds it, so that a
// head opened with mysql.Open is guarded without a word; set an Ingester's
// Guard to Guard{} for a *sql.DB opened another way.
type Guard struct{}

var (
	_ logstats.WriteGuard      = Guard{}
	_ logstats.MigrationGuard  = Guard{}
	_ logstats.InDoubtReporter = Guard{}
)

// BeforeWrite returns ErrUnsafe when db is a Spider head that cannot commit
// a batch on every shard or on none (checked before every load and prune:
// a head's settings can change while a process lives). On a head, it first
// completes the transactions a dead shard left prepared. Bulk loading is
// off through a head: there LOAD DATA becomes one INSERT a row.
func (Guard) BeforeWrite(ctx context.Context, db *sql.DB) (bulk bool, err error) {
	head, err := IsHead(ctx, db)
	if err != nil || !head {
		return true, err
	}
	if err := checkEngine(ctx, db); err != nil {
		return false, err
	}
	servers, err := checkShardHosts(ctx, db)
	if err != nil {
		return false, err
	}
	_, err = resolveInDoubt(ctx, db, servers)
	return false, err
}

// BeforeMigration refuses, on a Spider head, a migration its shards have
// not recorded: through the head its DDL would change the links, not the
// shards' tables, and recording it would make the first shard skip it.
// [MigrateSharded] runs it on the shards.
func (Guard) BeforeMigration(ctx context.Context, db *sql.DB, name string) error {
	head, err := IsHead(ctx, db)
	if err != nil || !head {
		return err
	}
	return fmt.Errorf("%w: this Spider head's shards lack migration %s: provision the head again over the same shards (MigrateSharded) to migrate them", ErrSetup, name)
}

// InDoubt lists, on a Spider head, the XA branches each shard holds
// prepared (XA RECOVER on the shard, through the head) and the
// transactions the head decided to commit but has not finished; nothing
// on another database.
func (Guard) InDoubt(ctx context.Context, db *sql.DB) ([]logstats.Discrepancy, error) {
	head, err := IsHead(ctx, db)
	if err != nil || !head {
		return nil, err
	}
	return inDoubt(ctx, db)
}
