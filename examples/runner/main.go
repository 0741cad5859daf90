// Command runner loads log files into the logstats database, as the original
// app's standalone loader did.
//
//	go run ./examples/runner testdata/api_requests.log
//
// It loads each FILE (default api_requests.log; - is stdin; a glob such as
// 'logs/*.log.gz' is expanded) exactly once: lines loaded before are skipped,
// so running it again is harmless. It prints a line per file and, for several
// files, a total; -json prints all of it as one JSON object instead. Logs
// (malformed lines, warnings; -log-level info for more) go to stderr.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"

	"github.com/logstats/logstats"
	"github.com/logstats/logstats/internal/cli"
	"github.com/logstats/logstats/internal/dsn"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// After the first signal, a second one ends the process at once.
	context.AfterFunc(ctx, stop)
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "runner:", err)
		os.Exit(1)
	}
}

// maxShownErrors is how many malformed lines the runner reports per file.
const maxShownErrors = 10

func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) (err error) {
	fs := flag.NewFlagSet("runner", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: runner [flags] [FILE|GLOB ...]   (default api_requests.log; - is stdin)")
		fs.PrintDefaults()
	}
	dbFlags := dsn.AddFlags(fs)
	logFlags := cli.AddLogFlags(fs, "warn")
	version := cli.AddVersionFlag(fs)
	jsonOut := fs.Bool("json", false, "print the summary on stdout as one JSON object (files, totals, prune, error)")
	strict := fs.Bool("strict", false, "stop at the first malformed line (default: report it and go on)")
	complete := fs.Bool("complete", false, "the files are complete: load a last line that has no newline\n(default: leave it for a later run, since the file may still be being written)")
	pruneBefore := fs.String("prune-before", "", "after loading, delete the requests and rollups of days before this `YYYY-MM-DD`\n(with no FILE, only prune)")
	batch := fs.Int("batch", logstats.DefaultBatchLines, "lines per transaction")
	timezone := fs.String("timezone", "UTC", "time zone of the logs' timestamps (an IANA name)")
	progress := fs.String("progress", "auto", "progress bar on stderr: auto (when stderr is a terminal), on or off")
	memLimit := fs.Int("memory-limit", 40, "soft limit of the Go heap in `MiB` (debug.SetMemoryLimit): the garbage collector works\nharder near it, which keeps memory flat whatever the file's size; 0 leaves Go's default\n(or $GOMEMLIMIT, which wins when set and this flag is not)")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the run to this `file` (for go tool pprof)")
	dryRun := fs.Bool("dry-run", false, "only parse the files, on every core, and report what a load would; touch no database")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *version {
		fmt.Fprintln(stdout, cli.Version("runner"))
		return nil
	}
	// From here on, every outcome is summarized, as one JSON object with
	// -json, failures included.
	sum := &summary{DryRun: *dryRun, Files: []fileSummary{}}
	defer func() { sum.print(stdout, *jsonOut, err) }()
	logger, err := logFlags.Logger(stderr)
	if err != nil {
		return err
	}
	var prune logstats.Date
	if *pruneBefore != "" {
		d, err := logstats.ParseDate(*pruneBefore)
		if err != nil {
			return fmt.Errorf("-prune-before: %v", err)
		}
		prune = d
	}
	files, err := expandArgs(fs.Args())
	if err != nil {
		return err
	}
	if len(files) == 0 && prune.IsZero() {
		files = []string{"api_requests.log"}
	}
	loc, err := time.LoadLocation(*timezone)
	if err != nil {
		return fmt.Errorf("-timezone: %v", err)
	}
	showProgress := *progress == "on" || *progress == "auto" && isTerminal(stderr)
	if *progress != "on" && *progress != "off" && *progress != "auto" {
		return fmt.Errorf("-progress: want auto, on or off")
	}

	// Open every file first, so that a typo fails before any work.
	inputs := make([]input, 0, len(files))
	defer func() {
		for _, in := range inputs {
			in.close()
		}
	}()
	for _, name := range files {
		in, err := openInput(name, stdin)
		if err != nil {
			return err
		}
		in.complete = in.complete || *complete
		inputs = append(inputs, in)
	}
	// On SIGINT, close the inputs too: a load waiting on a read (a quiet
	// stdin) then stops.
	stopClosing := context.AfterFunc(ctx, func() {
		for _, in := range inputs {
			in.close()
		}
	})
	defer stopClosing()

	memLimitSet := false
	fs.Visit(func(f *flag.Flag) { memLimitSet = memLimitSet || f.Name == "memory-limit" })
	if *memLimit > 0 && (memLimitSet || getenv("GOMEMLIMIT") == "") {
		defer debug.SetMemoryLimit(debug.SetMemoryLimit(int64(*memLimit) << 20))
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return fmt.Errorf("-cpuprofile: %v", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return fmt.Errorf("-cpuprofile: %v", err)
		}
		defer pprof.StopCPUProfile()
	}

	text := stdout
	if *jsonOut {
		text = io.Discard
	}
	if *dryRun {
		for _, in := range inputs {
			if err := checkOne(ctx, in, loc, sum, text, logger); err != nil {
				return err
			}
		}
		return nil
	}
	db, d, from, err := dbFlags.Open(ctx, getenv)
	if err != nil {
		return err
	}
	defer db.Close()
	logger.Debug("database ready", "db", d.String(), "from", from)
	ing := logstats.NewIngester(db)
	ing.BatchLines, ing.Location = *batch, loc

	for _, in := range inputs {
		if err := loadOne(ctx, ing, in, logstats.LoadOptions{Strict: *strict}, showProgress, sum, text, stderr, logger); err != nil {
			return err
		}
	}
	if !prune.IsZero() {
		res, err := ing.Prune(ctx, prune)
		if err != nil {
			return err
		}
		sum.Pruned = &pruneSummary{Before: prune.String(), Requests: res.Requests, Days: res.Days}
		fmt.Fprintf(text, "pruned days before %s: %d requests over %d customer-days\n", prune, res.Requests, res.Days)
		logger.Info("pruned", "before", prune.String(), "requests", res.Requests, "days", res.Days)
	}
	return nil
}

// expandArgs expands the arguments that are glob patterns (for shells that
// do not, or quoted ones), keeping the order and dropping repeats. A pattern
// that matches nothing is an error, as a missing file is.
func expandArgs(args []string) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	for _, a := range args {
		names := []string{a}
		if a != "-" && strings.ContainsAny(a, "*?[") {
			if _, err := os.Stat(a); err != nil { // a file may be named "a[1].log"
				m, err := filepath.Glob(a)
				if err != nil {
					return nil, fmt.Errorf("%s: bad pattern: %v", a, err)
				}
				if len(m) == 0 {
					return nil, fmt.Errorf("%s: the pattern matches no file", a)
				}
				names = m
			}
		}
		for _, n := range names {
			if !seen[n] || n == "-" {
				seen[n] = true
				out = append(out, n)
			}
		}
	}
	return out, nil
}

// summary is what a run did, printed as JSON with -json.
type summary struct {
	DryRun bool          `json:"dry_run"`
	Files  []fileSummary `json:"files"`
	Total  totals        `json:"total"`
	Pruned *pruneSummary `json:"pruned,omitempty"`
	Error  string        `json:"error,omitempty"`
}

type fileSummary struct {
	File                 string      `json:"file"`
	Lines                int64       `json:"lines"`
	Valid                *int64      `json:"valid,omitempty"` // -dry-run only
	Inserted             int64       `json:"inserted"`
	SkippedAlreadyLoaded int64       `json:"skipped_already_loaded"`
	Malformed            int64       `json:"malformed"`
	PendingBytes         int64       `json:"pending_bytes"`
	Seconds              float64     `json:"seconds"`
	Errors               []lineError `json:"errors"`
}

type lineError struct {
	Line   int    `json:"line"`
	Reason string `json:"reason"`
}

type totals struct {
	Files                int     `json:"files"`
	Lines                int64   `json:"lines"`
	Inserted             int64   `json:"inserted"`
	SkippedAlreadyLoaded int64   `json:"skipped_already_loaded"`
	Malformed            int64   `json:"malformed"`
	Seconds              float64 `json:"seconds"`
	LinesPerSecond       int64   `json:"lines_per_second"`
}

type pruneSummary struct {
	Before   string `json:"before"`
	Requests int64  `json:"requests"`
	Days     int64  `json:"days"`
}

// print writes the summary: the total line of several files, or with asJSON
// the whole summary as one JSON object, err included.
func (s *summary) print(w io.Writer, asJSON bool, err error) {
	if err != nil {
		s.Error = err.Error()
	}
	t := &s.Total
	t.LinesPerSecond = int64(float64(t.Lines-t.SkippedAlreadyLoaded) / max(t.Seconds, 1e-9))
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetEscapeHTML(false)
		enc.Encode(s)
	} else if len(s.Files) > 1 {
		fmt.Fprintln(w, t.text(s.DryRun))
	}
}

// add counts f in the totals and the list of files.
func (s *summary) add(f fileSummary) {
	s.Files = append(s.Files, f)
	t := &s.Total
	t.Files++
	t.Lines += f.Lines
	t.Inserted += f.Inserted
	t.SkippedAlreadyLoaded += f.SkippedAlreadyLoaded
	t.Malformed += f.Malformed
	t.Seconds += f.Seconds
}

func (t totals) text(dryRun bool) string {
	if dryRun {
		return fmt.Sprintf("total: %d files, %d lines, %d malformed, parsed in %.3fs (%s lines/s)",
			t.Files, t.Lines, t.Malformed, t.Seconds, thousands(t.LinesPerSecond))
	}
	return fmt.Sprintf("total: %d files, %d lines, %d inserted, %d already loaded, %d malformed in %.3fs (%s lines/s)",
		t.Files, t.Lines, t.Inserted, t.SkippedAlreadyLoaded, t.Malformed, t.Seconds, thousands(t.LinesPerSecond))
}

// logMalformed logs the first malformed lines of a file, one record each.
func logMalformed(logger *slog.Logger, file string, errs []*logstats.ParseError, total int64) []lineError {
	out := []lineError{}
	for _, e := range errs[:min(len(errs), maxShownErrors)] {
		logger.Warn("malformed line", "file", file, "line", e.Line, "reason", e.Reason)
		out = append(out, lineError{e.Line, e.Reason})
	}
	if n := int64(len(out)); total > n {
		logger.Warn("more malformed lines not shown", "file", file, "shown", n, "malformed", total)
	}
	return out
}

// input is a log to load and what the progress bar needs to know of it.
type input struct {
	name     string
	r        *countingReader
	size     int64 // 0 when unknown (stdin)
	complete bool  // a last line without a newline is a line (stdin, -complete)
	close    func() error
}

func openInput(name string, stdin io.Reader) (input, error) {
	if name == "-" {
		closeStdin := func() error {
			if c, ok := stdin.(io.Closer); ok {
				return c.Close()
			}
			return nil
		}
		return input{name: "stdin", r: &countingReader{r: stdin}, complete: true, close: closeStdin}, nil
	}
	f, err := os.Open(name)
	if errors.Is(err, os.ErrNotExist) {
		return input{}, fmt.Errorf("%s: no such file; pass a log file, e.g. the sample: go run ./examples/runner testdata/api_requests.log", name)
	}
	if err != nil {
		return input{}, err
	}
	var size int64
	if fi, err := f.Stat(); err == nil && fi.IsDir() {
		f.Close()
		return input{}, fmt.Errorf("%s is a directory; pass log files, or a glob that matches only files", name)
	} else if err == nil && fi.Mode().IsRegular() {
		size = fi.Size()
	}
	return input{name: name, r: &countingReader{r: f}, size: size, close: f.Close}, nil
}

// checkOne parses in without loading it (-dry-run).
func checkOne(ctx context.Context, in input, loc *time.Location, sum *summary, stdout io.Writer, logger *slog.Logger) error {
	start := time.Now()
	opts := logstats.CheckOptions{Location: loc, MaxErrors: maxShownErrors}
	var res *logstats.CheckResult
	var err error
	if in.size > 0 { // a regular file, named in.name: parsed on every core
		res, err = logstats.CheckFile(ctx, in.name, opts)
	} else {
		res, err = logstats.Check(ctx, in.r, opts)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", in.name, err)
	}
	elapsed := time.Since(start)
	fmt.Fprintf(stdout, "%s: %d lines, %d valid, %d malformed, parsed in %.3fs (%s lines/s); nothing loaded (-dry-run)\n",
		in.name, res.Lines, res.Requests, res.Malformed, elapsed.Seconds(), thousands(int64(float64(res.Lines)/max(elapsed.Seconds(), 1e-9))))
	sum.add(fileSummary{
		File: in.name, Lines: res.Lines, Valid: &res.Requests, Malformed: res.Malformed, Seconds: elapsed.Seconds(),
		Errors: logMalformed(logger, in.name, res.Errors, res.Malformed),
	})
	return nil
}

func loadOne(ctx context.Context, ing *logstats.Ingester, in input, opts logstats.LoadOptions, showProgress bool, sum *summary, stdout, stderr io.Writer, logger *slog.Logger) error {
	start := time.Now()
	var bar *progressBar
	if showProgress {
		bar = newProgressBar(stderr, in, start)
		opts.Progress = bar.update
		defer bar.stop()
	}
	opts.Growing = !in.complete
	logger.Debug("loading", "file", in.name, "bytes", in.size)
	res, err := ing.Load(ctx, in.name, in.r, opts)
	if bar != nil {
		bar.stop()
	}
	elapsed := time.Since(start)
	newLines := res.Lines - res.SkippedAlreadyLoaded
	fmt.Fprintf(stdout, "%s: %d lines, %d inserted, %d already loaded, %d malformed in %.3fs (%s lines/s)\n",
		in.name, res.Lines, res.Inserted, res.SkippedAlreadyLoaded, res.Malformed,
		elapsed.Seconds(), thousands(int64(float64(newLines)/max(elapsed.Seconds(), 1e-9))))
	logger.Info("loaded", "file", in.name, "lines", res.Lines, "inserted", res.Inserted,
		"already_loaded", res.SkippedAlreadyLoaded, "malformed", res.Malformed, "seconds", elapsed.Seconds())
	if res.PendingBytes > 0 {
		logger.Warn("the last line has no newline yet, so it may still be being written; it loads once it ends with one (or run with -complete)",
			"file", in.name, "bytes", res.PendingBytes)
	}
	sum.add(fileSummary{
		File: in.name, Lines: res.Lines, Inserted: res.Inserted, SkippedAlreadyLoaded: res.SkippedAlreadyLoaded, Malformed: res.Malformed,
		PendingBytes: res.PendingBytes, Seconds: elapsed.Seconds(),
		Errors: logMalformed(logger, in.name, res.Errors, res.Malformed),
	})
	switch {
	case err == nil:
		return nil
	case errors.Is(err, logstats.ErrSourceChanged):
		return fmt.Errorf("%s: %w", in.name, err)
	case errors.Is(err, logstats.ErrMalformedLine):
		return fmt.Errorf("%s: %v (strict mode: fix the line and run again; what was committed before it stays)", in.name, err)
	case ctx.Err() != nil || errors.Is(err, context.Canceled):
		return fmt.Errorf("%s: interrupted; what was committed stays, and running again loads the rest", in.name)
	}
	return fmt.Errorf("%s: %w; what was committed stays, and running again loads the rest", in.name, err)
}

// countingReader counts the bytes read from the file, compressed or not, for
// the progress bar.
type countingReader struct {
	r io.Reader
	n atomicInt
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// thousands formats n with thousands separators: 1234567 -> "1,234,567".
func thousands(n int64) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0 && s[i-1] != '-'; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
