// Command runner loads log files into the logstats database, as the original
// app's standalone loader did.
//
//	go run ./examples/runner testdata/api_requests.log
//
// It loads each FILE (default api_requests.log; - is stdin) exactly once:
// lines loaded before are skipped, so running it again is harmless.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"runtime/pprof"
	"syscall"
	"time"

	"github.com/logstats/logstats"
	"github.com/logstats/logstats/internal/dsn"
	"github.com/logstats/logstats/loaddata"
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

// maxShownErrors is how many malformed lines the runner prints per file.
const maxShownErrors = 10

func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("runner", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: runner [flags] [FILE ...]   (FILE defaults to api_requests.log; - is stdin)")
		fs.PrintDefaults()
	}
	dbFlags := dsn.AddFlags(fs)
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
	files := fs.Args()
	var prune logstats.Date
	if *pruneBefore != "" {
		d, err := logstats.ParseDate(*pruneBefore)
		if err != nil {
			return fmt.Errorf("-prune-before: %v", err)
		}
		prune = d
	} else if len(files) == 0 {
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
	if *dryRun {
		for _, in := range inputs {
			if err := checkOne(ctx, in, loc, stdout, stderr); err != nil {
				return err
			}
		}
		return nil
	}
	db, _, _, err := dbFlags.Open(ctx, getenv)
	if err != nil {
		return err
	}
	defer db.Close()
	ing := logstats.NewIngester(db)
	ing.BulkLoader = loaddata.Loader{} // LOAD DATA on MySQL; unused on SQLite
	ing.Strict, ing.BatchLines, ing.Location = *strict, *batch, loc

	for _, in := range inputs {
		if err := loadOne(ctx, ing, in, showProgress, stdout, stderr); err != nil {
			return err
		}
	}
	if !prune.IsZero() {
		res, err := ing.Prune(ctx, prune)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "pruned days before %s: %d requests over %d customer-days\n", prune, res.Requests, res.Days)
	}
	return nil
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
	if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() {
		size = fi.Size()
	}
	return input{name: name, r: &countingReader{r: f}, size: size, close: f.Close}, nil
}

// checkOne parses in without loading it (-dry-run).
func checkOne(ctx context.Context, in input, loc *time.Location, stdout, stderr io.Writer) error {
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
	if len(res.Errors) > 0 {
		fmt.Fprintf(stderr, "%s: malformed lines (first %d of %d):\n", in.name, len(res.Errors), res.Malformed)
		for _, e := range res.Errors {
			fmt.Fprintf(stderr, "  %s\n", e)
		}
	}
	return nil
}

func loadOne(ctx context.Context, ing *logstats.Ingester, in input, showProgress bool, stdout, stderr io.Writer) error {
	start := time.Now()
	var bar *progressBar
	if showProgress {
		bar = newProgressBar(stderr, in, start)
		ing.Progress = bar.update
		defer bar.stop()
	}
	load := ing.LoadGrowing
	if in.complete {
		load = ing.Load
	}
	res, err := load(ctx, in.name, in.r)
	if bar != nil {
		bar.stop()
	}
	elapsed := time.Since(start)
	newLines := res.Lines - res.SkippedAlreadyLoaded
	fmt.Fprintf(stdout, "%s: %d lines, %d inserted, %d already loaded, %d malformed in %.3fs (%s lines/s)\n",
		in.name, res.Lines, res.Inserted, res.SkippedAlreadyLoaded, res.Malformed,
		elapsed.Seconds(), thousands(int64(float64(newLines)/max(elapsed.Seconds(), 1e-9))))
	if res.PendingBytes > 0 {
		fmt.Fprintf(stderr, "%s: the last line (%d bytes) has no newline yet, so it may still be being written; it loads once it ends with one (or run with -complete)\n", in.name, res.PendingBytes)
	}
	if len(res.Errors) > 0 {
		shown := res.Errors[:min(len(res.Errors), maxShownErrors)]
		fmt.Fprintf(stderr, "%s: malformed lines (first %d of %d):\n", in.name, len(shown), res.Malformed)
		for _, e := range shown {
			fmt.Fprintf(stderr, "  %s\n", e)
		}
	}
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
