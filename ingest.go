package logstats

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
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

// Ingester loads logs into the database exactly once. It is safe for
// concurrent use; concurrent loads of the same source are refused with
// [ErrLoadInProgress], in this process and across processes.
type Ingester struct {
	// Dialect is the SQL dialect of the database. NewIngester detects it from
	// the driver; set it when that fails (a wrapped driver, say).
	Dialect Dialect
	// BatchLines is how many lines each transaction commits. It bounds memory
	// (about 200 bytes a line) and transaction size. Default DefaultBatchLines.
	BatchLines int
	// Strict stops a load at the first malformed line: the batches before the
	// one holding it are committed, and the load returns its *ParseError.
	// Default false: malformed lines are counted, reported and skipped.
	Strict bool
	// Location is the time zone of the log's timestamps. Default time.UTC.
	Location *time.Location
	// MaxErrors is how many malformed lines a LoadResult lists. Default
	// DefaultMaxErrors.
	MaxErrors int
	// CompactEvery is how many batches a load commits before it merges the
	// rollup rows it wrote for each day (it also does at the end). Default
	// DefaultCompactEvery.
	CompactEvery int
	// MaxRetries is how many times a batch is retried after a deadlock, lock
	// wait timeout or busy database. Default DefaultMaxRetries.
	MaxRetries int
	// Progress, when set, is called after each committed batch, from the
	// goroutine that writes to the database.
	Progress func(LoadProgress)
	// Now returns the current time, for the ledger's timestamps. Default time.Now.
	Now func() time.Time
	// BulkLoader, when set, writes raw rows to MySQL with LOAD DATA LOCAL
	// INFILE instead of multi-row INSERTs (see package
	// github.com/logstats/logstats/loaddata). If the server refuses it, the
	// Ingester falls back to INSERTs for the rest of its life. It is not used
	// on SQLite.
	BulkLoader BulkLoader

	db          *sql.DB
	bulkRefused atomic.Bool // the server refused LOAD DATA once
	mu          sync.Mutex
	loading     map[int64]bool // sources being loaded through this Ingester
}

// NewIngester returns an Ingester that writes to db. It does no I/O; call
// [Migrate] before the first load.
func NewIngester(db *sql.DB) *Ingester {
	d, _ := DetectDialect(db)
	return &Ingester{
		Dialect:      d,
		BatchLines:   DefaultBatchLines,
		Location:     time.UTC,
		MaxErrors:    DefaultMaxErrors,
		CompactEvery: DefaultCompactEvery,
		MaxRetries:   DefaultMaxRetries,
		Now:          time.Now,
		db:           db,
		loading:      make(map[int64]bool),
	}
}

// LoadProgress is reported after each committed batch.
type LoadProgress struct {
	Bytes     int64 // bytes of (decompressed) input committed so far
	Lines     int64 // lines committed so far, the already loaded ones included
	Inserted  int64 // requests inserted by this load so far
	Malformed int64 // malformed lines committed (skipped) by this load so far
}

// LoadResult says what a load did.
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
	// Bytes is how many bytes of (decompressed) input were read.
	Bytes int64 `json:"bytes"`
	// PendingBytes is the length of a last line without a newline that
	// LoadGrowing left for a later load, since it may not be complete yet.
	PendingBytes int64 `json:"pending_bytes"`
	// Errors lists the first malformed lines, at most MaxErrors.
	Errors []*ParseError `json:"-"`
}

// LoadFile loads the log file at path (plain or gzip) under the name of its
// base, with LoadGrowing: the file may still be being written.
func (ing *Ingester) LoadFile(ctx context.Context, path string) (*LoadResult, error) {
	f, err := os.Open(path)
	if err != nil {
		return &LoadResult{Source: filepath.Base(path)}, err
	}
	defer f.Close()
	return ing.LoadGrowing(ctx, filepath.Base(path), f)
}

// LoadGrowing is Load for a log that may still be growing, such as a file a
// server is writing to: a last line without a newline may be incomplete, so
// it is left for a later load (LoadResult.PendingBytes counts it), which
// loads it once it ends with a newline.
func (ing *Ingester) LoadGrowing(ctx context.Context, name string, r io.Reader) (*LoadResult, error) {
	return ing.load(ctx, name, r, true)
}

// Load reads a complete log (plain or gzip) from r, such as an upload, and
// loads the lines that no earlier load committed; at the end of r, a last line
// without a newline is a line. name is recorded with the source and reported;
// the source itself is identified by its first valid line, so the same log
// loaded under another name, or compressed, is still recognised.
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
func (ing *Ingester) Load(ctx context.Context, name string, r io.Reader) (*LoadResult, error) {
	return ing.load(ctx, name, r, false)
}

func (ing *Ingester) load(ctx context.Context, name string, r io.Reader, growing bool) (*LoadResult, error) {
	res := &LoadResult{Source: name}
	// The writer cancels ctx when it fails, which stops the reader too.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	d, err := resolveDialect(ing.db, ing.Dialect)
	if err != nil {
		return res, err
	}
	p := NewParser(r)
	p.Location = ing.Location
	if err := p.open(); err != nil {
		return res, err
	}
	p.lr.hash = sha256.New()
	p.lr.holdPartial = growing
	p.lr.ctx = ctx // the reader stops at its next read once the load is cancelled
	defer func() { res.PendingBytes = int64(p.lr.pending) }()
	head, fingerprint, err := readHead(p)
	if err != nil {
		return res, err
	}
	if len(head) == 0 && p.lr.consumed == 0 {
		return res, nil // empty input, or only a line still being written
	}
	src := &source{id: sourceID(fingerprint), fingerprint: fingerprint, name: name}
	if !ing.lock(src.id) {
		return res, fmt.Errorf("%w: %s; retry when it ends (the retry loads only what is left)", ErrLoadInProgress, name)
	}
	defer ing.unlock(src.id)
	if err := ing.openSource(ctx, src); err != nil {
		return res, err
	}
	head, err = skipLoaded(p.lr, head, src)
	if err != nil {
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
		err := ing.writeBatches(ctx, d, src, isNew, batches, free, res)
		if err != nil {
			cancel() // stop the reader, then let it finish
			for range batches {
			}
		}
		werr <- err
	}()
	perr := ing.readBatches(ctx, p, head, src, batches, free, res)
	close(batches)
	if err := <-werr; err != nil {
		return res, err
	}
	if perr != nil {
		return res, perr
	}
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

// source is a log being loaded and its ledger row.
type source struct {
	id          int64
	fingerprint [32]byte
	name        string
	offset      int64  // committed byte offset
	lines       int64  // committed lines
	sum         []byte // SHA-256 of the committed prefix
	exists      bool   // whether the ledger row exists
}

// sourceID derives the ledger key from the fingerprint, so that no
// AUTO_INCREMENT is needed. A collision of 63-bit ids is detected when the
// stored fingerprint differs.
func sourceID(fp [32]byte) int64 {
	return int64(binary.BigEndian.Uint64(fp[:8]) >> 1)
}

// headLine is a line read before the source was identified.
type headLine struct {
	start, end int64 // byte offsets of the line and of the next one
	lineNumber int64
	sum        []byte // SHA-256 of the input up to end
	// sumOpen is the SHA-256 of the input up to end-1, when the line ends in
	// a newline: what an earlier load committed if the line had none then.
	sumOpen []byte
	entry   Entry
	err     *ParseError // nil for a valid or blank line
	blank   bool
}

// readHead reads lines up to and including the first valid one, whose bytes
// identify the source (headers, comments and blank lines before it do not).
// Without a valid line in the first headLines lines or headBytes bytes, all
// that was read identifies it.
func readHead(p *Parser) ([]headLine, [32]byte, error) {
	lr := p.lr
	var head []headLine
	for len(head) < headLines && lr.consumed < headBytes {
		start := lr.consumed
		raw, entry, perr, blank, err := p.scan()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, [32]byte{}, err
		}
		h := headLine{start: start, lineNumber: int64(lr.lineNumber), err: perr, blank: blank}
		h.sumOpen = lr.sumBeforeNewline() // before sum, which hashes the newline
		h.end, h.sum = lr.consumed, lr.sum()
		if perr == nil && !blank {
			h.entry = entry
			fp := sha256.Sum256(bytes.TrimSuffix(raw, []byte{'\r'}))
			return append(head, h), fp, nil
		}
		head = append(head, h)
	}
	var fp [32]byte
	copy(fp[:], lr.sum())
	return head, fp, nil
}

// openSource reads the committed state of src from its ledger row. A new
// source has none yet: its first batch creates it.
func (ing *Ingester) openSource(ctx context.Context, src *source) error {
	var fp []byte
	err := ing.db.QueryRowContext(ctx,
		`SELECT fingerprint, committed_offset, committed_lines, committed_sha256 FROM logstats_sources WHERE source_id = ?`,
		src.id).Scan(&fp, &src.offset, &src.lines, &src.sum)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		empty := sha256.Sum256(nil)
		src.offset, src.lines, src.sum = 0, 0, empty[:]
		return nil
	case err != nil:
		return fmt.Errorf("read source %s: %w", src.name, err)
	case !bytes.Equal(fp, src.fingerprint[:]):
		return fmt.Errorf("source %s: its id %d collides with another source's; report this as a bug", src.name, src.id)
	}
	src.exists = true
	return nil
}

func truncateName(name string) string {
	if len(name) > 1024 {
		return name[:1024]
	}
	return name
}

// skipLoaded moves the reader past the committed prefix of src, checking
// that the prefix is unchanged, and returns the head lines still to load.
func skipLoaded(lr *lineReader, head []headLine, src *source) ([]headLine, error) {
	changed := func(why string) error {
		return fmt.Errorf("%w: %s: %s; nothing was loaded. If the file was rewritten on purpose, load it under a new first line, or prune and reload",
			ErrSourceChanged, src.name, why)
	}
	if src.offset == 0 {
		return head, nil
	}
	for i, h := range head {
		switch {
		case h.end == src.offset:
			if !bytes.Equal(h.sum, src.sum) {
				return nil, changed(fmt.Sprintf("its first %d bytes differ from those loaded before", src.offset))
			}
			return checkLastLine(lr, head[i+1:], changed)
		case h.end-1 == src.offset && h.sumOpen != nil:
			// This line was loaded when it had no newline yet; it has one now.
			if !bytes.Equal(h.sumOpen, src.sum) {
				return nil, changed(fmt.Sprintf("its first %d bytes differ from those loaded before", src.offset))
			}
			return head[i+1:], nil
		}
	}
	if src.offset < lr.consumed {
		return nil, changed(fmt.Sprintf("its first %d bytes differ from those loaded before", src.offset))
	}
	if _, err := lr.skip(src.offset - lr.consumed); err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, changed(fmt.Sprintf("it is shorter (%d bytes) than the %d bytes loaded before", lr.consumed, src.offset))
		}
		return nil, fmt.Errorf("read %s: %w", src.name, err)
	}
	if !bytes.Equal(lr.sum(), src.sum) {
		return nil, changed(fmt.Sprintf("its first %d bytes differ from those loaded before", src.offset))
	}
	lr.lineNumber = int(src.lines)
	return checkLastLine(lr, nil, changed)
}

// checkLastLine handles a committed prefix that ended in a line without a
// newline: if the input now goes on, that line must have been ended by a
// newline, not extended.
func checkLastLine(lr *lineReader, rest []headLine, changed func(string) error) ([]headLine, error) {
	if lr.lastByte == '\n' || len(rest) > 0 {
		return rest, nil
	}
	b, ok, err := lr.peekByte()
	switch {
	case err != nil:
		return nil, err
	case !ok:
		return nil, nil
	case b == '\n':
		lr.consume(1)
		return nil, nil
	}
	return nil, changed("its last loaded line had no newline and has since been extended")
}

// batch is a run of lines committed in one transaction.
type batch struct {
	entries   []Entry
	offsets   []int64 // byte offset of each entry's line
	endOffset int64   // byte offset after the batch's last line
	endLines  int64   // line number of the batch's last line
	sum       []byte  // SHA-256 of the input up to endOffset
	lines     int64   // lines in the batch, malformed and blank ones included
	malformed int64
}

func (b *batch) reset() {
	b.entries, b.offsets = b.entries[:0], b.offsets[:0]
	b.lines, b.malformed = 0, 0
}

// readBatches parses the input after the committed prefix into batches and
// sends them to the writer.
func (ing *Ingester) readBatches(ctx context.Context, p *Parser, head []headLine, src *source, out chan<- *batch, free <-chan *batch, res *LoadResult) error {
	lr := p.lr
	batchLines := max(ing.BatchLines, 1)
	b := &batch{}
	send := func(endOffset, endLines int64, sum []byte) error {
		b.endOffset, b.endLines, b.sum = endOffset, endLines, sum
		select {
		case out <- b:
		case <-ctx.Done():
			return context.Cause(ctx)
		}
		select {
		case b = <-free:
			b.reset()
		default:
			b = &batch{}
		}
		return nil
	}
	// add records one line; it returns a *ParseError to stop a strict load.
	add := func(start int64, e Entry, perr *ParseError, blank bool) error {
		b.lines++
		res.Lines++
		switch {
		case blank:
			res.Blank++
		case perr != nil:
			b.malformed++
			res.Malformed++
			if len(res.Errors) < ing.maxErrors() {
				res.Errors = append(res.Errors, perr)
			}
			if ing.Strict {
				return perr
			}
		default:
			b.entries = append(b.entries, e)
			b.offsets = append(b.offsets, start)
		}
		return nil
	}
	res.Lines = src.lines
	for _, h := range head {
		if err := add(h.start, h.entry, h.err, h.blank); err != nil {
			return err
		}
		if len(b.entries) >= batchLines {
			if err := send(h.end, h.lineNumber, h.sum); err != nil {
				return err
			}
		}
	}
	for {
		start := lr.consumed
		_, e, perr, blank, err := p.scan()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		if err := add(start, e, perr, blank); err != nil {
			return err
		}
		if len(b.entries) >= batchLines {
			if err := ctx.Err(); err != nil {
				return err
			}
			if err := send(lr.consumed, int64(lr.lineNumber), lr.sum()); err != nil {
				return err
			}
		}
	}
	end := lr.committable()
	res.Bytes = end.offset
	if b.lines == 0 {
		return nil
	}
	return send(end.offset, int64(end.lines), end.sum)
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

// writeBatches commits batches in order until the channel closes. For a new
// source, the first batch with requests is first checked against the
// requests of other sources.
func (ing *Ingester) writeBatches(ctx context.Context, d Dialect, src *source, isNew bool, in <-chan *batch, free chan<- *batch, res *LoadResult) error {
	touched := make(map[dayKey]bool)
	committed := 0
	var inserted, malformed int64
	for b := range in {
		if isNew && len(b.entries) > 0 {
			if err := ing.checkNotLoadedElsewhere(ctx, src, b.entries); err != nil {
				return err
			}
			isNew = false
		}
		// The rollups are computed while the raw rows are being written
		// (on the other core), and waited for only when they are needed.
		groupsc := make(chan map[dayKey]*dayGroup, 1)
		go func(entries []Entry) { groupsc <- groupByDay(entries) }(b.entries)
		var groups map[dayKey]*dayGroup
		getGroups := func() map[dayKey]*dayGroup {
			if groups == nil {
				groups = <-groupsc
			}
			return groups
		}
		err := ing.retry(ctx, func() error { return ing.commitBatch(ctx, d, src, b, getGroups) })
		if err != nil && ctx.Err() != nil {
			// Cancelled: the driver may report it as anything ("statement is
			// closed", "bad connection"); say what happened.
			return fmt.Errorf("%w (the batch in flight was not confirmed: %v; running the load again continues where it stopped)", context.Cause(ctx), err)
		}
		if err != nil {
			return err
		}
		src.offset, src.lines, src.sum, src.exists = b.endOffset, b.endLines, b.sum, true
		inserted += int64(len(b.entries))
		malformed += b.malformed
		res.Inserted = inserted
		for _, g := range getGroups() {
			touched[g.key] = true
		}
		if committed++; committed%max(ing.CompactEvery, 1) == 0 {
			ing.compact(ctx, d, touched)
			clear(touched)
		}
		if ing.Progress != nil {
			ing.Progress(LoadProgress{Bytes: b.endOffset, Lines: b.endLines, Inserted: inserted, Malformed: malformed})
		}
		select {
		case free <- b:
		default:
		}
	}
	ing.compact(ctx, d, touched)
	return nil
}

// copySamples is how many of a new source's first requests are looked up in
// the other sources.
const copySamples = 16

// checkNotLoadedElsewhere refuses a new source when most of its first
// requests (a sample spread over its first batch) were loaded already from
// one other source: that is a loaded log with its first line edited or lines
// cut from its start (so its identity changed), and loading it would count
// the rest twice. Identical requests in unrelated logs (same microsecond,
// customer, path, status and latency, for most of a sample, all from one
// other log) are not a plausible accident.
//
// The sample is taken from the requests of the batch's first customer, so
// that one query, reading that customer's raw rows once, answers it.
func (ing *Ingester) checkNotLoadedElsewhere(ctx context.Context, src *source, entries []Entry) error {
	customer := entries[0].CustomerID
	var same []int
	for i := range entries {
		if entries[i].CustomerID == customer {
			same = append(same, i)
		}
	}
	n := min(copySamples, len(same))
	type sample struct {
		ts, lat int64
		path    string
		status  int
	}
	want := make(map[sample]int, n) // sample -> how many times it was drawn
	var cond strings.Builder
	args := []any{customer, src.id}
	for i := range n {
		e := entries[same[i*len(same)/n]]
		s := sample{e.Time.UnixMicro(), e.Latency.Microseconds(), e.Path, e.Status}
		if want[s]++; want[s] > 1 {
			continue
		}
		if cond.Len() > 0 {
			cond.WriteString(" OR ")
		}
		cond.WriteString("(ts_us = ? AND path = ? AND status = ? AND latency_us = ?)")
		args = append(args, s.ts, s.path, s.status, s.lat)
	}
	rows, err := ing.db.QueryContext(ctx, `SELECT DISTINCT source_id, ts_us, path, status, latency_us FROM logstats_raw_requests
		WHERE customer_id = ? AND source_id <> ? AND (`+cond.String()+`)`, args...)
	if err != nil {
		return fmt.Errorf("check source %s: %w", src.name, err)
	}
	found := make(map[int64]int) // other source -> sampled requests it holds
	for rows.Next() {
		var id int64
		var s sample
		if err := rows.Scan(&id, &s.ts, &s.path, &s.status, &s.lat); err != nil {
			rows.Close()
			return fmt.Errorf("check source %s: %w", src.name, err)
		}
		found[id] += want[s]
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("check source %s: %w", src.name, err)
	}
	need := n
	if n > 2 {
		need = (n + 1) / 2
	}
	for id, k := range found {
		if k < need {
			continue
		}
		var other string
		if err := ing.db.QueryRowContext(ctx, `SELECT name FROM logstats_sources WHERE source_id = ?`, id).Scan(&other); err != nil {
			other = fmt.Sprintf("source %d", id)
		}
		return fmt.Errorf("%w: %s: %d of %d of its first requests sampled were loaded already from %s; it looks like that log with its first lines edited or cut, and loading it would count them twice. Nothing was loaded",
			ErrSourceChanged, src.name, k, n, other)
	}
	return nil
}

// dayKey identifies the rollup of one customer on one UTC day.
type dayKey struct {
	customer string
	day      int64 // days since 1970-01-01
}

func (k dayKey) date() Date { return DateOf(time.Unix(k.day*86400, 0)) }

// dayGroup is the rollup of a batch's requests of one customer on one day.
type dayGroup struct {
	key  dayKey
	date string // YYYY-MM-DD
	hist histogram
	r    rollup
}

// groupByDay aggregates entries into one rollup per (customer, UTC day).
func groupByDay(entries []Entry) map[dayKey]*dayGroup {
	groups := make(map[dayKey]*dayGroup)
	for _, e := range entries {
		k := dayKey{e.CustomerID, floorDiv(e.Time.Unix(), 86400)}
		g := groups[k]
		if g == nil {
			g = &dayGroup{key: k, date: k.date().String(), hist: make(histogram)}
			groups[k] = g
		}
		lat := e.Latency.Microseconds()
		g.r.add(e.Status, lat)
		g.hist[lat]++
	}
	for _, g := range groups {
		g.r.dist = g.hist.distribution()
	}
	return groups
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// commitBatch writes one batch: the ledger first (which also takes the row
// lock that serialises loads of the source), then the raw rows and the rollup
// rows, then commit.
func (ing *Ingester) commitBatch(ctx context.Context, d Dialect, src *source, b *batch, groups func() map[dayKey]*dayGroup) error {
	tx, err := ing.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin batch: %w", err)
	}
	defer tx.Rollback()
	if err := ing.advanceSource(ctx, tx, src, b); err != nil {
		return err
	}
	if err := ing.writeRequests(ctx, tx, d, src.id, b); err != nil {
		return err
	}
	if err := insertRollups(ctx, tx, d, src.id, b.endOffset, groups()); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit batch: %w", err)
	}
	return nil
}

// errSourceMoved says that another load committed first.
func errSourceMoved(src *source) error {
	return fmt.Errorf("%w: %s: another load committed these lines first; nothing was counted twice", ErrLoadInProgress, src.name)
}

// advanceSource moves the ledger of src to the end of b: a compare-and-set
// on the committed offset, or, for a new source, the INSERT of its row (which
// fails on the primary key if another load created it first).
func (ing *Ingester) advanceSource(ctx context.Context, tx *sql.Tx, src *source, b *batch) error {
	now := ing.now().UnixMicro()
	if !src.exists {
		_, err := tx.ExecContext(ctx, `INSERT INTO logstats_sources
			(source_id, fingerprint, name, committed_offset, committed_lines, committed_sha256, created_us, updated_us)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			src.id, src.fingerprint[:], truncateName(src.name), b.endOffset, b.endLines, b.sum, now, now)
		if err == nil {
			return nil
		}
		var n int
		if qerr := ing.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM logstats_sources WHERE source_id = ?`, src.id).Scan(&n); qerr == nil && n > 0 {
			return errSourceMoved(src)
		}
		return fmt.Errorf("register source %s: %w", src.name, err)
	}
	result, err := tx.ExecContext(ctx, `UPDATE logstats_sources
		SET committed_offset = ?, committed_lines = ?, committed_sha256 = ?, name = ?, updated_us = ?
		WHERE source_id = ? AND committed_offset = ?`,
		b.endOffset, b.endLines, b.sum, truncateName(src.name), now, src.id, src.offset)
	if err != nil {
		return fmt.Errorf("update source %s: %w", src.name, err)
	}
	if n, err := result.RowsAffected(); err != nil {
		return fmt.Errorf("update source %s: %w", src.name, err)
	} else if n != 1 {
		return errSourceMoved(src)
	}
	return nil
}

const requestColumns = "customer_id, source_id, src_offset, ts_us, path, status, latency_us"

// writeRequests writes the raw rows of b: with the BulkLoader on MySQL, else
// (or once the server refused it) with multi-row INSERTs.
func (ing *Ingester) writeRequests(ctx context.Context, tx *sql.Tx, d Dialect, sourceID int64, b *batch) error {
	if ing.BulkLoader != nil && d == DialectMySQL && !ing.bulkRefused.Load() && len(b.entries) > 0 {
		err := loadDataRequests(ctx, tx, ing.BulkLoader, sourceID, b)
		if err == nil || !loadDataRefused(err) {
			return err
		}
		// A refused statement changed nothing; the transaction goes on.
		ing.bulkRefused.Store(true)
	}
	return insertRequests(ctx, tx, d, sourceID, b)
}

// insertRequests writes the raw rows of b with multi-row INSERTs, prepared
// once per statement size.
func insertRequests(ctx context.Context, tx *sql.Tx, d Dialect, sourceID int64, b *batch) error {
	const cols = 7
	return insertRows(ctx, tx, d, "logstats_raw_requests", requestColumns, cols, maxRequestsPerInsert, len(b.entries), func(i int, args []any) []any {
		e := &b.entries[i]
		return append(args, e.CustomerID, sourceID, b.offsets[i], e.Time.UnixMicro(), e.Path, e.Status, e.Latency.Microseconds())
	})
}

const rollupColumns = "customer_id, day, source_id, seq, total, c1xx, c2xx, c3xx, c4xx, c5xx, latency_sum_us, latency_min_us, latency_max_us, latency_dist"

// insertRollups writes one rollup row per (customer, day) of a batch, keyed by
// the source and the batch's end offset.
func insertRollups(ctx context.Context, tx *sql.Tx, d Dialect, sourceID, seq int64, groups map[dayKey]*dayGroup) error {
	list := make([]*dayGroup, 0, len(groups))
	for _, g := range groups {
		list = append(list, g)
	}
	return insertRows(ctx, tx, d, "logstats_rollups", rollupColumns, 14, maxRollupsPerInsert, len(list), func(i int, args []any) []any {
		g := list[i]
		return appendRollupArgs(args, g.key.customer, g.date, sourceID, seq, &g.r, g.r.dist.appendBinary(nil))
	})
}

// appendRollupArgs appends the arguments of one rollup row; dist is r's
// encoded distribution.
func appendRollupArgs(args []any, customer, date string, sourceID, seq int64, r *rollup, dist []byte) []any {
	return append(args, customer, date, sourceID, seq, r.total,
		r.byClass[0], r.byClass[1], r.byClass[2], r.byClass[3], r.byClass[4],
		int64(r.sumUS.lo), r.minUS, r.maxUS, dist)
}

// Rows per INSERT statement. Rollup rows carry blobs, so fewer of them keep
// a statement well under MySQL's max_allowed_packet (16 MiB by default).
const (
	maxRequestsPerInsert = 1000
	maxRollupsPerInsert  = 100
	// maxRollupBlob is the largest distribution compaction writes in one
	// row; a day whose merge would be larger keeps several rows.
	maxRollupBlob = 4 << 20
)

// insertRows inserts n rows in statements of at most maxRows rows; row
// appends the arguments of row i.
func insertRows(ctx context.Context, tx *sql.Tx, d Dialect, table, columns string, cols, maxRows, n int, row func(i int, args []any) []any) error {
	if n == 0 {
		return nil
	}
	per := min(maxRows, d.maxParams()/cols, n)
	stmts := make(map[int]*sql.Stmt, 2)
	defer func() {
		for _, s := range stmts {
			s.Close()
		}
	}()
	args := make([]any, 0, per*cols)
	for start := 0; start < n; start += per {
		k := min(per, n-start)
		stmt := stmts[k]
		if stmt == nil {
			var err error
			stmt, err = tx.PrepareContext(ctx, "INSERT INTO "+table+" ("+columns+") VALUES "+placeholders(cols, k))
			if err != nil {
				return fmt.Errorf("prepare insert into %s: %w", table, err)
			}
			stmts[k] = stmt
		}
		args = args[:0]
		for i := start; i < start+k; i++ {
			args = row(i, args)
		}
		if _, err := stmt.ExecContext(ctx, args...); err != nil {
			return fmt.Errorf("insert into %s: %w", table, err)
		}
	}
	return nil
}

// retry runs fn again after errors that a retry can cure: a deadlock, a lock
// wait timeout, a busy SQLite database. fn must be a whole transaction.
func (ing *Ingester) retry(ctx context.Context, fn func() error) error {
	delay := 20 * time.Millisecond
	for attempt := 0; ; attempt++ {
		err := fn()
		if err == nil || attempt >= ing.MaxRetries || !isTransient(err) {
			return err
		}
		select {
		case <-time.After(delay):
		case <-ctx.Done():
			return err
		}
		delay *= 2
	}
}

// isTransient reports whether err is a lock conflict that a retry can cure.
// Drivers are matched by their messages, since logstats imports none:
// MySQL's 1213 (deadlock) and 1205 (lock wait timeout), SQLite's BUSY.
func isTransient(err error) bool {
	msg := err.Error()
	for _, s := range []string{"Error 1213", "Error 1205", "SQLITE_BUSY", "database is locked"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

// compact merges the rollup rows of each touched day into one. It is an
// optimisation for queries: a failure is not an error of the load, and the
// next compaction of that day tries again.
func (ing *Ingester) compact(ctx context.Context, d Dialect, keys map[dayKey]bool) {
	byCustomer := make(map[string][]string)
	for k := range keys {
		byCustomer[k.customer] = append(byCustomer[k.customer], k.date().String())
	}
	_ = ing.compactCustomers(ctx, d, byCustomer)
}

// compactDaysPerTx bounds the days one compaction transaction handles.
const compactDaysPerTx = 400

// compactCustomers compacts the given days of each customer, in
// transactions of at most compactDaysPerTx days (several customers share
// one: a commit costs a log flush on MySQL), in a fixed order so that
// concurrent compactions lock rows in the same order.
func (ing *Ingester) compactCustomers(ctx context.Context, d Dialect, days map[string][]string) error {
	customers := make([]string, 0, len(days))
	for c := range days {
		customers = append(customers, c)
	}
	slices.Sort(customers)
	var group []customerDates
	var groupDays int
	var firstErr error
	flush := func() {
		if len(group) == 0 {
			return
		}
		g := group
		err := ing.retry(ctx, func() error { return compactGroup(ctx, ing.db, d, g) })
		if err != nil && firstErr == nil {
			firstErr = fmt.Errorf("compact %s: %w", g[0].customer, err)
		}
		group, groupDays = nil, 0
	}
	for _, c := range customers {
		dates := days[c]
		slices.Sort(dates)
		for start := 0; start < len(dates); start += compactDaysPerTx {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			chunk := dates[start:min(start+compactDaysPerTx, len(dates))]
			if groupDays+len(chunk) > compactDaysPerTx {
				flush()
			}
			group = append(group, customerDates{c, chunk})
			groupDays += len(chunk)
		}
	}
	flush()
	return firstErr
}

// customerDates are days of one customer.
type customerDates struct {
	customer string
	dates    []string
}

// compactGroup compacts the days of several customers in one transaction.
func compactGroup(ctx context.Context, db *sql.DB, d Dialect, group []customerDates) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	changed := false
	for _, cd := range group {
		c, err := compactDays(ctx, tx, d, cd.customer, cd.dates)
		if err != nil {
			return err
		}
		changed = changed || c
	}
	if !changed {
		return nil // read only: the deferred rollback ends it
	}
	return tx.Commit()
}

// Compact merges the rollup rows of every (customer, day) that has more than
// one into one. Loads compact the days they touch; Compact is for after loads
// were interrupted. Queries give the same answers before and after.
func (ing *Ingester) Compact(ctx context.Context) error {
	d, err := resolveDialect(ing.db, ing.Dialect)
	if err != nil {
		return err
	}
	rows, err := ing.db.QueryContext(ctx, `SELECT customer_id, day FROM logstats_rollups
		GROUP BY customer_id, day HAVING COUNT(*) > 1`)
	if err != nil {
		return fmt.Errorf("compact: %w", err)
	}
	defer rows.Close()
	days := make(map[string][]string)
	for rows.Next() {
		var customer string
		var day dayValue
		if err := rows.Scan(&customer, &day); err != nil {
			return fmt.Errorf("compact: %w", err)
		}
		days[customer] = append(days[customer], day.Date.String())
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("compact: %w", err)
	}
	rows.Close()
	return ing.compactCustomers(ctx, d, days)
}

// compactDays replaces the rollup rows of each of a customer's days by their
// merge, in tx, and reports whether it changed anything. It deletes exactly
// the rows it read (locked on MySQL, under the write lock on SQLite), so rows
// that a concurrent load adds are never lost, whatever the isolation level.
func compactDays(ctx context.Context, tx *sql.Tx, d Dialect, customer string, dates []string) (bool, error) {
	args := make([]any, 0, len(dates)+1)
	args = append(args, customer)
	for _, date := range dates {
		args = append(args, date)
	}
	rows, err := tx.QueryContext(ctx, `SELECT day, source_id, seq, `+rollupValueColumns+` FROM logstats_rollups
		WHERE customer_id = ? AND day IN (?`+strings.Repeat(", ?", len(dates)-1)+`)
		ORDER BY day, source_id, seq`+d.forUpdate(), args...)
	if err != nil {
		return false, err
	}
	defer rows.Close()
	type dayRows struct {
		date   string
		keys   []any // source_id, seq of each row
		merged rollup
		blob   []byte // merged.dist encoded
	}
	var all []*dayRows
	for rows.Next() {
		var day dayValue
		var sourceID, seq int64
		var r rollup
		if err := scanRollup(rows, &r, nil, &day, &sourceID, &seq); err != nil {
			return false, err
		}
		date := day.Date.String()
		if len(all) == 0 || all[len(all)-1].date != date {
			all = append(all, &dayRows{date: date})
		}
		cur := all[len(all)-1]
		cur.keys = append(cur.keys, sourceID, seq)
		cur.merged.merge(&r)
	}
	if err := rows.Err(); err != nil {
		return false, err
	}
	rows.Close()
	var merged []*dayRows
	for _, dr := range all {
		// One row is compact already; a sum or a distribution too large for
		// one row stays split.
		if len(dr.keys) <= 2 || !dr.merged.sumUS.fitsInt64() {
			continue
		}
		if dr.blob = dr.merged.dist.appendBinary(nil); len(dr.blob) <= maxRollupBlob {
			merged = append(merged, dr)
		}
	}
	if len(merged) == 0 {
		return false, nil
	}
	// Delete the merged rows by key, up to perDelete rows a statement, across
	// days: a statement per day would make compaction cost a round trip per
	// day.
	const perDelete = 300
	var keys []any
	deleteKeys := func() error {
		if len(keys) == 0 {
			return nil
		}
		conds := strings.Repeat(" OR (day = ? AND source_id = ? AND seq = ?)", len(keys)/3)[4:]
		_, err := tx.ExecContext(ctx, `DELETE FROM logstats_rollups WHERE customer_id = ? AND (`+conds+`)`,
			append([]any{customer}, keys...)...)
		keys = keys[:0]
		return err
	}
	for _, dr := range merged {
		for i := 0; i < len(dr.keys); i += 2 {
			keys = append(keys, dr.date, dr.keys[i], dr.keys[i+1])
			if len(keys) == 3*perDelete {
				if err := deleteKeys(); err != nil {
					return false, err
				}
			}
		}
	}
	if err := deleteKeys(); err != nil {
		return false, err
	}
	// Insert the merges in statements of at most maxRollupBlob bytes of
	// distributions (at least one row each).
	for start := 0; start < len(merged); {
		end, size := start+1, len(merged[start].blob)
		for end < len(merged) && end-start < maxRollupsPerInsert && size+len(merged[end].blob) <= maxRollupBlob {
			size += len(merged[end].blob)
			end++
		}
		group := merged[start:end]
		err := insertRows(ctx, tx, d, "logstats_rollups", rollupColumns, 14, len(group), len(group), func(i int, args []any) []any {
			return appendRollupArgs(args, customer, group[i].date, 0, 0, &group[i].merged, group[i].blob)
		})
		if err != nil {
			return false, err
		}
		start = end
	}
	return true, nil
}

const rollupValueColumns = "total, c1xx, c2xx, c3xx, c4xx, c5xx, latency_sum_us, latency_min_us, latency_max_us, latency_dist"

// scanRollup scans rollupValueColumns, preceded by the columns in pre. The
// distribution is carved from arena, if not nil (see decodeDistribution).
func scanRollup(rows *sql.Rows, r *rollup, arena *[]int64, pre ...any) error {
	var blob sql.RawBytes // decoded before the next Scan, so not copied
	var sum int64
	dest := append(pre, &r.total, &r.byClass[0], &r.byClass[1], &r.byClass[2], &r.byClass[3], &r.byClass[4],
		&sum, &r.minUS, &r.maxUS, &blob)
	if err := rows.Scan(dest...); err != nil {
		return err
	}
	if r.total < 0 || sum < 0 {
		return fmt.Errorf("%w: negative total or latency sum", ErrCorruptRollup)
	}
	r.sumUS = uint128{lo: uint64(sum)}
	dist, err := decodeDistribution(blob, r.total, arena)
	if err != nil {
		return err
	}
	r.dist = dist
	return nil
}
