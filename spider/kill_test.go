package spider_test

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/logstats/logstats"
	"github.com/logstats/logstats/httpapi"
	"github.com/logstats/logstats/internal/testdb"
	"github.com/logstats/logstats/mysql"
)

// EnvSpiderKill enables TestSpider_ShardDiesMidCommit, which kills a shard
// of the cluster (so no other test may use the cluster meanwhile: .ci/run
// runs it on its own, after the suite).
const EnvSpiderKill = "LOGSTATS_TEST_SPIDER_KILL"

// TestSpider_ShardDiesMidCommit loads a log through a Spider head and kills
// shard 3 with SIGKILL while one of the load's batches is held (BACKUP
// STAGE BLOCK_COMMIT on the shard) in a window of its two-phase commit:
// its inserts done and the shard held before its XA PREPARE ("inserts"),
// waiting to XA PREPARE on that shard, or prepared everywhere and waiting
// to XA COMMIT there. While it is down the HTTP API must answer 503, not
// 500 (apiWhileShardDown). The shard stays down 5 s, is started again, and the
// load is run again: the raw requests, rollups and ledger must equal a
// clean load's, and Verify must find nothing, every time.
func TestSpider_ShardDiesMidCommit(t *testing.T) {
	vars, dir := killableCluster(t)
	text := testdb.GenLog(t, "logstats", 20000, 31, 0.01)
	want := testdb.CleanState(t, logstats.DialectMySQL, "a.log", text)
	const shard = "3"
	for _, window := range []string{"inserts", "xa prepare", "xa commit"} {
		for try := 1; try <= 2; try++ {
			t.Run(fmt.Sprintf("%s/%d", strings.ReplaceAll(window, " ", "_"), try), func(t *testing.T) {
				db := testdb.OpenBackend(t, "spider")
				shardDB := openShard(t, vars, shard, db)
				got := killInWindow(t, db, shardDB, dir, shard, window, text)
				t.Logf("the held load: %s", got)
				rerunAndCheck(t, db, vars, text, want)
			})
		}
	}
}

// TestSpider_ShardDiesAtRandom kills a shard chosen at random with SIGKILL
// at a random moment of a load through the head (nothing held: the moment
// falls wherever it falls, in inserts, a two-phase commit or between
// batches), ten times, each on a new database; the shard stays down 2 s
// and is started again, and the load is run again: the database must equal
// a clean load's, and Verify must find nothing. The seed is logged.
func TestSpider_ShardDiesAtRandom(t *testing.T) {
	vars, dir := killableCluster(t)
	text := testdb.GenLog(t, "logstats", 40000, 37, 0.01)
	want := testdb.CleanState(t, logstats.DialectMySQL, "a.log", text)

	// How long a load through the head takes, for the kills to fall in one.
	clean := testdb.OpenBackend(t, "spider")
	start := time.Now()
	if _, err := testdb.NewIngester(clean, 4000).Load(context.Background(), "a.log", strings.NewReader(text), logstats.LoadOptions{}); err != nil {
		t.Fatal(err)
	}
	span := time.Since(start)
	testdb.CheckSame(t, testdb.Snapshot(t, clean.DB), want)
	seed := uint64(time.Now().UnixNano())
	rng := rand.New(rand.NewPCG(seed, 0))
	t.Logf("a load through the head without kills took %v; seed %d", span.Round(time.Millisecond), seed)

	interrupted := 0
	t.Cleanup(func() {
		t.Logf("%d of 10 kills interrupted their load (the others fell after its end)", interrupted)
		if interrupted == 0 {
			t.Error("no kill fell within a load: the test tested nothing")
		}
	})
	for kill := 1; kill <= 10; kill++ {
		shard := strconv.Itoa(1 + rng.IntN(3))
		// Within the first three quarters: a warm load can be quicker.
		delay := time.Duration(rng.Int64N(int64(span) * 3 / 4))
		t.Run(fmt.Sprintf("%d/shard_%s", kill, shard), func(t *testing.T) {
			db := testdb.OpenBackend(t, "spider")
			done := make(chan error, 1)
			var res *logstats.LoadResult
			go func() {
				var err error
				res, err = testdb.NewIngester(db, 4000).Load(context.Background(), "a.log", strings.NewReader(text), logstats.LoadOptions{})
				done <- err
			}()
			time.Sleep(delay)
			spiderScript(t, "kill-shard", dir, shard)
			loadErr := <-done
			if loadErr != nil {
				interrupted++
			}
			time.Sleep(2 * time.Second)
			spiderScript(t, "start-shard", dir, shard)
			inserted := int64(0)
			if res != nil {
				inserted = res.Inserted
			}
			t.Logf("shard %s killed %v into the load, which returned %d inserted, error %v", shard, delay.Round(time.Millisecond), inserted, loadErr)
			rerunAndCheck(t, db, vars, text, want)
		})
	}
}

// rerunAndCheck loads text through db again, after a shard died during an
// earlier load of it, and checks that the database then equals want (a
// clean load's) and that Verify finds it consistent.
func rerunAndCheck(t *testing.T, db *testdb.DB, vars map[string]string, text string, want testdb.State) {
	t.Helper()
	// A head may not reach a shard at once when it is back: Spider repeats
	// a failed connection's error for a while (spider_connect_error_interval),
	// and the load then fails as unavailable, which says to retry. It is
	// retried for up to 30 s, as a user would.
	var res *logstats.LoadResult
	var err error
	deadline := time.Now().Add(30 * time.Second)
	for tries := 1; ; tries++ {
		res, err = testdb.NewIngester(db, 4000).Load(context.Background(), "a.log", strings.NewReader(text), logstats.LoadOptions{})
		if err == nil {
			if tries > 1 {
				t.Logf("the load again succeeded at try %d; the tries before failed as unavailable", tries)
			}
			break
		}
		if logstats.KindOf(err) != logstats.KindUnavailable || time.Now().After(deadline) {
			t.Fatalf("the load again, after the shard restarted (try %d): %v\n%s", tries, err, xaState(t, db, vars))
		}
		time.Sleep(250 * time.Millisecond)
	}
	testdb.CheckSame(t, testdb.Snapshot(t, db.DB), want)
	rep, err := logstats.Verify(context.Background(), db.DB, logstats.VerifyOptions{})
	if err != nil || !rep.OK() {
		t.Fatalf("Verify after the rerun: %+v, %v", rep, err)
	}
	t.Logf("rerun: %d inserted, %d already loaded; the database equals a clean load's, and Verify finds it consistent", res.Inserted, res.SkippedAlreadyLoaded)
}

// killableCluster skips the test unless EnvSpiderKill allows it to kill
// shards, and returns the cluster's settings and its directory.
func killableCluster(t *testing.T) (vars map[string]string, dir string) {
	t.Helper()
	if os.Getenv(EnvSpiderKill) != "1" {
		t.Skipf("kills shards of the Spider cluster; set %s=1 (and %s) to run it, with nothing else using the cluster", EnvSpiderKill, testdb.EnvSpider)
	}
	vars, err := testdb.SpiderEnv()
	if err != nil {
		t.Fatal(err)
	}
	return vars, filepath.Dir(os.Getenv(testdb.EnvSpider))
}

// openShard opens shard n's database of the same name as db's.
func openShard(t *testing.T, vars map[string]string, n string, db *testdb.DB) *sql.DB {
	t.Helper()
	var name string
	if err := db.DB.QueryRow(`SELECT DATABASE()`).Scan(&name); err != nil {
		t.Fatal(err)
	}
	s, err := mysql.Shard(fmt.Sprintf("root@tcp(%s:%s)/%s", vars["SHARD_"+n+"_HOST"], vars["SHARD_"+n+"_PORT"], name))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.DB.Close() })
	return s.DB
}

// killInWindow runs a load of text through db in batches of 4,000 lines;
// once the shard has its first inserts, holds the shard's commits; when a
// statement starting with window waits (re-holding after an XA PREPARE for
// the XA COMMIT window), kills the shard, keeps it down 5 s, starts it
// again and returns what the load did, and what the shard had prepared.
func killInWindow(t *testing.T, db *testdb.DB, shardDB *sql.DB, dir, shard, window, text string) string {
	t.Helper()
	ctx := context.Background()
	status := func(name string) int64 {
		var k string
		var v int64
		if err := shardDB.QueryRow(`SHOW GLOBAL STATUS LIKE '`+name+`'`).Scan(&k, &v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	waiting := func() string {
		var info sql.NullString
		err := shardDB.QueryRow(`SELECT LOWER(LEFT(info, 20)) FROM information_schema.PROCESSLIST WHERE state = 'Waiting for backup lock' LIMIT 1`).Scan(&info)
		if err == sql.ErrNoRows {
			return ""
		}
		if err != nil {
			t.Fatal(err)
		}
		return info.String
	}
	blocker, err := shardDB.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	hold := func() {
		for _, stmt := range []string{"BACKUP STAGE START", "BACKUP STAGE BLOCK_COMMIT"} {
			if _, err := blocker.ExecContext(ctx, stmt); err != nil {
				t.Fatalf("%s: %v", stmt, err)
			}
		}
	}
	inserts := status("Com_insert")
	type result struct {
		res *logstats.LoadResult
		err error
	}
	done := make(chan result, 1)
	go func() {
		res, err := testdb.NewIngester(db, 4000).Load(ctx, "a.log", strings.NewReader(text), logstats.LoadOptions{})
		done <- result{res, err}
	}()
	deadline := time.Now().Add(time.Minute)
	for status("Com_insert") == inserts {
		if time.Now().After(deadline) {
			t.Fatal("the load never inserted on the shard")
		}
		time.Sleep(time.Millisecond)
	}
	hold()
	seen := ""
	if window == "inserts" {
		seen = "inserts, " + waiting()
	}
	for seen == "" || !strings.HasPrefix(seen, window) {
		if time.Now().After(deadline) {
			t.Fatalf("no %s waited on the shard (last seen %q)", window, seen)
		}
		seen = waiting()
		if strings.HasPrefix(seen, "xa prepare") && window == "xa commit" {
			// Let the prepare through, and hold what comes next.
			if _, err := blocker.ExecContext(ctx, "BACKUP STAGE END"); err != nil {
				t.Fatal(err)
			}
			hold()
			for strings.HasPrefix(seen, "xa prepare") && time.Now().Before(deadline) {
				seen = waiting()
			}
		}
		time.Sleep(time.Millisecond)
	}
	// Kill the shard while its commits are held: releasing the hold first
	// would let the statement through.
	spiderScript(t, "kill-shard", dir, shard)
	blocker.Close()
	downSince := time.Now()
	r := <-done
	apiWhileShardDown(t, db, text)
	time.Sleep(5*time.Second - time.Since(downSince))
	spiderScript(t, "start-shard", dir, shard)
	var prepared int
	rows, err := shardDB.Query(`XA RECOVER`)
	if err == nil {
		for rows.Next() {
			prepared++
		}
		rows.Close()
	}
	inserted := int64(0)
	if r.res != nil {
		inserted = r.res.Inserted
	}
	return fmt.Sprintf("killed at %q; the load returned %d inserted, error %v; %d XA branches prepared on the shard after its restart", seen, inserted, r.err, prepared)
}

// apiWhileShardDown asks the HTTP API, through the head, for the stats of
// each of genLog's customers and to load text again (an upload) while a
// shard is down: each answer must be a 200 or a 503 with a JSON error,
// never a 500, with at least one 503 (the customers on the dead shard),
// and the load a 503.
func apiWhileShardDown(t *testing.T, db *testdb.DB, text string) {
	t.Helper()
	api := httpapi.NewHandler(httpapi.Deps{DB: db.DB, Stats: logstats.NewStatsService(db.DB), Loader: testdb.NewIngester(db, 4000)}, httpapi.Options{})
	do := func(method, target, body string) (int, string) {
		req := httptest.NewRequest(method, target, strings.NewReader(body))
		if body != "" {
			req.Header.Set("Content-Type", "text/plain")
		}
		rec := httptest.NewRecorder()
		api.ServeHTTP(rec, req)
		return rec.Code, rec.Body.String()
	}
	unavailable := 0
	for c := 1; c <= 7; c++ {
		code, body := do("GET", fmt.Sprintf("/customers/cust_%d/stats/?from=2000-01-01", c), "")
		switch {
		case code == http.StatusServiceUnavailable && strings.Contains(body, `"error"`):
			unavailable++
		case code != http.StatusOK:
			t.Errorf("stats of cust_%d with a shard down: %d %s, want 200 or a 503 with a JSON error", c, code, body)
		}
	}
	if unavailable == 0 {
		t.Error("no customer's stats answered 503 with shard 3 down")
	}
	if code, body := do("POST", "/load?source=a.log", text); code != http.StatusServiceUnavailable || !strings.Contains(body, `"error"`) {
		t.Errorf("POST /load with a shard down: %d %s, want a 503 with a JSON error", code, body)
	}
	t.Logf("with the shard down, %d of 7 customers' stats answered 503, the others 200; POST /load 503", unavailable)
}

// spiderScript runs scripts/spider.sh.
func spiderScript(t *testing.T, args ...string) {
	t.Helper()
	if out, err := exec.Command("../scripts/spider.sh", args...).CombinedOutput(); err != nil {
		t.Fatalf("spider.sh %v: %v\n%s", args, err, out)
	}
}

// xaState describes the head's XA record and the shards' prepared branches.
func xaState(t *testing.T, db *testdb.DB, vars map[string]string) string {
	var b strings.Builder
	rows, err := db.DB.Query(`SELECT x.format_id, HEX(LEFT(x.data, x.gtrid_length + x.bqual_length)), x.status, COALESCE(m.host, ''), COALESCE(m.port, '')
		FROM mysql.spider_xa x LEFT JOIN mysql.spider_xa_member m ON m.data = x.data AND m.format_id = x.format_id AND m.gtrid_length = x.gtrid_length`)
	if err != nil {
		return err.Error()
	}
	for rows.Next() {
		var f int
		var xid, st, host, port string
		rows.Scan(&f, &xid, &st, &host, &port)
		fmt.Fprintf(&b, "head: xid %s format %d status %s member %s:%s\n", xid, f, st, host, port)
	}
	rows.Close()
	for _, n := range []string{"1", "2", "3"} {
		s := openShard(t, vars, n, db)
		rows, err := s.Query(`XA RECOVER`)
		if err != nil {
			fmt.Fprintf(&b, "shard %s: %v\n", n, err)
			continue
		}
		for rows.Next() {
			var f, g, q int
			var data []byte
			rows.Scan(&f, &g, &q, &data)
			fmt.Fprintf(&b, "shard %s: prepared %q (format %d, gtrid %d, bqual %d)\n", n, data, f, g, q)
		}
		rows.Close()
	}
	return b.String()
}
