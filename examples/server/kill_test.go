package main

import (
	"bufio"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/logstats/logstats/internal/testdb"
)

func buildServer(t *testing.T) string { return testdb.Build(t, "server") }

// serverProcess is the server binary running in the background.
type serverProcess struct {
	cmd    *exec.Cmd
	base   string
	stderr *testdb.SyncBuffer
}

func startServerProcess(t *testing.T, bin string, args ...string) *serverProcess {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"-addr", "127.0.0.1:0"}, args...)...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	p := &serverProcess{cmd: cmd, stderr: &testdb.SyncBuffer{}}
	cmd.Stderr = p.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("server did not start: %v\n%s", err, p.stderr)
	}
	go io.Copy(io.Discard, stdout)
	p.base = strings.Fields(line)[3]
	return p
}

// TestSIGTERMDuringLoad sends SIGTERM to the server while a POST /load runs.
// With a short grace period the load is cancelled and rolls back its batch;
// with the default one it finishes. Either way the server exits cleanly, and
// a new server's POST /load completes the log exactly once.
func TestSIGTERMDuringLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("loads 300,000 lines; skipped with -short")
	}
	bin := buildServer(t)
	dir := t.TempDir()
	logPath := testdb.WriteLog(t, dir, 300_000, 1)
	fi, _ := os.Stat(logPath)
	testdb.ForEach(t, func(t *testing.T, db *testdb.DB) {
		ref := testdb.Open(t, db.Dialect)
		testdb.LoadFile(t, ref.DB, logPath)
		want := testdb.Snapshot(t, ref.DB)
		for _, tc := range []struct {
			name     string
			grace    string
			finishes bool
		}{
			{"RollBack", "10ms", false},
			{"FinishInGrace", "60s", true},
		} {
			t.Run(tc.name, func(t *testing.T) {
				db := db.Fresh(t)
				srv := startServerProcess(t, bin, "-dsn", db.DSN, "-log-file", logPath, "-shutdown-grace", tc.grace)
				type reply struct {
					status int
					body   string
					err    error
				}
				replied := make(chan reply, 1)
				go func() {
					resp, err := http.Post(srv.base+"/load", "", nil)
					if err != nil {
						replied <- reply{err: err}
						return
					}
					body, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					replied <- reply{status: resp.StatusCode, body: string(body)}
				}()
				for deadline := time.Now().Add(30 * time.Second); testdb.CommittedOffset(t, db.DB) == 0; time.Sleep(5 * time.Millisecond) {
					if time.Now().After(deadline) {
						t.Fatalf("the load committed nothing in 30s\n%s", srv.stderr)
					}
				}
				srv.cmd.Process.Signal(syscall.SIGTERM)
				exited := make(chan error, 1)
				go func() { exited <- srv.cmd.Wait() }()
				select {
				case err := <-exited:
					if err != nil {
						t.Fatalf("server exit: %v\n%s", err, srv.stderr)
					}
				case <-time.After(60 * time.Second):
					t.Fatalf("server did not exit after SIGTERM\n%s", srv.stderr)
				}
				r := <-replied
				after := testdb.CommittedOffset(t, db.DB)
				if tc.finishes {
					if r.status != 200 || after != fi.Size() {
						t.Fatalf("load within the grace period: status %d (%v), offset %d of %d\n%s", r.status, r.err, after, fi.Size(), srv.stderr)
					}
				} else {
					if r.status != 503 || !strings.Contains(r.body, "run it again") || after >= fi.Size() || !strings.Contains(srv.stderr.String(), "cancelling requests in flight") {
						t.Fatalf("load past the grace period: status %d (%v), offset %d of %d\n%s", r.status, r.err, after, fi.Size(), srv.stderr)
					}
				}
				// A new server finishes the log, exactly once.
				srv2 := startServerProcess(t, bin, "-dsn", db.DSN, "-log-file", logPath)
				resp, err := http.Post(srv2.base+"/load", "", nil)
				if err != nil || resp.StatusCode != 200 {
					t.Fatalf("rerun: %v %v", resp, err)
				}
				resp.Body.Close()
				testdb.CheckSame(t, testdb.Snapshot(t, db.DB), want)
				t.Logf("SIGTERM at offset >0, grace %s: reply %d (%v), committed %d of %d bytes at exit; after the rerun the database equals a clean load's",
					tc.grace, r.status, r.err, after, fi.Size())
			})
		}
	})
}
