package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"sync"
	"testing"

	"github.com/logstats/logstats"
	"github.com/logstats/logstats/httpapi"
	"github.com/logstats/logstats/internal/dsn"
	"github.com/logstats/logstats/internal/testdb"
)

// TestConcurrentLoads starts two runner processes and two POST /load
// requests (to a server with its own connection pool) on the same 300,000-line
// log at once: every line must be counted once, at least one load must
// finish, and each one that stops must say that another load got there first.
func TestConcurrentLoads(t *testing.T) {
	if testing.Short() {
		t.Skip("loads 300,000 lines several times; skipped with -short")
	}
	bin := buildRunner(t)
	dir := t.TempDir()
	logPath := writeLog(t, dir, 300_000, 7)
	testdb.ForEach(t, func(t *testing.T, db *testdb.DB) {
		ref := testdb.Open(t, db.Dialect)
		testdb.LoadFile(t, ref.DB, logPath)
		want := testdb.Snapshot(t, ref.DB)
		for round := range 2 {
			db := db.Fresh(t)
			d, err := dsn.Parse(db.DSN)
			if err != nil {
				t.Fatal(err)
			}
			serverDB, err := dsn.Open(context.Background(), d)
			if err != nil {
				t.Fatal(err)
			}
			defer serverDB.Close()
			srv := httptest.NewServer(httpapi.NewHandler(httpapi.Deps{DB: serverDB, Stats: logstats.NewStatsService(serverDB), Loader: logstats.NewIngester(serverDB)},
				httpapi.Options{LogFile: logPath}))
			defer srv.Close()

			var wg sync.WaitGroup
			start := make(chan struct{})
			outcomes := make([]string, 4) // "ok" or the refusal
			for i := range 2 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					var out, errOut bytes.Buffer
					cmd := exec.Command(bin, "-dsn", db.DSN, "-progress", "off", logPath)
					cmd.Stdout, cmd.Stderr = &out, &errOut
					err := cmd.Run()
					switch {
					case err == nil:
						outcomes[i] = "ok"
					case cmd.ProcessState.ExitCode() == 1 && strings.Contains(errOut.String(), "another load of this source is in progress"):
						outcomes[i] = "runner refused"
					default:
						outcomes[i] = fmt.Sprintf("runner failed: %v: %s", err, errOut.String())
					}
				}()
			}
			for i := 2; i < 4; i++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					resp, err := http.Post(srv.URL+"/load", "", nil)
					if err != nil {
						outcomes[i] = err.Error()
						return
					}
					defer resp.Body.Close()
					var body map[string]any
					json.NewDecoder(resp.Body).Decode(&body)
					msg, _ := body["error"].(string)
					switch {
					case resp.StatusCode == 200:
						outcomes[i] = "ok"
					case resp.StatusCode == 409 && strings.Contains(msg, "another load of this source is in progress"):
						outcomes[i] = "409 refused"
					default:
						outcomes[i] = fmt.Sprintf("POST /load: %d %v", resp.StatusCode, body)
					}
				}()
			}
			close(start)
			wg.Wait()
			finished := 0
			for _, o := range outcomes {
				switch {
				case o == "ok":
					finished++
				case strings.HasSuffix(o, "refused"):
				default:
					t.Fatalf("round %d: %s", round, o)
				}
			}
			if finished == 0 {
				t.Fatalf("round %d: no load finished: %v", round, outcomes)
			}
			testdb.CheckSame(t, testdb.Snapshot(t, db.DB), want)
			t.Logf("round %d: two runners, two POST /load: %v; every line counted once", round, outcomes)
		}
	})
}
