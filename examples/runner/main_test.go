package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/logstats/logstats"
	"github.com/logstats/logstats/internal/runner"
	"github.com/logstats/logstats/internal/testdb"
)

const sample = "../../testdata/api_requests.log"

func runRunner(t *testing.T, stdin string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errOut bytes.Buffer
	noEnv := func(string) string { return "" }
	err = run(context.Background(), args, noEnv, strings.NewReader(stdin), &out, &errOut)
	return out.String(), errOut.String(), err
}

// malformedRecord is the log record of a malformed line, with its number.
var malformedRecord = regexp.MustCompile(`(?m)level=WARN msg="malformed line" file=\S+ line=\d+ reason=`)

// withoutTimes drops the time and the file name of each log record.
func withoutTimes(logs string) string {
	return regexp.MustCompile(`(?m)^time=\S+ |file=\S+ `).ReplaceAllString(logs, "")
}

var summaryLine = regexp.MustCompile(`^(\S+): (\d+) lines, (\d+) inserted, (\d+) already loaded, (\d+) malformed, (\d+) unattributed in \S+ \([\d,]+ lines/s\), format (\S+)$`)

func TestRun(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, db *testdb.DB) {
		stdout, stderr, err := runRunner(t, "", "-dsn", db.DSN, sample)
		if err != nil {
			t.Fatalf("run: %v\n%s", err, stderr)
		}
		m := summaryLine.FindStringSubmatch(strings.TrimSpace(stdout))
		if m == nil || m[2] != "2000" || m[4] != "0" || m[5] == "0" {
			t.Fatalf("summary %q, want 2000 lines, some malformed, none already loaded", stdout)
		}
		if !malformedRecord.MatchString(stderr) || !strings.Contains(stderr, `msg="more malformed lines not shown"`) {
			t.Fatalf("stderr does not list the malformed lines with their numbers:\n%s", stderr)
		}
		stdout, _, err = runRunner(t, "", "-dsn", db.DSN, sample)
		if m := summaryLine.FindStringSubmatch(strings.TrimSpace(stdout)); err != nil || m == nil || m[3] != "0" || m[4] != "2000" {
			t.Fatalf("second run: %q, %v; want 0 inserted, 2000 already loaded", stdout, err)
		}
	})
}

func TestRun_Stdin(t *testing.T) {
	dsn := "sqlite://" + filepath.Join(t.TempDir(), "x.db")
	stdout, _, err := runRunner(t, "2024-10-01 10:00:00 c /a 200 0.1\n", "-dsn", dsn, "-")
	if m := summaryLine.FindStringSubmatch(strings.TrimSpace(stdout)); err != nil || m == nil || m[1] != "stdin" || m[3] != "1" {
		t.Fatalf("stdin: %q, %v", stdout, err)
	}
}

func TestRun_Errors(t *testing.T) {
	dir := t.TempDir()
	dsn := "sqlite://" + filepath.Join(dir, "x.db")
	strictLog := filepath.Join(dir, "strict.log")
	os.WriteFile(strictLog, []byte("2024-10-01 10:00:00 c /a 200 0.1\n2024-10-01 10:00:00 c /a abc 0.1\n"), 0o644)
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"ErrFileNotFound", []string{"-dsn", dsn, filepath.Join(dir, "missing.log")}, "testdata/api_requests.log"},
		{"ErrDefaultFileNotFound", []string{"-dsn", dsn}, "api_requests.log: no such file; pass a log file, e.g. the sample: go run ./examples/runner testdata/api_requests.log"},
		{"ErrConfigMissing", []string{"-config", filepath.Join(dir, "none.ini"), sample}, "config file"},
		{"ErrDatabaseUnreachable", []string{"-dsn", "mysql://root@127.0.0.1:1/x", sample}, "cannot reach MySQL at 127.0.0.1:1"},
		{"ErrBadDSN", []string{"-dsn", "postgres://x", sample}, "want sqlite://PATH or mysql://"},
		{"ErrStrict", []string{"-dsn", dsn, "-strict", strictLog}, `line 2: status "abc" is not an integer`},
		{"ErrPruneDate", []string{"-dsn", dsn, "-prune-before", "2024-13-01"}, "-prune-before"},
		{"ErrProgressFlag", []string{"-dsn", dsn, "-progress", "sometimes", sample}, "-progress"},
		{"ErrGlobNoMatch", []string{"-dsn", dsn, filepath.Join(dir, "*.nothing")}, "the pattern matches no file"},
		{"ErrGlobBad", []string{"-dsn", dsn, filepath.Join(dir, "[.log")}, "bad pattern"},
		{"ErrLogLevel", []string{"-dsn", dsn, "-log-level", "loud", sample}, "-log-level"},
		{"ErrLogFormat", []string{"-dsn", dsn, "-log-format", "xml", sample}, "-log-format"},
		{"ErrFollowNothing", []string{"-dsn", dsn, "-follow"}, "-follow: name the files to follow"},
		{"ErrFollowStdin", []string{"-dsn", dsn, "-follow", "-"}, "-follow reads files, not stdin"},
		{"ErrFollowDryRun", []string{"-dsn", dsn, "-follow", "-dry-run", sample}, "-follow and -dry-run do not go together"},
		{"ErrFollowPrune", []string{"-dsn", dsn, "-follow", "-prune-before", "2024-10-01", sample}, "-follow and -prune-before"},
		{"ErrFollowComplete", []string{"-dsn", dsn, "-follow", "-complete", sample}, "-follow and -complete"},
		{"ErrFollowBadGlob", []string{"-dsn", dsn, "-follow", filepath.Join(dir, "[.log")}, "syntax error in pattern"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, stderr, err := runRunner(t, "", tc.args...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err=%v, want one containing %q (stderr %s)", err, tc.want, stderr)
			}
		})
	}
}

// TestRun_GlobsAndJSON loads several files named by a glob and a plain name
// in one run, and checks the combined summary as text and as -json, and JSON
// logs on stderr.
func TestRun_GlobsAndJSON(t *testing.T) {
	dir := t.TempDir()
	dsn := "sqlite://" + filepath.Join(dir, "x.db")
	log := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	a := log("a.log", "2024-10-01 10:00:00 c1 /a 200 0.1\n2024-10-01 10:00:01 c1 /a 500 0.2\n")
	b := log("b.log", "2024-10-02 10:00:00 c2 /a 200 0.1\nnot a line\n")
	c := log("c.txt", "2024-10-03 10:00:00 c3 /a 404 0.3\n")

	// Text: a line per file, in order, and a total; "a.log" named twice
	// (by the glob and by name) loads once.
	stdout, _, err := runRunner(t, "", "-dsn", dsn, filepath.Join(dir, "*.log"), a, c)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if len(lines) != 4 || !strings.HasPrefix(lines[0], a+": ") || !strings.HasPrefix(lines[1], b+": ") || !strings.HasPrefix(lines[2], c+": ") ||
		!regexp.MustCompile(`^total: 3 files, 5 lines, 4 inserted, 0 already loaded, 1 malformed, 0 unattributed in \S+ \([\d,]+ lines/s\)$`).MatchString(lines[3]) {
		t.Fatalf("summary:\n%s", stdout)
	}

	// JSON: one object, the same counts; a second run finds all loaded.
	// Logs on stderr are JSON records.
	stdout, stderr, err := runRunner(t, "", "-dsn", dsn, "-json", "-log-format", "json", "-log-level", "info", filepath.Join(dir, "*.log"), c)
	if err != nil {
		t.Fatal(err)
	}
	var sum runner.Summary
	dec := json.NewDecoder(strings.NewReader(stdout))
	if err := dec.Decode(&sum); err != nil || dec.More() {
		t.Fatalf("stdout is not one JSON object (%v):\n%s", err, stdout)
	}
	if len(sum.Files) != 3 || sum.Files[1].File != b || sum.Total.Files != 3 || sum.Total.Lines != 5 ||
		sum.Total.Inserted != 0 || sum.Total.SkippedAlreadyLoaded != 5 || sum.Error != "" || sum.DryRun {
		t.Fatalf("JSON summary: %+v", sum)
	}
	for _, line := range strings.Split(strings.TrimSpace(stderr), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil || rec["msg"] == nil || rec["level"] == nil {
			t.Fatalf("stderr line is not a JSON log record: %q", line)
		}
	}
	if !strings.Contains(stderr, `"msg":"loaded"`) {
		t.Fatalf("no loaded records at -log-level info:\n%s", stderr)
	}

	// A failure still prints the JSON object, with the error.
	stdout, _, err = runRunner(t, "", "-dsn", dsn, "-json", "-strict", log("bad.log", "2024-10-01 10:00:00 c /x 200 0.1\nbad\n"))
	sum = runner.Summary{}
	if err == nil || json.Unmarshal([]byte(stdout), &sum) != nil || !strings.Contains(sum.Error, "strict mode") || len(sum.Files) != 1 {
		t.Fatalf("failed run: err %v, stdout %s", err, stdout)
	}

	// Failures before any load are summarized too.
	for _, args := range [][]string{
		{"-dsn", dsn, "-json", filepath.Join(dir, "missing.log")},
		{"-dsn", dsn, "-json", filepath.Join(dir, "*.nothing")},
		{"-dsn", dsn, "-json", "-timezone", "Mars/Olympus", a},
	} {
		stdout, _, err := runRunner(t, "", args...)
		sum = runner.Summary{}
		if err == nil || json.Unmarshal([]byte(stdout), &sum) != nil || sum.Error != err.Error() || len(sum.Files) != 0 {
			t.Fatalf("%v: err %v, stdout %q; want the error in one JSON object", args, err, stdout)
		}
	}

	// A glob matching a directory is refused before anything loads.
	if err := os.Mkdir(filepath.Join(dir, "sub.log"), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, _, err := runRunner(t, "", "-dsn", dsn, filepath.Join(dir, "*.log")); err == nil || !strings.Contains(err.Error(), "is a directory") {
		t.Fatalf("glob with a directory: %v", err)
	}

	// A dry run in JSON counts valid lines and lists malformed ones.
	stdout, _, err = runRunner(t, "", "-json", "-dry-run", b)
	sum = runner.Summary{}
	if err != nil || json.Unmarshal([]byte(stdout), &sum) != nil || !sum.DryRun || len(sum.Files) != 1 ||
		sum.Files[0].Valid == nil || *sum.Files[0].Valid != 1 || len(sum.Files[0].Errors) != 1 || sum.Files[0].Errors[0].Line != 2 {
		t.Fatalf("dry run: err %v, stdout %s", err, stdout)
	}
}

func TestRun_Version(t *testing.T) {
	stdout, _, err := runRunner(t, "", "-version")
	if err != nil || !regexp.MustCompile(`^runner \S+ \(.*go1\.\d+`).MatchString(stdout) {
		t.Fatalf("-version: %q, %v", stdout, err)
	}
}

func TestRun_LastLineWithoutNewline(t *testing.T) {
	dir := t.TempDir()
	dsn := "sqlite://" + filepath.Join(dir, "x.db")
	log := filepath.Join(dir, "live.log")
	os.WriteFile(log, []byte("2024-10-01 10:00:00 c /a 200 0.1\n2024-10-01 10:00:01 c /a 200 0.2"), 0o644)
	stdout, stderr, err := runRunner(t, "", "-dsn", dsn, log)
	if m := summaryLine.FindStringSubmatch(strings.TrimSpace(stdout)); err != nil || m == nil || m[3] != "1" || !strings.Contains(stderr, "no newline yet") {
		t.Fatalf("growing file: %q %q %v; want 1 inserted and a note on the last line", stdout, stderr, err)
	}
	stdout, _, err = runRunner(t, "", "-dsn", dsn, "-complete", log)
	if m := summaryLine.FindStringSubmatch(strings.TrimSpace(stdout)); err != nil || m == nil || m[3] != "1" || m[4] != "1" {
		t.Fatalf("-complete: %q %v; want the last line inserted", stdout, err)
	}
}

// TestRun_InterruptWhileReadingStdin interrupts a load waiting on a quiet
// stdin: the runner closes its input and stops.
func TestRun_InterruptWhileReadingStdin(t *testing.T) {
	pr, pw := io.Pipe()
	defer pw.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		dsn := "sqlite://" + filepath.Join(t.TempDir(), "x.db")
		done <- run(ctx, []string{"-dsn", dsn, "-"}, func(string) string { return "" }, pr, io.Discard, io.Discard)
	}()
	io.WriteString(pw, "2024-10-01 10:00:00 c /a 200 0.1\n")
	time.Sleep(100 * time.Millisecond) // the load is now waiting for more
	cancel()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "interrupted") {
			t.Fatalf("run=%v, want an interruption", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("the runner did not stop")
	}
}

func TestRun_ProgressAndPrune(t *testing.T) {
	dsn := "sqlite://" + filepath.Join(t.TempDir(), "x.db")
	stdout, stderr, err := runRunner(t, "", "-dsn", dsn, "-progress", "on", "-batch", "100", "-prune-before", "2024-10-05", sample)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stderr, "100%") || !strings.Contains(stderr, "lines/s") {
		t.Fatalf("no progress bar on stderr:\n%q", stderr)
	}
	if !regexp.MustCompile(`pruned days before 2024-10-05: [1-9]\d* requests over [1-9]\d* customer-days`).MatchString(stdout) {
		t.Fatalf("no prune summary:\n%s", stdout)
	}
}

// TestMain_ExitCodes builds the runner and checks its exit status and that
// a failure is one line that says what to do.
func TestMain_ExitCodes(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a binary; skipped with -short")
	}
	bin := buildRunner(t)
	dsn := "sqlite://" + filepath.Join(t.TempDir(), "x.db")
	cmd := exec.Command(bin, "-dsn", dsn, sample)
	if out, err := cmd.CombinedOutput(); err != nil || cmd.ProcessState.ExitCode() != 0 {
		t.Fatalf("loading the sample: exit %d, %v\n%s", cmd.ProcessState.ExitCode(), err, out)
	}
	cmd = exec.Command(bin, "-dsn", dsn, "nope.log")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	cmd.Run()
	if code := cmd.ProcessState.ExitCode(); code != 1 {
		t.Fatalf("missing file: exit %d, want 1", code)
	}
	if lines := strings.Split(strings.TrimSpace(stderr.String()), "\n"); len(lines) != 1 || !strings.HasPrefix(lines[0], "runner: nope.log: no such file") {
		t.Fatalf("missing file: stderr %q, want one line", stderr.String())
	}
	// The sample with its second line edited: refused (what follows is
	// loaded already), and the run fails.
	b, err := os.ReadFile(sample)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(string(b), "\n")
	lines[1] = strings.Replace(lines[1], " ", "  ", 1)
	edited := filepath.Join(t.TempDir(), "edited.log")
	if err := os.WriteFile(edited, []byte(strings.Join(lines, "")), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd = exec.Command(bin, "-dsn", dsn, edited)
	stderr.Reset()
	cmd.Stderr = &stderr
	cmd.Run()
	if code := cmd.ProcessState.ExitCode(); code != 1 || !strings.Contains(stderr.String(), "source changed") {
		t.Fatalf("edited file: exit %d, stderr %q; want 1 and the refusal", code, stderr.String())
	}
}

// TestRun_DryRun checks that -dry-run reports what a load would (the same
// lines and malformed lines) and creates no database.
func TestRun_DryRun(t *testing.T) {
	dir := t.TempDir()
	dsn := "sqlite://" + filepath.Join(dir, "x.db")
	loadOut, loadErr, err := runRunner(t, "", "-dsn", dsn, sample)
	if err != nil {
		t.Fatal(err)
	}
	m := summaryLine.FindStringSubmatch(strings.TrimSpace(loadOut))
	dryDSN := "sqlite://" + filepath.Join(dir, "never.db")
	for _, args := range [][]string{{"-dry-run", "-dsn", dryDSN, sample}, {"-dry-run", "-dsn", dryDSN, "-"}} {
		stdin := ""
		if args[len(args)-1] == "-" {
			b, _ := os.ReadFile(sample)
			stdin = string(b)
		}
		stdout, stderr, err := runRunner(t, stdin, args...)
		if err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		d := regexp.MustCompile(`^\S+: (\d+) lines, (\d+) valid, (\d+) malformed, \d+ unattributed, parsed in .*nothing loaded \(-dry-run\)$`).FindStringSubmatch(strings.TrimSpace(stdout))
		if d == nil || m == nil || d[1] != m[2] || d[3] != m[5] || d[2] != m[3] {
			t.Fatalf("%v: dry run says %q, the load said %q", args, stdout, loadOut)
		}
		if withoutTimes(stderr) != withoutTimes(loadErr) {
			t.Fatalf("%v: dry run lists\n%s\nthe load listed\n%s", args, stderr, loadErr)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "never.db")); !os.IsNotExist(err) {
		t.Fatalf("-dry-run created the database (%v)", err)
	}
}

// TestRun_Formats loads the nginx sample with its format detected, given by
// the flag, the environment and config.ini's [log] section, and refuses a
// bad format or selector before touching the database.
func TestRun_Formats(t *testing.T) {
	dir := t.TempDir()
	ini := filepath.Join(dir, "config.ini")
	os.WriteFile(ini, []byte("[log]\nformat = apache\n"), 0o644)
	for _, tc := range []struct {
		name string
		env  map[string]string
		args []string
		want string // the format the summary names; "" for an error
		file string // default testdata/nginx.log
	}{
		{"jsonlFields", nil, []string{"-fields", "customer=customer_id,latency=latency:s"}, "jsonl:customer=customer_id,latency=latency:s", "jsonl.log"},
		{"envoyNeedsCustomer", nil, []string{"-format", "envoy"}, "", "envoy.log"},
		{"envoy", map[string]string{"LOGSTATS_CUSTOMER": "query:api_key"}, []string{"-format", "envoy"}, "envoy", "envoy.log"},
		{"albDetected", nil, []string{"-customer", "query:api_key"}, "alb", "alb.log"},
		{"caddyDetected", nil, nil, "caddy", "caddy.log"},
		{"detected", nil, nil, "nginx", ""},
		{"flag", nil, []string{"-format", "nginx"}, "nginx", ""},
		{"env", map[string]string{"LOGSTATS_FORMAT": "nginx"}, nil, "nginx", ""},
		{"config", nil, []string{"-config", ini, "-format", "nginx"}, "nginx", ""},
		{"configWrong", nil, []string{"-config", ini}, "", ""}, // an nginx log read as apache
		{"badFormat", nil, []string{"-format", "ngnix"}, "", ""},
		{"fieldsNotJSON", nil, []string{"-format", "nginx", "-fields", "time=ts"}, "", ""},
		{"badSelector", nil, []string{"-customer", "path:nope"}, "", ""},
		{"missingField", nil, []string{"-format", "nginx", "-customer", "http_x_api_key"}, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dsn := "sqlite://" + filepath.Join(t.TempDir(), "x.db")
			var out, errOut bytes.Buffer
			if tc.file == "" {
				tc.file = "nginx.log"
			}
			args := append(append([]string{"-dsn", dsn, "-json"}, tc.args...), "../../testdata/"+tc.file)
			err := run(context.Background(), args, func(k string) string { return tc.env[k] }, strings.NewReader(""), &out, &errOut)
			var sum struct {
				Files []struct {
					Format    string `json:"format"`
					Lines     int64  `json:"lines"`
					Inserted  int64  `json:"inserted"`
					Malformed int64  `json:"malformed"`
				} `json:"files"`
				Error string `json:"error"`
			}
			if jerr := json.Unmarshal(out.Bytes(), &sum); jerr != nil {
				t.Fatalf("%v: %s", jerr, out.String())
			}
			if tc.want == "" {
				if err == nil || sum.Error == "" {
					t.Fatalf("err %v, summary %s: want an error", err, out.String())
				}
				return
			}
			if err != nil || len(sum.Files) != 1 || sum.Files[0].Format != tc.want {
				t.Fatalf("err %v, summary %s: want format %s", err, out.String(), tc.want)
			}
			if f := sum.Files[0]; f.Lines != 300 || f.Malformed > 5 || f.Inserted != f.Lines-f.Malformed {
				t.Fatalf("%+v: want all 300 lines but a few malformed ones inserted", f)
			}
		})
	}
}

// TestRun_DayZone: -day-zone is recorded by the first run and enforced after.
func TestRun_DayZone(t *testing.T) {
	dsn := "sqlite://" + filepath.Join(t.TempDir(), "x.db")
	if _, stderr, err := runRunner(t, "", "-dsn", dsn, "-day-zone", "Europe/Paris", "-complete", "../../testdata/jsonl.log"); err != nil {
		t.Fatalf("first run: %v\n%s", err, stderr)
	}
	if _, _, err := runRunner(t, "", "-dsn", dsn, "../../testdata/jsonl.log"); err != nil {
		t.Fatalf("a run without -day-zone: %v", err)
	}
	_, _, err := runRunner(t, "", "-dsn", dsn, "-day-zone", "UTC", "../../testdata/jsonl.log")
	if err == nil || !strings.Contains(err.Error(), "cuts its days in Europe/Paris") || !strings.Contains(err.Error(), "use -day-zone Europe/Paris (or none)") ||
		!errors.Is(err, logstats.ErrDayZoneChanged) {
		t.Fatalf("another -day-zone: %v, want a refusal naming Europe/Paris and its flag", err)
	}
	if _, _, err := runRunner(t, "", "-dsn", dsn, "-day-zone", "Mars/Olympus", "../../testdata/jsonl.log"); err == nil {
		t.Fatalf("an unknown -day-zone was accepted")
	}
}

// TestRun_Advice: the runner says what to do in its own flags: the -format
// of a log read in the wrong format, the flags a source was read with
// before.
func TestRun_Advice(t *testing.T) {
	dsn := "sqlite://" + filepath.Join(t.TempDir(), "x.db")
	_, _, err := runRunner(t, "", "-dsn", dsn, "-format", "apache", "../../testdata/nginx.log")
	if !errors.Is(err, logstats.ErrWrongFormat) || !strings.Contains(err.Error(), "they read as nginx. Nothing was loaded; pass -format nginx") {
		t.Fatalf("an nginx log read as apache: %v, want advice to pass -format nginx", err)
	}
	_, _, err = runRunner(t, "", "-dsn", dsn, "../../testdata/envoy.log")
	if !errors.Is(err, logstats.ErrWrongFormat) || !strings.Contains(err.Error(), "pass -format envoy with -customer path:PATTERN or query:NAME") {
		t.Fatalf("an envoy log without -customer: %v, want advice to pass -format envoy with -customer", err)
	}
	if _, stderr, err := runRunner(t, "", "-dsn", dsn, "-complete", "../../testdata/nginx.log"); err != nil {
		t.Fatalf("load: %v\n%s", err, stderr)
	}
	_, _, err = runRunner(t, "", "-dsn", dsn, "-customer", "path:/api/{}/", "-customer-default", "it's", "../../testdata/nginx.log")
	if !errors.Is(err, logstats.ErrReadingChanged) || !strings.HasSuffix(err.Error(), "; load it with -format nginx -customer remote_user -dimension '', or, if those were wrong, undo that load with -forget ../../testdata/nginx.log and load it again") {
		t.Fatalf("a reload with another selector: %v, want advice naming the flags it was read with", err)
	}
	// A log that names no customer: refused, nothing recorded, and the
	// flags that load it.
	anonymous := filepath.Join(t.TempDir(), "anon.log")
	if err := os.WriteFile(anonymous, []byte(`203.0.113.7 - - [10/Oct/2024:13:55:36 +0000] "GET /a HTTP/1.1" 200 9 "-" "curl/8.5.0"`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, _, err = runRunner(t, "", "-dsn", dsn, anonymous)
	if !errors.Is(err, logstats.ErrWrongFormat) || !strings.HasSuffix(err.Error(), "; pass -customer with where the customer is (path:PATTERN, query:NAME or a field of the format), or -customer-default NAME for every request") {
		t.Fatalf("a log without customers: %v, want advice to pass -customer or -customer-default", err)
	}
	if _, stderr, err := runRunner(t, "", "-dsn", dsn, "-customer-default", "my_service", anonymous); err != nil {
		t.Fatalf("the same log with -customer-default: %v\n%s", err, stderr)
	}
}
