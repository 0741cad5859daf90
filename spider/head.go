package spider

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
)

// checkEngine returns ErrUnsafe unless db has the Spider engine
// with spider_internal_xa on.
func checkEngine(ctx context.Context, db *sql.DB) error {
	var support string
	err := db.QueryRowContext(ctx, `SELECT SUPPORT FROM information_schema.ENGINES WHERE ENGINE = 'SPIDER'`).Scan(&support)
	if errors.Is(err, sql.ErrNoRows) || err == nil && support != "YES" && support != "DEFAULT" {
		return fmt.Errorf("%w: the server has no Spider engine; install it (Debian: mariadb-plugin-spider) and run INSTALL SONAME 'ha_spider', or start it with --plugin-load-add=ha_spider", ErrUnsafe)
	}
	if err != nil {
		return err
	}
	var xa, idType int
	if err := db.QueryRowContext(ctx, `SELECT @@spider_internal_xa, @@spider_internal_xa_id_type`).Scan(&xa, &idType); err != nil {
		return err
	}
	if xa != 1 {
		return fmt.Errorf("%w: spider_internal_xa is OFF, so a shard that dies while a batch commits can keep half of it (and the ledger the other half): set spider_internal_xa=ON in the head's configuration (or start it with --spider-internal-xa=ON)", ErrUnsafe)
	}
	if idType != 1 {
		return fmt.Errorf("%w: spider_internal_xa_id_type is %d, so a session's XA transactions all have one id, and a transaction a dead shard left cannot be told from the session's next one: set spider_internal_xa_id_type=1 in the head's configuration (or start it with --spider-internal-xa-id-type=1)", ErrUnsafe, idType)
	}
	return nil
}

// IsHead reports whether db is a Spider head: whether its raw requests
// are a Spider table. A database without them (not migrated yet) is not.
func IsHead(ctx context.Context, db *sql.DB) (bool, error) {
	var engine string
	err := db.QueryRowContext(ctx, `SELECT COALESCE(ENGINE, '') FROM information_schema.TABLES
		WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'logstats_raw_requests'`).Scan(&engine)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return strings.EqualFold(engine, "SPIDER"), err
}

// checkShardHosts returns the head's server definitions for this
// database (MigrateSharded's), or ErrUnsafe when two of them have
// the same host.
func checkShardHosts(ctx context.Context, db *sql.DB) ([]serverDefinition, error) {
	servers, err := headServers(ctx, db)
	if err != nil {
		return nil, fmt.Errorf("%w: read the head's server definitions (mysql.servers): %v; grant the user SELECT on mysql.servers", ErrUnsafe, err)
	}
	seen := make(map[string]string)
	for _, s := range servers {
		if other, dup := seen[s.host]; dup {
			return nil, fmt.Errorf("%w: the shards %s and %s are both on host %s; Spider's XA tells shards apart by host, not port: give each its own address and provision a new database over them",
				ErrUnsafe, other, s.name, s.host)
		}
		seen[s.host] = s.name
	}
	return servers, nil
}

// headServers returns the head's server definitions of the shards of db's
// database.
func headServers(ctx context.Context, db queryer) ([]serverDefinition, error) {
	var name string
	if err := db.QueryRowContext(ctx, `SELECT DATABASE()`).Scan(&name); err != nil {
		return nil, err
	}
	return serverDefinitions(ctx, db, name)
}
