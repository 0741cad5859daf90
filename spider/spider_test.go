package spider_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/DATA-DOG/go-sqlmock"

	"github.com/logstats/logstats"
	"github.com/logstats/logstats/internal/testdb"
	"github.com/logstats/logstats/mysql"
	"github.com/logstats/logstats/spider"
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
			if err := spider.MigrateSharded(ctx, head.DB, shards); err != nil {
				t.Fatal(err)
			}
		}
		if err := logstats.Migrate(ctx, head.DB); err != nil {
			t.Fatalf("Migrate on the provisioned head: %v", err)
		}
		testdb.MustLoad(t, testdb.NewIngester(head, 700), "a.log", testdb.GenLog(t, "logstats", 3000, 21, 0))
		for i, s := range shards {
			if n := testdb.RawRequests(t, s.DB); n == 0 {
				t.Errorf("shard %d holds no raw requests, want some", i+1)
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
		swapped := []spider.Shard{shards[1], shards[0], shards[2]}
		for _, other := range [][]spider.Shard{swapped, shards[:2]} {
			if err := spider.MigrateSharded(ctx, head.DB, other); !errors.Is(err, spider.ErrSetup) {
				t.Errorf("MigrateSharded over other shards: %v, want ErrSpiderSetup", err)
			}
		}
		// A migration that adds a column to the shards' tables, as 0010
		// did: provisioning again links the head to the new column, and
		// loads and Verify go on.
		for _, sh := range shards {
			if _, err := sh.DB.Exec(`ALTER TABLE logstats_raw_requests ADD COLUMN later_col INT NOT NULL DEFAULT 0`); err != nil {
				t.Fatal(err)
			}
		}
		if err := spider.MigrateSharded(ctx, head.DB, shards); err != nil {
			t.Fatalf("MigrateSharded after a column was added to the shards: %v", err)
		}
		var linked int
		if err := head.DB.QueryRow(`SELECT COUNT(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'logstats_raw_requests' AND COLUMN_NAME = 'later_col'`).Scan(&linked); err != nil || linked != 1 {
			t.Fatalf("the head's link of logstats_raw_requests has later_col %d times (%v), want once", linked, err)
		}
		testdb.MustLoad(t, testdb.NewIngester(head, 700), "b.log", testdb.GenLog(t, "logstats", 500, 22, 0))
		if rep, err := logstats.Verify(ctx, head.DB, logstats.VerifyOptions{}); err != nil || !rep.OK() || rep.Requests != 3500 {
			t.Fatalf("Verify after the new column: %+v, %v", rep, err)
		}
		// A migration the shards lack is refused through the head, which
		// would change the links and record it on the first shard only.
		if _, err := head.DB.Exec(`DELETE FROM logstats_migrations WHERE version = 6`); err != nil {
			t.Fatal(err)
		}
		if err := logstats.Migrate(ctx, head.DB); !errors.Is(err, spider.ErrSetup) {
			t.Fatalf("Migrate on a head with a migration missing: %v, want ErrSpiderSetup", err)
		}
	})
	t.Run("SameHost", func(t *testing.T) {
		head, shards := testdb.SpiderParts(t)
		shards[1].Host = shards[0].Host
		err := spider.MigrateSharded(ctx, head.DB, shards)
		if !errors.Is(err, spider.ErrUnsafe) || logstats.KindOf(err) != logstats.KindUnavailable {
			t.Fatalf("err = %v, want spider.ErrUnsafe", err)
		}
		checkNoTables(t, head)
	})
	t.Run("LocalTablesOnTheHead", func(t *testing.T) {
		head, shards := testdb.SpiderParts(t)
		if err := logstats.Migrate(ctx, head.DB); err != nil {
			t.Fatal(err)
		}
		err := spider.MigrateSharded(ctx, head.DB, shards)
		if !errors.Is(err, spider.ErrSetup) || logstats.KindOf(err) != logstats.KindInvalid {
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

// TestIngester_SpiderUnsafe: a load through a Spider head, guarded, with
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
	mock.ExpectQuery(`SELECT @@spider_internal_xa`).WillReturnRows(sqlmock.NewRows([]string{"xa", "id_type"}).AddRow(0, 1))
	ing := logstats.NewIngester(db)
	ing.Dialect = logstats.DialectMySQL
	ing.Guard = spider.Guard{} // a mock's driver is not package mysql's
	_, err = ing.Load(context.Background(), "a.log", strings.NewReader("2024-10-01 10:00:00 c /a 200 0.1\n"), logstats.LoadOptions{})
	if !errors.Is(err, spider.ErrUnsafe) || logstats.KindOf(err) != logstats.KindUnavailable {
		t.Fatalf("err = %v, want spider.ErrUnsafe", err)
	}
	if err := mock.ExpectationsWereMet(); err != nil {
		t.Fatal(err)
	}
}

// TestMigrateSharded_HeadRefused: a head without the Spider engine, with
// it disabled, with spider_internal_xa off, or with one XA id per session
// (spider_internal_xa_id_type=0) is refused before anything
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
		{"InternalXAOff", sqlmock.NewRows([]string{"support"}).AddRow("YES"), sqlmock.NewRows([]string{"xa", "id_type"}).AddRow(0, 1)},
		{"OneXAIDPerSession", sqlmock.NewRows([]string{"support"}).AddRow("YES"), sqlmock.NewRows([]string{"xa", "id_type"}).AddRow(1, 0)},
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
			shards := []spider.Shard{{DB: shard, Host: "127.0.0.2", Port: 3308, User: "u", Database: "d"}}
			err = spider.MigrateSharded(context.Background(), head, shards)
			if !errors.Is(err, spider.ErrUnsafe) {
				t.Fatalf("err = %v, want spider.ErrUnsafe", err)
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

// TestSpider_SettlesOnlyAbandoned: a load through a head settles the XA
// transactions of the head's record whose session has left its COMMIT
// statement, as the record says (a COMMIT committed on its members, a NOT
// YET rolled back), and leaves alone one whose session is still in a
// statement: it may be a commit in flight, and forgetting its record would
// break it. It rolls back a branch of the head's that a shard holds
// prepared and the record does not know, and leaves another application's
// alone. The records are made by hand, with branches prepared on shard 1.
func TestSpider_SettlesOnlyAbandoned(t *testing.T) {
	db := testdb.OpenBackend(t, "spider")
	vars, err := testdb.SpiderEnv()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	shard := openShard(t, vars, "1", db)
	if _, err := shard.Exec(`CREATE TABLE xa_probe (v INT PRIMARY KEY) ENGINE=InnoDB`); err != nil {
		t.Fatal(err)
	}

	// A session of the head that is in a statement while the load settles.
	busy, err := db.DB.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { busy.Close() }) // after wake, below: Close waits for the statement
	var busyID int64
	if err := busy.QueryRowContext(ctx, `SELECT CONNECTION_ID()`).Scan(&busyID); err != nil {
		t.Fatal(err)
	}
	// Busy until the load is done (KILL QUERY then ends the SLEEP).
	sleeping := make(chan struct{})
	go func() { busy.ExecContext(ctx, `SELECT SLEEP(600)`); close(sleeping) }()
	t.Cleanup(func() {
		db.DB.Exec(fmt.Sprintf("KILL QUERY %d", busyID))
		<-sleeping
	})
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		var n int
		if err := db.DB.QueryRow(`SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE ID = ? AND COMMAND = 'Query'`, busyID).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the busy session never started its statement")
		}
	}

	// Spider's XA ids: the head session's thread id and a query id in hex,
	// then the head's server id.
	gone := busyID + 1_000_000
	xids := map[string]string{
		"committed":  fmt.Sprintf("%x%016x", gone, 1),
		"rolledBack": fmt.Sprintf("%x%016x", gone, 2),
		"inFlight":   fmt.Sprintf("%x%016x", busyID, 3),
	}
	// The first two have a branch prepared on shard 1 (from a connection
	// closed after its XA PREPARE, as a dead head's would be), and so has
	// an orphan, a transaction of this head that its record does not know
	// (given up before the decision to commit), and a foreign transaction,
	// not of Spider's making, which no load may touch.
	var serverID int64
	if err := db.DB.QueryRow(`SELECT @@server_id`).Scan(&serverID); err != nil {
		t.Fatal(err)
	}
	head := fmt.Sprintf("%x", serverID)
	orphan := fmt.Sprintf("%x%016x", gone, 4)
	for v, xid := range map[int]string{
		1: fmt.Sprintf("'%s','%s',1", xids["committed"], head),
		2: fmt.Sprintf("'%s','%s',1", xids["rolledBack"], head),
		4: fmt.Sprintf("'%s','%s',1", orphan, head),
		5: "'another application','x',1",
	} {
		prepareBranch(t, vars, databaseName(t, db.DB), xid, v)
		// Should the test fail, no branch may stay to lock its database.
		t.Cleanup(func() { shard.Exec(`XA ROLLBACK ` + xid) })
	}
	for name, status := range map[string]string{"committed": "COMMIT", "rolledBack": "NOT YET", "inFlight": "NOT YET"} {
		gtrid := xids[name]
		if _, err := db.DB.Exec(`INSERT INTO mysql.spider_xa (format_id, gtrid_length, bqual_length, data, status) VALUES (1, ?, ?, ?, ?)`,
			len(gtrid), len(head), gtrid+head, status); err != nil {
			t.Fatal(err)
		}
		if _, err := db.DB.Exec(`INSERT INTO mysql.spider_xa_member (format_id, gtrid_length, bqual_length, data, scheme, host, port, socket, username, password)
			VALUES (1, ?, ?, ?, 'mysql', ?, ?, '', 'root', '')`, len(gtrid), len(head), gtrid+head, vars["SHARD_1_HOST"], vars["SHARD_1_PORT"]); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		for _, table := range []string{"mysql.spider_xa", "mysql.spider_xa_member"} {
			db.DB.Exec(`DELETE FROM `+table+` WHERE data LIKE ?`, xids["inFlight"]+"%")
		}
	})

	testdb.MustLoad(t, testdb.NewIngester(db, 100), "a.log", testdb.GenLog(t, "logstats", 50, 3, 0))

	left := map[string]bool{}
	rows, err := db.DB.Query(`SELECT LEFT(data, gtrid_length) FROM mysql.spider_xa`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var gtrid string
		if err := rows.Scan(&gtrid); err != nil {
			t.Fatal(err)
		}
		left[gtrid] = true
	}
	rows.Close()
	if left[xids["committed"]] || left[xids["rolledBack"]] || !left[xids["inFlight"]] {
		t.Fatalf("the head's XA record after the load holds %v; want only %s, the transaction whose session is busy", left, xids["inFlight"])
	}
	var probe []int
	rows, err = shard.Query(`SELECT v FROM xa_probe ORDER BY v`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		probe = append(probe, v)
	}
	rows.Close()
	if !slices.Equal(probe, []int{1}) {
		t.Fatalf("shard 1 holds %v of the branches' rows, want [1]: the COMMIT committed, the NOT YET and the orphan rolled back, the foreign one still prepared", probe)
	}
	var prepared []string
	rows, err = shard.Query(`XA RECOVER`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var f, g, b int
		var data string
		if err := rows.Scan(&f, &g, &b, &data); err != nil {
			t.Fatal(err)
		}
		prepared = append(prepared, data)
	}
	rows.Close()
	if !slices.Equal(prepared, []string{"another applicationx"}) {
		t.Fatalf("shard 1 holds %q prepared, want only the foreign transaction", prepared)
	}
}

// databaseName returns the name of db's database.
func databaseName(t testing.TB, db *sql.DB) string {
	t.Helper()
	var name string
	if err := db.QueryRow(`SELECT DATABASE()`).Scan(&name); err != nil {
		t.Fatal(err)
	}
	return name
}

// prepareBranch prepares, on shard 1's database name, an XA transaction
// xid that inserts v into xa_probe, from a connection it then closes (as a
// dead coordinator's would be).
func prepareBranch(t *testing.T, vars map[string]string, name, xid string, v int) {
	t.Helper()
	s, err := mysql.Shard(fmt.Sprintf("root@tcp(%s:%s)/%s", vars["SHARD_1_HOST"], vars["SHARD_1_PORT"], name))
	if err != nil {
		t.Fatal(err)
	}
	defer s.DB.Close()
	conn, err := s.DB.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for _, stmt := range []string{"XA START " + xid, fmt.Sprintf("INSERT INTO xa_probe VALUES (%d)", v), "XA END " + xid, "XA PREPARE " + xid} {
		if _, err := conn.ExecContext(context.Background(), stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
}

// BenchmarkSpider_Load measures what a load through a head costs beyond
// its lines: "unchanged" loads a 20-line file already loaded (the head's
// checks, the settling of its XA record and of the shards' prepared
// branches, the ledger), "xa_recover" only the XA RECOVER on every shard
// that each such load runs through the head.
func BenchmarkSpider_Load(b *testing.B) {
	db := testdb.OpenBackend(b, "spider")
	text := testdb.GenLog(b, "logstats", 20, 3, 0)
	ing := testdb.NewIngester(db, 100)
	testdb.MustLoad(b, ing, "a.log", text)
	b.Run("unchanged", func(b *testing.B) {
		for b.Loop() {
			if _, err := ing.Load(context.Background(), "a.log", strings.NewReader(text), logstats.LoadOptions{}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("xa_recover", func(b *testing.B) {
		conn, err := db.DB.Conn(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		defer conn.Close()
		if _, err := conn.ExecContext(context.Background(), `CREATE TEMPORARY TABLE IF NOT EXISTS xa_bench (formatID INT, gtrid_length INT, bqual_length INT, data VARBINARY(128))`); err != nil {
			b.Fatal(err)
		}
		name := databaseName(b, db.DB)
		for b.Loop() {
			for n := 1; n <= 3; n++ {
				var ok sql.NullInt64
				if _, err := conn.ExecContext(context.Background(), `DELETE FROM xa_bench`); err != nil {
					b.Fatal(err)
				}
				if err := conn.QueryRowContext(context.Background(), `SELECT spider_direct_sql('XA RECOVER', 'xa_bench', ?)`, fmt.Sprintf(`srv "%s_shard%d"`, name, n)).Scan(&ok); err != nil {
					b.Fatal(err)
				}
				rows, err := conn.QueryContext(context.Background(), `SELECT data FROM xa_bench`)
				if err != nil {
					b.Fatal(err)
				}
				rows.Close()
			}
		}
	})
}
