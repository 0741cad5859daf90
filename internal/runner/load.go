package runner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/logstats/logstats"
	"github.com/logstats/logstats/internal/cli"
)

// noSpaceMessage is what a run that failed for want of space says, as
// POST /load does.
const noSpaceMessage = "the database's disk is full; what was committed stays: free space and run the load again to load the rest"

// loader loads the inputs of a run.
type loader struct {
	ing            *logstats.Ingester
	strict         bool
	progress       bool
	sum            *Summary
	stdout, stderr io.Writer
	logger         *slog.Logger
}

func (l *loader) load(ctx context.Context, in *Input) error {
	start := time.Now()
	opts := logstats.LoadOptions{Strict: l.strict, Growing: !in.Complete}
	var bar *progressBar
	if l.progress {
		bar = newProgressBar(l.stderr, in)
		opts.Progress = bar.update
		defer bar.stop()
	}
	l.logger.Debug("loading", "file", in.Name, "bytes", in.Size)
	res, err := l.ing.Load(ctx, in.Name, in, opts)
	if bar != nil {
		bar.stop()
	}
	elapsed := time.Since(start)
	newLines := res.Lines - res.SkippedAlreadyLoaded
	fmt.Fprintf(l.stdout, "%s: %d lines, %d inserted, %d already loaded, %d malformed, %d unattributed in %.3fs (%s lines/s), format %s\n",
		in.Name, res.Lines, res.Inserted, res.SkippedAlreadyLoaded, res.Malformed, res.Unattributed,
		elapsed.Seconds(), thousands(int64(float64(newLines)/max(elapsed.Seconds(), 1e-9))), res.Format)
	l.logger.Info("loaded", "file", in.Name, "lines", res.Lines, "inserted", res.Inserted,
		"already_loaded", res.SkippedAlreadyLoaded, "malformed", res.Malformed, "unattributed", res.Unattributed,
		"format", res.Format, "seconds", elapsed.Seconds())
	if res.PendingBytes > 0 {
		l.logger.Warn("the last line has no newline yet, so it may still be being written; it loads once it ends with one (or run with -complete)",
			"file", in.Name, "bytes", res.PendingBytes)
	}
	res.Errors = logMalformed(l.logger, in.Name, res.Errors, res.Malformed)
	l.sum.Add(FileSummary{File: in.Name, LoadResult: res, Seconds: elapsed.Seconds()})
	switch {
	case err == nil:
		return nil
	case errors.Is(err, logstats.ErrSourceChanged), errors.Is(err, logstats.ErrWrongFormat), errors.Is(err, logstats.ErrReadingChanged):
		return fmt.Errorf("%s: %w", in.Name, err)
	case errors.Is(err, logstats.ErrMalformedLine):
		return fmt.Errorf("%s: %v (strict mode: fix the line and run again; what was committed before it stays)", in.Name, cli.WithAdvice(err))
	case ctx.Err() != nil || errors.Is(err, context.Canceled):
		return fmt.Errorf("%s: interrupted; what was committed stays, and running again loads the rest", in.Name)
	case logstats.KindOf(err) == logstats.KindNoSpace:
		return fmt.Errorf("%s: %s (%w)", in.Name, noSpaceMessage, err)
	}
	return fmt.Errorf("%s: %w; what was committed stays, and running again loads the rest", in.Name, err)
}

// check parses in without loading it (-dry-run).
func check(ctx context.Context, in *Input, pc logstats.ParseConfig, sum *Summary, stdout io.Writer, logger *slog.Logger) error {
	start := time.Now()
	opts := logstats.CheckOptions{ParseConfig: pc, MaxErrors: MaxShownErrors}
	var res *logstats.CheckResult
	var err error
	if in.Size > 0 { // a regular file, named in.Name: parsed on every core
		res, err = logstats.CheckFile(ctx, in.Name, opts)
	} else {
		res, err = logstats.Check(ctx, in, opts)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", in.Name, err)
	}
	elapsed := time.Since(start)
	fmt.Fprintf(stdout, "%s: %d lines, %d valid, %d malformed, %d unattributed, parsed in %.3fs (%s lines/s), format %s; nothing loaded (-dry-run)\n",
		in.Name, res.Lines, res.Requests, res.Malformed, res.Unattributed, elapsed.Seconds(), thousands(int64(float64(res.Lines)/max(elapsed.Seconds(), 1e-9))), res.Format)
	lr := &logstats.LoadResult{Source: in.Name, Lines: res.Lines, Malformed: res.Malformed, Blank: res.Blank, Bytes: res.Bytes,
		Unattributed: res.Unattributed, Format: res.Format,
		Errors: logMalformed(logger, in.Name, res.Errors, res.Malformed)}
	sum.Add(FileSummary{File: in.Name, LoadResult: lr, Valid: &res.Requests, Seconds: elapsed.Seconds()})
	return nil
}

// logMalformed logs the first malformed lines of a file, one record each,
// and returns them.
func logMalformed(logger *slog.Logger, file string, errs []*logstats.ParseError, total int64) []*logstats.ParseError {
	shown := errs[:min(len(errs), MaxShownErrors)]
	for _, e := range shown {
		logger.Warn("malformed line", "file", file, "line", e.Line, "reason", e.Reason)
	}
	if n := int64(len(shown)); total > n {
		logger.Warn("more malformed lines not shown", "file", file, "shown", n, "malformed", total)
	}
	return append([]*logstats.ParseError{}, shown...)
}
