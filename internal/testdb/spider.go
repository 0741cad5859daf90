package testdb

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/logstats/logstats"
	"github.com/logstats/logstats/internal/dsn"
	"github.com/logstats/logstats/mysql"
	"github.com/logstats/logstats/spider"
)

// SpiderEnv returns the variables of the cluster.env that EnvSpider names
// (HEAD_DSN, SHARD_<n>_HOST, ...; see scripts/spider.sh).
func SpiderEnv() (map[string]string, error) {
	path := os.Getenv(EnvSpider)
	if path == "" {
		return nil, fmt.Errorf("%s is not set", EnvSpider)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", EnvSpider, err)
	}
	defer f.Close()
	vars := make(map[string]string)
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), "="); ok {
			vars[k] = v
		}
	}
	return vars, sc.Err()
}

// spiderCluster reads the head's and the shards' DSNs from the cluster.env
// that EnvSpider names.
func spiderCluster() (head dsn.DSN, shards []dsn.DSN, err error) {
	vars, err := SpiderEnv()
	if err != nil {
		return dsn.DSN{}, nil, err
	}
	path := os.Getenv(EnvSpider)
	if head, err = dsn.Parse(vars["HEAD_DSN"]); err != nil {
		return dsn.DSN{}, nil, fmt.Errorf("%s: HEAD_DSN: %w", path, err)
	}
	for _, s := range strings.Split(vars["SHARD_DSNS"], ",") {
		d, err := dsn.Parse(s)
		if err != nil {
			return dsn.DSN{}, nil, fmt.Errorf("%s: SHARD_DSNS: %w", path, err)
		}
		shards = append(shards, d)
	}
	return head, shards, nil
}

// SpiderParts creates a database of a fresh name on the head and on every
// shard of the cluster EnvSpider names, dropped when the test ends, and
// returns them unprovisioned: the head's, and the shards as
// MigrateSharded takes them. It skips the test without a cluster (or
// fails it, with EnvRequireSpider=1).
func SpiderParts(tb testing.TB) (head *DB, shards []spider.Shard) {
	tb.Helper()
	headDSN, shardDSNs, err := spiderCluster()
	if err != nil {
		unavailable(tb, "the Spider cluster", EnvRequireSpider, err, fmt.Sprintf("Start one with scripts/spider.sh start DIR and set %s=DIR/cluster.env", EnvSpider))
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	name := "ls_" + randomHex(6)
	all := append([]dsn.DSN{headDSN}, shardDSNs...)
	for _, server := range all {
		admin, err := dsn.Open(ctx, server)
		if err != nil {
			tb.Fatalf("open the Spider cluster: %v", err)
		}
		_, err = admin.ExecContext(ctx, "CREATE DATABASE "+name)
		admin.Close()
		if err != nil {
			tb.Fatalf("create test database on %s: %v", server.MySQL.Addr, err)
		}
	}
	tb.Cleanup(func() {
		for i, server := range all {
			admin, err := dsn.Open(context.Background(), server)
			if err != nil {
				tb.Logf("drop test database %s on %s: %v", name, server.MySQL.Addr, err)
				continue
			}
			if i == 0 {
				for n := range shardDSNs {
					admin.Exec(fmt.Sprintf("DROP SERVER IF EXISTS %s_shard%d", name, n+1))
				}
			}
			if _, err := admin.Exec("DROP DATABASE " + name); err != nil {
				tb.Logf("drop test database %s on %s: %v", name, server.MySQL.Addr, err)
			}
			admin.Close()
		}
	})
	for _, s := range shardDSNs {
		cfg := s.MySQL.Clone()
		cfg.DBName = name
		sh, err := mysql.ShardConfig(cfg)
		if err != nil {
			tb.Fatal(err)
		}
		tb.Cleanup(func() { sh.DB.Close() })
		shards = append(shards, sh)
	}
	cfg := headDSN.MySQL.Clone()
	cfg.DBName = name
	d := dsn.DSN{Dialect: logstats.DialectMySQL, MySQL: cfg}
	db, err := dsn.Open(ctx, d)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	conn, err := dsn.Connector(d)
	if err != nil {
		tb.Fatal(err)
	}
	return &DB{DB: db, Dialect: logstats.DialectMySQL, Connector: conn, DSN: mysqlURL(cfg), Backend: "spider"}, shards
}

// openSpider returns a fresh database on the head, provisioned over the
// shards with MigrateSharded.
func openSpider(tb testing.TB) *DB {
	tb.Helper()
	head, shards := SpiderParts(tb)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := spider.MigrateSharded(ctx, head.DB, shards); err != nil {
		tb.Fatalf("provision the Spider head: %v", err)
	}
	// What every later process does: finds every migration applied.
	if err := logstats.Migrate(ctx, head.DB); err != nil {
		tb.Fatalf("migrate the Spider head: %v", err)
	}
	return head
}
