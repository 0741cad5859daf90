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
	"strings"
	"time"
)

// source is a log being loaded and its ledger row.
type source struct {
	id          int64
	fingerprint [32]byte
	name        string
	offset      int64          // committed byte offset
	lines       int64          // committed lines
	sum         []byte         // SHA-256 of the committed prefix
	exists      bool           // whether the ledger row exists
	reading     sourceReading  // how this load reads it
	dayZone     *time.Location // the database's day zone, which cuts the rollups' days
	// recordedAuto: the ledger says "auto", since the loads before saw no
	// line that told the format (only blank lines); this load records it.
	recordedAuto bool
}

// sourceReading is how a source's lines are read, as the ledger records it:
// what decides what its lines count as.
type sourceReading struct {
	format, customer, customerDefault string
}

// legacyReading is how a source recorded before formats existed was read.
var legacyReading = sourceReading{format: "logstats"}

func (r sourceReading) String() string {
	s := "format " + r.format
	if r.customer != "" {
		s += ", customer " + r.customer
	}
	if r.customerDefault != "" {
		s += ", customer default " + r.customerDefault
	}
	return s
}

// same reports whether r and o read every line the same way, however they
// spell their format and customer selector.
func (r sourceReading) same(o sourceReading) bool {
	if r == o {
		return true
	}
	if r.customerDefault != o.customerDefault {
		return false
	}
	mine, err1 := r.signature()
	theirs, err2 := o.signature()
	return err1 == nil && err2 == nil && mine == theirs
}

// signature is the signature of r's format with r's customer selector.
func (r sourceReading) signature() (string, error) {
	f, err := ParseFormat(r.format)
	if err != nil {
		return "", err
	}
	sel, err := ParseCustomerSelector(r.customer)
	if err != nil {
		return "", err
	}
	return f.signature(sel)
}

// flags returns the runner's flags that read a source as r says, quoted
// for a POSIX shell.
func (r sourceReading) flags() string {
	s := "-format " + shellQuote(r.format)
	if r.customer != "" {
		s += " -customer " + shellQuote(r.customer)
	}
	if r.customerDefault != "" {
		s += " -customer-default " + shellQuote(r.customerDefault)
	}
	return s
}

// shellQuote quotes s for a POSIX shell: 'it'\”s'.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
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
	sumOpen      []byte
	entry        Entry
	err          *ParseError // nil for a valid, blank or unattributed line
	blank        bool
	unattributed bool
	shaped       bool   // of the format's shape, though maybe malformed (logLine.shaped)
	text         []byte // a copy of a malformed line, for the first few only
}

// headTexts is how many malformed head lines keep their text, to tell which
// format a log that fits none is in.
const headTexts = 10

// readHead reads lines up to and including the first valid one, whose bytes
// identify the source (headers, comments and blank lines before it do not).
// Without a valid line in the first headLines lines or headBytes bytes, all
// that was read identifies it.
func readHead(p *Parser, lr *lineReader) ([]headLine, [32]byte, error) {
	var head []headLine
	var l logLine
	texts := 0 // malformed lines whose text is kept
	for len(head) < headLines && lr.offset() < headBytes {
		start := lr.offset()
		err := p.read(&l)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, [32]byte{}, err
		}
		h := headLine{start: start, lineNumber: int64(lr.line()), err: l.err, blank: l.blank, unattributed: l.unattributed, shaped: l.shaped}
		if l.err != nil && texts < headTexts {
			h.text = bytes.Clone(l.text)
			texts++
		}
		h.sumOpen = lr.sumBeforeNewline() // before sum, which hashes the newline
		h.end, h.sum = lr.offset(), lr.sum()
		if !l.blank && (l.err == nil || l.shaped) {
			// A line of the format's shape identifies the source, whatever
			// the customer selector finds in it (nothing: an unattributed
			// line; an invalid customer: a malformed one), so that a load
			// with another selector finds the same source, and its recorded
			// reading.
			h.entry = l.entry
			fp := sha256.Sum256(l.text)
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
	var format, customer, customerDefault sql.NullString
	err := ing.db.QueryRowContext(ctx,
		`SELECT s.fingerprint, s.committed_offset, s.committed_lines, s.committed_sha256, f.format, f.customer, f.customer_default
		FROM logstats_sources s LEFT JOIN logstats_source_formats f ON f.source_id = s.source_id
		WHERE s.source_id = ?`,
		src.id).Scan(&fp, &src.offset, &src.lines, &src.sum, &format, &customer, &customerDefault)
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
	recorded := legacyReading
	if format.Valid {
		recorded = sourceReading{format.String, customer.String, customerDefault.String}
	}
	src.recordedAuto = recorded.format == "auto"
	if !src.recordedAuto && src.reading.format != "auto" && !recorded.same(src.reading) {
		return fmt.Errorf("%w: %s was loaded reading %s; this load reads %s, which would count its lines differently. Load it with %s",
			ErrReadingChanged, src.name, recorded, src.reading, recorded.flags())
	}
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
	if src.offset < lr.offset() {
		return nil, changed(fmt.Sprintf("its first %d bytes differ from those loaded before", src.offset))
	}
	if err := lr.skipTo(src.offset, int(src.lines)); err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, changed(fmt.Sprintf("it is shorter (%d bytes) than the %d bytes loaded before", lr.offset(), src.offset))
		}
		return nil, fmt.Errorf("read %s: %w", src.name, err)
	}
	if !bytes.Equal(lr.sum(), src.sum) {
		return nil, changed(fmt.Sprintf("its first %d bytes differ from those loaded before", src.offset))
	}
	return checkLastLine(lr, nil, changed)
}

// checkLastLine handles a committed prefix that ended in a line without a
// newline: if the input now goes on, that line must have been ended by a
// newline, not extended.
func checkLastLine(lr *lineReader, rest []headLine, changed func(string) error) ([]headLine, error) {
	if lr.atLineStart() || len(rest) > 0 {
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
			(source_id, fingerprint, name, committed_offset, committed_lines, committed_sha256, committed_requests, created_us, updated_us)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			src.id, src.fingerprint[:], truncateName(src.name), b.endOffset, b.endLines, b.sum, len(b.entries), now, now)
		if err == nil {
			r := src.reading
			if _, err := tx.ExecContext(ctx, `INSERT INTO logstats_source_formats (source_id, format, customer, customer_default) VALUES (?, ?, ?, ?)`,
				src.id, r.format, r.customer, r.customerDefault); err != nil {
				return fmt.Errorf("register source %s: %w", src.name, err)
			}
			return nil
		}
		var n int
		if qerr := ing.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM logstats_sources WHERE source_id = ?`, src.id).Scan(&n); qerr == nil && n > 0 {
			return errSourceMoved(src)
		}
		return fmt.Errorf("register source %s: %w", src.name, err)
	}
	if src.recordedAuto && src.reading.format != "auto" {
		r := src.reading
		if _, err := tx.ExecContext(ctx, `UPDATE logstats_source_formats SET format = ?, customer = ?, customer_default = ? WHERE source_id = ?`,
			r.format, r.customer, r.customerDefault, src.id); err != nil {
			return fmt.Errorf("update source %s: %w", src.name, err)
		}
	}
	result, err := tx.ExecContext(ctx, `UPDATE logstats_sources
		SET committed_offset = ?, committed_lines = ?, committed_sha256 = ?, name = ?, updated_us = ?,
			committed_requests = CASE WHEN committed_requests < 0 THEN committed_requests ELSE committed_requests + ? END
		WHERE source_id = ? AND committed_offset = ?`,
		b.endOffset, b.endLines, b.sum, truncateName(src.name), now, len(b.entries), src.id, src.offset)
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

// wrongFormat returns the error of a load whose head holds no valid line
// but malformed ones, or nil: naming the format tried and the built-in
// formats that read the head's lines, if any.
func wrongFormat(cfg ParseConfig, head []headLine) error {
	var first *ParseError
	var texts [][]byte
	for _, h := range head {
		switch {
		case h.err == nil && !h.blank, h.shaped:
			return nil // a valid or unattributed line, or one of the format's shape
		case h.err != nil:
			if first == nil {
				first = h.err
			}
			if h.text != nil {
				texts = append(texts, h.text)
			}
		}
	}
	if first == nil {
		return nil // only blank lines
	}
	var fits []string
	for _, f := range builtinFormats {
		if f == cfg.Format {
			continue
		}
		try := cfg
		try.Format = f
		if _, err := newLineFormat(try); err != nil {
			try.Customer = CustomerSelector{} // the format's own customer
		}
		if _, err := newLineFormat(try); err != nil {
			try.Customer = CustomerSelector{kind: selectPath, name: "/{}"} // envoy, alb: any path
		}
		p := NewParser(nil)
		p.ParseConfig = try
		n := 0
		for _, t := range texts {
			if _, err := p.Parse(t); err == nil || errors.Is(err, ErrUnattributed) {
				n++
			}
		}
		if n > 0 && 2*n >= len(texts) {
			fits = append(fits, f.String())
		}
	}
	what := "the format " + cfg.Format.String()
	if cfg.Format.IsAuto() {
		what = "any of the formats " + strings.Join(FormatNames(), ", ")
	}
	hint := "no built-in format reads them either: pass -format nginx:'<your log_format>' or -format apache:'<your LogFormat>'"
	if len(fits) > 0 {
		hint = "they read as " + strings.Join(fits, " or ") + ": pass -format " + fits[0]
		if f, _ := ParseFormat(fits[0]); f.defaultCustomer().IsDefault() && f.kind != kindLogstats && cfg.Customer.IsDefault() {
			hint += " with -customer path:PATTERN or query:NAME (it has no customer field)"
		}
	}
	message := func(first *ParseError) error {
		why := " (" + first.Error() + ")"
		if errors.Is(first, ErrNoFormatFits) {
			why = ""
		}
		return fmt.Errorf("%w: no line of the %d read is valid in %s%s; %s. Nothing was loaded",
			ErrWrongFormat, len(head), what, why, hint)
	}
	return &wrongFormatError{err: message(first), withheld: message(first.WithoutInput())}
}

// Committed returns how far the ledger says source (a Checkpoint's Source)
// is loaded: its committed byte offset and lines; 0, 0 for a source never
// loaded.
func (ing *Ingester) Committed(ctx context.Context, source int64) (offset, lines int64, err error) {
	err = ing.db.QueryRowContext(ctx, `SELECT committed_offset, committed_lines FROM logstats_sources WHERE source_id = ?`, source).Scan(&offset, &lines)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, 0, nil
	}
	if err != nil {
		return 0, 0, classify(ing.Driver, fmt.Errorf("read source %d: %w", source, err))
	}
	return offset, lines, nil
}
