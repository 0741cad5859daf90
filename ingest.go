package logstats

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"
)

// Defaults of the Ingester's knobs.
const (
	DefaultBatchLines   = 100_000
	DefaultMaxErrors    = 20
	DefaultCompactEvery = 32
	DefaultMaxRetries   = 5
)

// headLines and headBytes bound the look-ahead that finds a source's first
// valid line, which identifies the source.
const (
	headLines = 1000
	headBytes = 1 << 20
)

// Ingester loads logs into the database exactly once. Its fields are the
// configuration its loads share: set them before the first load. It is then
// safe for concurrent use, each load taking its own [LoadOptions];
// concurrent loads of the same source are refused with [ErrLoadInProgress],
// in this process and across processes.
type Ingester struct {
	// Dialect is the SQL dialect of the database. NewIngester detects it from
	// the driver; set it when that fails (a wrapped driver, say).
	Dialect Dialect
	// Driver tells which errors are lock conflicts worth a retry and which
	// say the database is unreachable. NewIngester sets it to db's driver
	// when that is a Driver (package mysql's and sqlite's are); set it for a
	// *sql.DB opened another way (sql.Open, a tracing wrapper), for example
	// to mysql.Driver{} or sqlite.Driver{}. When nil, no error is retried.
	Driver Driver
	// BatchLines is how many lines each transaction commits. It bounds memory
	// (about 200 bytes a line) and transaction size. Default DefaultBatchLines.
	BatchLines int
	// ParseConfig says how to read the logs: their format (default: detect
	// it), where the customer is, the zone of timestamps without one.
	ParseConfig
	// MaxErrors is how many malformed lines a LoadResult lists. Default
	// DefaultMaxErrors.
	MaxErrors int
	// CompactEvery is how many batches a load commits before it merges the
	// rollup rows it wrote for each day (it also does at the end, and sooner
	// once it wrote more days than BatchLines). Default DefaultCompactEvery.
	CompactEvery int
	// MaxRetries is how many times a batch is retried after a deadlock, lock
	// wait timeout or busy database. Default DefaultMaxRetries.
	MaxRetries int
	// PruneChunk is how many raw rows one DELETE of Prune removes, each in
	// its own transaction. Default DefaultPruneChunk.
	PruneChunk int
	// Now returns the current time, for the ledger's timestamps. Default time.Now.
	Now func() time.Time
	// OnCommit, when set, is called after each batch a load commits with
	// the customers the batch added requests of, each once, in order (an
	// Alerter's deliverer evaluates their objectives). It must not block
	// for long, nor keep the slice.
	OnCommit func(customers []string)
	// BulkLoader, when set, writes raw rows to MySQL with LOAD DATA LOCAL
	// INFILE instead of multi-row INSERTs. NewIngester sets it to db's
	// driver when that is one (package mysql's is); set it to nil for
	// INSERTs. If the server refuses it, the Ingester falls back to INSERTs
	// for the rest of its life. It is not used on SQLite.
	BulkLoader BulkLoader
	// Guard, when set, vets the database before each load and prune, and
	// may turn off bulk loading for a load. NewIngester sets it to db's
	// driver when that is a WriteGuard (package mysql's is).
	Guard WriteGuard
	// Raw is how the raw requests are kept (SPEC §10): RawBlocks, RawRows
	// or RawNone. The first load into a database records it (RawBlocks
	// when empty); later loads use the recorded mode when it is empty, and
	// fail with a *RawModeError when it names another.
	Raw RawMode

	db          *sql.DB
	rawMode     rawModeCache
	bulkRefused atomic.Bool // the server refused LOAD DATA once
	mu          sync.Mutex
	loading     map[int64]bool // sources being loaded through this Ingester
}

// NewIngester returns an Ingester that writes to db. It does no I/O; call
// [Migrate] before the first load.
func NewIngester(db *sql.DB) *Ingester {
	d, _ := DetectDialect(db)
	drv := driverOf(db)
	bulk, _ := drv.(BulkLoader)
	guard, _ := drv.(WriteGuard)
	return &Ingester{
		Dialect:      d,
		BulkLoader:   bulk,
		Guard:        guard,
		Driver:       drv,
		BatchLines:   DefaultBatchLines,
		ParseConfig:  ParseConfig{Location: time.UTC},
		MaxErrors:    DefaultMaxErrors,
		CompactEvery: DefaultCompactEvery,
		MaxRetries:   DefaultMaxRetries,
		PruneChunk:   DefaultPruneChunk,
		Now:          time.Now,
		db:           db,
		loading:      make(map[int64]bool),
	}
}

// LoadOptions are the choices of one load.
type LoadOptions struct {
	// Growing says that the input may still be growing, such as a file a
	// server is writing to: a last line without a newline may be incomplete,
	// so it is left for a later load (LoadResult.PendingBytes counts it),
	// which loads it once it ends with a newline. Default false: the input is
	// complete, such as an upload, and a last line without a newline is a
	// line.
	Growing bool
	// Strict stops the load at the first malformed line: the batches before
	// the one holding it are committed, and Load returns its *ParseError.
	// Default false: malformed lines are counted, reported and skipped.
	Strict bool
	// Progress, when set, is called after each committed batch, from the
	// goroutine that writes to the database.
	Progress func(LoadProgress)
	// Parse, when set, says how to read this load's lines instead of the
	// Ingester's ParseConfig (an upload in another format, say).
	Parse *ParseConfig
	// From, when set, is the Checkpoint of an earlier load of the same
	// source, and the input starts at its Offset: the load goes on from
	// there, in the format read then, without reading the bytes before.
	// If the source's ledger has moved since (another load went on), Load
	// fails with ErrCheckpointStale and loads nothing.
	From *Checkpoint
}

// LoadProgress is reported after each committed batch.
type LoadProgress struct {
	Bytes     int64 // bytes of (decompressed) input committed so far
	Lines     int64 // lines committed so far, the already loaded ones included
	Inserted  int64 // requests inserted by this load so far
	Malformed int64 // malformed lines committed (skipped) by this load so far
}

// LoadResult says what a load did. Its JSON form is the answer of POST /load
// and a file of the runner's -json summary.
type LoadResult struct {
	// Source is the name the source was loaded under.
	Source string `json:"source"`
	// Lines is how many lines of the input were read, the already loaded
	// ones included.
	Lines int64 `json:"lines"`
	// Inserted is how many requests this load added.
	Inserted int64 `json:"inserted"`
	// SkippedAlreadyLoaded is how many lines an earlier load had committed.
	SkippedAlreadyLoaded int64 `json:"skipped_already_loaded"`
	// Malformed is how many malformed lines were read (and skipped).
	Malformed int64 `json:"malformed"`
	// Blank is how many blank lines were read (and skipped).
	Blank int64 `json:"blank"`
	// Unattributed is how many well-formed lines were read whose customer
	// selector found no customer; they are not loaded (set
	// ParseConfig.CustomerDefault to load them).
	Unattributed int64 `json:"unattributed"`
	// Format is the format the lines were read in: the configured one, or
	// the one detected ("auto" when no line fitted a format).
	Format string `json:"format"`
	// Bytes is how many bytes of (decompressed) input were read.
	Bytes int64 `json:"bytes"`
	// PendingBytes is the length of a last line without a newline that a
	// Growing load left for a later load, since it may not be complete yet.
	PendingBytes int64 `json:"pending_bytes"`
	// Errors lists the first malformed lines, at most MaxErrors.
	Errors []*ParseError `json:"errors"`
	// Checkpoint, after a load that succeeded on a plain input, is where
	// it stopped, for the next load of the input to go on from
	// (LoadOptions.From); nil when there is none (a compressed input, an
	// error, nothing loaded yet).
	Checkpoint *Checkpoint `json:"-"`
}

// Load reads a log (plain or gzip) from r and loads the lines that no earlier
// load committed. name is recorded with the source and reported; the source
// itself is identified by its first valid line (by more of its first lines
// when another source starts with the same one), so the same log loaded under
// another name, or compressed, is still recognised. opts says whether r may
// still be growing, whether a malformed line stops the load, and where
// progress goes.
//
// Each batch of lines is committed in one transaction with the source's new
// offset, so a load that fails or is cancelled can simply be run again.
// Cancelling ctx stops a load at its next batch or read; a load blocked in a
// read of r stops when the read returns (close r to make it return).
//
// Load returns an error wrapping ErrSourceChanged, without loading anything,
// when the part of the source loaded before has changed, or when its first
// lines were loaded already from another source (the same log with lines cut
// from its start); ErrLoadInProgress when another load of the same source is
// running; ErrCorruptInput for a corrupt gzip stream; a *ParseError in strict
// mode. The LoadResult is never nil and counts what was done before any error.
func (ing *Ingester) Load(ctx context.Context, name string, r io.Reader, opts LoadOptions) (*LoadResult, error) {
	res, err := ing.load(ctx, name, r, opts)
	return res, classify(ing.Driver, err)
}

func (ing *Ingester) load(ctx context.Context, name string, r io.Reader, opts LoadOptions) (*LoadResult, error) {
	res := &LoadResult{Source: name, Errors: []*ParseError{}}
	// The writer cancels ctx when it fails, which stops the reader too.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	d, err := resolveDialect(ing.db, ing.Dialect)
	if err != nil {
		return res, err
	}
	bulk, err := ing.beforeWrite(ctx, d)
	if err != nil {
		return res, err
	}
	store, err := ing.rawStore(ctx, d)
	if err != nil {
		return res, err
	}
	// The reader stops at its next read once the load is cancelled.
	lr, err := openLineReader(r, readOptions{hash: true, holdPartial: opts.Growing, ctx: ctx, plain: opts.From != nil})
	if err != nil {
		return res, err
	}
	cfg := ing.ParseConfig
	if opts.Parse != nil {
		cfg = *opts.Parse
	}
	var head []headLine
	var src *source
	if opts.From != nil {
		if err := lr.resume(opts.From); err != nil {
			return res, err
		}
		cfg.Format = opts.From.format
		src = &source{id: opts.From.source, fingerprint: opts.From.fingerprint, name: name}
	}
	p, err := newParser(lr, cfg)
	if err != nil {
		return res, err
	}
	defer func() { res.PendingBytes, res.Format = lr.pendingBytes(), p.Detected().String() }()
	if src == nil {
		var fingerprint [32]byte
		if head, fingerprint, err = readHead(p, lr); err != nil {
			return res, err
		}
		if len(head) == 0 && lr.offset() == 0 {
			return res, nil // empty input, or only a line still being written
		}
		if err := wrongFormat(cfg, head); err != nil {
			for _, h := range head {
				res.Lines++
				if h.blank {
					res.Blank++
				}
				if h.err != nil {
					res.Malformed++
					if len(res.Errors) < ing.maxErrors() {
						res.Errors = append(res.Errors, h.err)
					}
				}
			}
			return res, err
		}
		if src, head, err = ing.identify(ctx, store, p, lr, head, fingerprint, name); err != nil {
			return res, err
		}
	}
	src.reading = p.reading()
	if !ing.lock(src.id) {
		return res, fmt.Errorf("%w: %s; retry when it ends (the retry loads only what is left)", ErrLoadInProgress, name)
	}
	defer ing.unlock(src.id)
	if err := ing.openSource(ctx, src); err != nil {
		return res, err
	}
	src.store, src.dayZone = store, store.zone
	if opts.From != nil {
		if !src.exists || src.offset != opts.From.Offset || !bytes.Equal(src.sum, opts.From.sum) {
			return res, fmt.Errorf("%w: %s: committed up to byte %d, not %d, since another load went on; load the whole file",
				ErrCheckpointStale, name, src.offset, opts.From.Offset)
		}
	} else if head, err = skipLoaded(lr, head, src); err != nil {
		return res, err
	}
	res.SkippedAlreadyLoaded = src.lines
	isNew := !src.exists

	// One batch is written while the next is parsed: parsing is faster than
	// writing, so a queue would only hold memory.
	batches := make(chan *batch)
	free := make(chan *batch, 1)
	werr := make(chan error, 1)
	go func() {
		err := ing.writeBatches(ctx, d, bulk, src, isNew, batches, free, res, opts.Progress)
		if err != nil {
			cancel() // stop the reader, then let it finish
			for range batches {
			}
		}
		werr <- err
	}()
	perr := ing.readBatches(ctx, p, lr, head, src, batches, free, res, opts.Strict)
	close(batches)
	switch err := <-werr; {
	case errors.Is(err, errNoRequest) && perr != nil:
		return res, perr
	case errors.Is(err, errNoRequest) && res.Unattributed > 0:
		return res, &UnattributedError{Format: p.Detected(), Customer: p.reading().customer, Lines: res.Unattributed}
	case errors.Is(err, errNoRequest):
		return res, nil // blank or malformed lines only: nothing to record
	case err != nil:
		return res, err
	}
	if perr != nil {
		return res, perr
	}
	res.Checkpoint = lr.checkpoint(src, p.Detected())
	return res, nil
}

func (ing *Ingester) lock(id int64) bool {
	ing.mu.Lock()
	defer ing.mu.Unlock()
	if ing.loading[id] {
		return false
	}
	ing.loading[id] = true
	return true
}

func (ing *Ingester) unlock(id int64) {
	ing.mu.Lock()
	defer ing.mu.Unlock()
	delete(ing.loading, id)
}

func (ing *Ingester) maxErrors() int {
	if ing.MaxErrors <= 0 {
		return DefaultMaxErrors
	}
	return ing.MaxErrors
}

func (ing *Ingester) now() time.Time {
	if ing.Now == nil {
		return time.Now()
	}
	return ing.Now()
}
