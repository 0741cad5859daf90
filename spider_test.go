package logstats_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/DATA-DOG/go-sqlmock"

	"github.com/logstats/logstats"
	"github.com/logstats/logstats/internal/testdb"
)

// TestMigrateSharded provisions a Spider head over the cluster's shards:
// twice (the second run changes nothing), after which a load spreads the
// requests over every shard and Verify finds the head consistent. It
// refuses, creating nothing on the head, shards that share a host and a
// head that already holds local logstats tables (what Migrate alone would
// have made there).
func TestMigrateSharded(t *testing.T) {
	ctx := context.Background()
	t.Run("OK", func(t *testing.T) {
		head, shards := testdb.SpiderParts(t)
		for range 2 {
			if err := logstats.MigrateSharded(ctx, head.DB, shards); err != nil {
				t.Fatal(err)
			}
		}
		if err := logstats.Migrate(ctx, head.DB); err != nil {
			t.Fatalf("Migrate on the provisioned head: %v", err)
		}
		mustLoad(t, newIngester(head, 700), "a.log", genLog(t, 3000, 21, 0))
		for i, s := range shards {
			var n int
			if err := s.DB.QueryRow(`SELECT COUNT(*) FROM logstats_raw_requests`).Scan(&n); err != nil || n == 0 {
				t.Errorf("shard %d holds %d raw requests (%v), want some", i+1, n, err)
			}
		}
		var ledger int
		if err := shards[0].DB.QueryRow(`SELECT COUNT(*) FROM logstats_sources`).Scan(&ledger); err != nil || ledger != 1 {
			t.Errorf("the first shard's ledger holds %d sources (%v), want 1", ledger, err)
		}
		rep, err := logstats.Verify(ctx, head.DB, logstats.VerifyOptions{})
		if err != nil || !rep.OK() || rep.Requests != 3000 {
			t.Fatalf("Verify: %+v, %v", rep, err)
		}
		// The shards in another order would point the links elsewhere (the
		// ledger at an empty shard), and fewer would lose a partition.
		swapped := []logstats.Shard{shards[1], shards[0], shards[2]}
		for _, other := range [][]logstats.Shard{swapped, shards[:2]} {
			if err := logstats.MigrateSharded(ctx, head.DB, other); !errors.Is(err, logstats.ErrSpiderSetup) {
				t.Errorf("MigrateSharded over other shards: %v, want ErrSpiderSetup", err)
			}
		}
		// A migration the shards lack is refused through the head, which
		// would change the links and record it on the first shard only.
		if _, err := head.DB.Exec(`DELETE FROM logstats_migrations WHERE version = 6`); err != nil {
			t.Fatal(err)
		}
		if err := logstats.Migrate(ctx, head.DB); !errors.Is(err, logstats.ErrSpiderSetup) {
			t.Fatalf("Migrate on a head with a migration missing: %v, want ErrSpiderSetup", err)
		}
	})
	t.Run("SameHost", func(t *testing.T) {
		head, shards := testdb.SpiderParts(t)
		shards[1].Host = shards[0].Host
		err := logstats.MigrateSharded(ctx, head.DB, shards)
		if !errors.Is(err, logstats.ErrSpiderUnsafe) || logstats.KindOf(err) != logstats.KindUnavailable {
			t.Fatalf("err = %v, want ErrSpiderUnsafe", err)
		}
		checkNoTables(t, head)
	})
	t.Run("LocalTablesOnTheHead", func(t *testing.T) {
		head, shards := testdb.SpiderParts(t)
		if err := logstats.Migrate(ctx, head.DB); err != nil {
			t.Fatal(err)
		}
		err := logstats.MigrateSharded(ctx, head.DB, shards)
		if !errors.Is(err, logstats.ErrSpiderSetup) || logstats.KindOf(err) != logstats.KindInvalid {
			t.Fatalf("err = %v, want ErrSpiderSetup", err)
		}
		var spider int
		head.DB.QueryRow(`SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND ENGINE = 'SPIDER'`).Scan(&spider)
		if spider != 0 {
			t.Fatalf("%d Spider tables created next to the local ones", spider)
		}
	})
}

// checkNoTables fails unless db's database holds no table.
func checkNoTables(t *testing.T, db *testdb.DB) {
	t.Helper()
	var n int
	if err := db.DB.QueryRow(`SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("the head holds %d tables (%v), want none", n, err)
	}
}

// TestIngester_SpiderUnsafe: a load through a Spider head with
// spider_internal_xa off is refused before anything is written (a mock, as
// the setting is global to the head the other tests share).
func TestIngester_SpiderUnsafe(t *testing.T) {
	db, mock, err := sqlmock.New()
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	mock.ExpectQuery(`SELECT COALESCE\(ENGINE, ''\) FROM information_schema.TABLES`).WillReturnRows(sqlmock.NewRows([]string{"engine"}).AddRow("SPIDER"))
	mock.ExpectQuery(`SELECT SUPPORT FROM information_schema.ENGINES`).WillReturnRows(sqlmock.NewRows([]string{"support"}).AddRow("YES"))
	mock.ExpectQuery(`SELECT @@spider_internal_xa`).WillReturnRows(sqlmock.NewRows([]string{"xa"}).AddRow(0))
	ing := logstats.NewIngester(db)
	ing.Dialect = logstats.DialectMySQL
	_, err = ing.Load(context.Background(), "a.log", strings.NewReader("2024-10-01 10:00:00 c /a 200 0.1\n"), logstats.LoadOptions{})
	if !errors.Is(err, logstats.ErrSpiderUnsafe) || logstats.KindOf(err) != logstats.KindUnavailable {
		t.Fatalf("err = %v, want ErrSpiderUnsafe", err)
	}
	if err := mock.ExpectationsWereMet(); err != nil {
		t.Fatal(err)
	}
}

// TestMigrateSharded_HeadRefused: a head without the Spider engine, with
// it disabled, or with spider_internal_xa off is refused before anything
// is created on it or on the shards (mocks: the cluster's head has the
// engine and the setting on, and they are global to it).
func TestMigrateSharded_HeadRefused(t *testing.T) {
	for _, c := range []struct {
		name    string
		support *sqlmock.Rows
		xa      *sqlmock.Rows
	}{
		{"NoEngine", sqlmock.NewRows([]string{"support"}), nil},
		{"EngineDisabled", sqlmock.NewRows([]string{"support"}).AddRow("NO"), nil},
		{"InternalXAOff", sqlmock.NewRows([]string{"support"}).AddRow("YES"), sqlmock.NewRows([]string{"xa"}).AddRow(0)},
	} {
		t.Run(c.name, func(t *testing.T) {
			head, mock, err := sqlmock.New()
			if err != nil {
				t.Fatal(err)
			}
			defer head.Close()
			shard, shardMock, err := sqlmock.New()
			if err != nil {
				t.Fatal(err)
			}
			defer shard.Close()
			mock.ExpectQuery(`SELECT SUPPORT FROM information_schema.ENGINES`).WillReturnRows(c.support)
			if c.xa != nil {
				mock.ExpectQuery(`SELECT @@spider_internal_xa`).WillReturnRows(c.xa)
			}
			shards := []logstats.Shard{{DB: shard, Host: "127.0.0.2", Port: 3308, User: "u", Database: "d"}}
			err = logstats.MigrateSharded(context.Background(), head, shards)
			if !errors.Is(err, logstats.ErrSpiderUnsafe) {
				t.Fatalf("err = %v, want ErrSpiderUnsafe", err)
			}
			for _, m := range []sqlmock.Sqlmock{mock, shardMock} {
				if err := m.ExpectationsWereMet(); err != nil {
					t.Fatal(err)
				}
			}
			t.Logf("refused: %v", err)
		})
	}
}
