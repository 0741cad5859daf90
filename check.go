package logstats

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"sync"
	"time"
)

// CheckResult says what parsing a log found, as a load would report it.
type CheckResult struct {
	Lines     int64 // lines read, blank and malformed ones included
	Requests  int64 // valid lines
	Malformed int64 // malformed lines
	Blank     int64 // blank lines
	// Unattributed counts well-formed lines without a customer.
	Unattributed int64
	// Format is the format the lines were read in, as LoadResult.Format.
	Format string
	Bytes  int64         // bytes of (decompressed) input read
	Errors []*ParseError // the first malformed lines, at most MaxErrors
}

// CheckOptions tune CheckFile. The zero value parses UTC timestamps on every
// core and lists DefaultMaxErrors malformed lines.
type CheckOptions struct {
	ParseConfig     // how to read the lines; the zero value detects the format
	Workers     int // parsers run at once; default GOMAXPROCS
	MaxErrors   int // malformed lines listed; default DefaultMaxErrors
}

// CheckFile parses the log at path and stores nothing: a dry run of a load,
// which counts and reports malformed lines as a load would (a last line
// without a newline counts, as in [Ingester.Load]). A plain file is split at
// line boundaries into one part per worker, parsed at once; a compressed one
// is parsed by one worker.
func CheckFile(ctx context.Context, path string, opts CheckOptions) (*CheckResult, error) {
	if opts.Location == nil {
		opts.Location = time.UTC
	}
	if opts.Workers <= 0 {
		opts.Workers = runtime.GOMAXPROCS(0)
	}
	if opts.MaxErrors <= 0 {
		opts.MaxErrors = DefaultMaxErrors
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	var magic [2]byte
	n, _ := f.ReadAt(magic[:], 0)
	if !fi.Mode().IsRegular() || IsGzip(magic[:n]) {
		return Check(ctx, f, opts)
	}
	bounds, err := splitAtLines(f, fi.Size(), opts.Workers)
	if err != nil {
		return nil, err
	}
	// An auto format is detected at the first line that fits one, as a
	// single parser would: parts after that line read the detected format.
	detected, at, err := detectFormat(io.NewSectionReader(f, 0, fi.Size()), opts.ParseConfig)
	if err != nil {
		return nil, err
	}
	parts := make([]*CheckResult, len(bounds)-1)
	errs := make([]error, len(parts))
	var wg sync.WaitGroup
	for i := range parts {
		cfg := opts.ParseConfig
		if cfg.Format.IsAuto() && !detected.IsAuto() && bounds[i] > at {
			cfg.Format = detected
		}
		wg.Go(func() {
			// Parts after the first start mid-file: no compression sniffing.
			part := io.NewSectionReader(f, bounds[i], bounds[i+1]-bounds[i])
			parts[i], errs[i] = checkPart(ctx, part, readOptions{plain: true}, cfg, opts.MaxErrors)
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	// Line numbers in a part count from its start.
	res := &CheckResult{}
	for _, part := range parts {
		for _, e := range part.Errors {
			if len(res.Errors) < opts.MaxErrors {
				e.Line += int(res.Lines)
				res.Errors = append(res.Errors, e)
			}
		}
		res.Lines += part.Lines
		res.Requests += part.Requests
		res.Malformed += part.Malformed
		res.Blank += part.Blank
		res.Unattributed += part.Unattributed
		if res.Format == "" || res.Format == "auto" {
			res.Format = part.Format
		}
		res.Bytes += part.Bytes
	}
	return res, nil
}

// Check is CheckFile for a stream (plain or gzip), which one worker parses.
func Check(ctx context.Context, r io.Reader, opts CheckOptions) (*CheckResult, error) {
	if opts.Location == nil {
		opts.Location = time.UTC
	}
	if opts.MaxErrors <= 0 {
		opts.MaxErrors = DefaultMaxErrors
	}
	return checkPart(ctx, r, readOptions{}, opts.ParseConfig, opts.MaxErrors)
}

// splitAtLines returns parts+1 offsets that cut a file of size bytes into
// parts, each cut just after a newline (fewer parts when lines are long).
func splitAtLines(f io.ReaderAt, size int64, parts int) ([]int64, error) {
	bounds := []int64{0}
	buf := make([]byte, 64<<10)
	for k := 1; k < parts; k++ {
		cut := size
	search:
		for off := max(size*int64(k)/int64(parts), bounds[len(bounds)-1]); off < size; off += int64(len(buf)) {
			n, err := f.ReadAt(buf, off)
			if i := bytes.IndexByte(buf[:n], '\n'); i >= 0 {
				cut = off + int64(i) + 1
				break search
			}
			if err != nil && !errors.Is(err, io.EOF) {
				return nil, err
			}
		}
		if cut > bounds[len(bounds)-1] && cut < size {
			bounds = append(bounds, cut)
		}
	}
	return append(bounds, size), nil
}

// checkPart parses everything r holds.
func checkPart(ctx context.Context, r io.Reader, opts readOptions, cfg ParseConfig, maxErrors int) (*CheckResult, error) {
	opts.ctx = ctx
	lr, err := openLineReader(r, opts)
	if err != nil {
		return nil, err
	}
	p, err := newCountingParser(lr, cfg)
	if err != nil {
		return nil, err
	}
	res := &CheckResult{}
	var l logLine
	for {
		if err := p.read(&l); err != nil {
			switch {
			case errors.Is(err, io.EOF):
				res.Lines, res.Bytes, res.Format = int64(lr.line()), lr.offset(), p.Detected().String()
				return res, nil
			case ctx.Err() != nil:
				return nil, context.Cause(ctx)
			}
			return nil, fmt.Errorf("line %d: %w", lr.line()+1, err)
		}
		switch {
		case l.blank:
			res.Blank++
		case l.unattributed:
			res.Unattributed++
		case l.err != nil:
			res.Malformed++
			if len(res.Errors) < maxErrors {
				res.Errors = append(res.Errors, l.err)
			}
		default:
			res.Requests++
		}
	}
}
