package logstats

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"time"
)

// internLimit caps each intern table, so that a log of millions of distinct
// customers or paths costs an allocation per line rather than unbounded memory.
const internLimit = 1 << 14

// ParseConfig says how to read a log's lines: its format, where its
// customer is, and the zone of its timestamps. NewParser takes one;
// Ingester and CheckOptions embed one. The zero ParseConfig detects the
// format and takes the customer from the format's default field.
type ParseConfig struct {
	// Format is the log's format; the zero Format detects it from the first
	// lines that fit a built-in (see ParseFormat).
	Format Format
	// Customer says where a line's customer is; the zero selector is the
	// format's default (see ParseCustomerSelector).
	Customer CustomerSelector
	// CustomerDefault, when set, is the customer of the lines whose
	// selector finds none ("-", empty, absent). When empty, such lines are
	// unattributed: counted, and not loaded.
	CustomerDefault string
	// KeepQuery keeps the query string in the path (default: the path ends
	// before "?", since query strings multiply distinct paths). The logstats
	// format's path is always kept as it is written.
	KeepQuery bool
	// Location is the time zone of timestamps that carry none (the logstats
	// format's); timestamps with an offset or a zone are instants. Nil means
	// time.UTC.
	Location *time.Location
	// Dimensions are the values kept with each request besides its
	// fields, at most MaxDimensions (SPEC §14): each Entry's Dimensions
	// holds them in this order.
	Dimensions []Dimension
}

// ParseSettings are the settings of a ParseConfig written as text, as
// flags, the environment, a config file or a query string give them.
type ParseSettings struct {
	Format string // as ParseFormat reads it; "" detects the format
	// Fields names the keys of a jsonl log, as JSONLines reads them: with
	// the Format auto or jsonl, it makes the format jsonl with those keys.
	Fields          string
	Customer        string // as ParseCustomerSelector reads it; "" is the format's own
	CustomerDefault string // a customer id, or "" to leave unattributed lines out
	// Dimensions are NAME=SELECTOR each, as ParseDimension reads one.
	Dimensions []string
}

// Config returns the ParseConfig that s says, its KeepQuery false and its
// Location nil (UTC). An error is a *SettingError naming the setting that
// cannot be used.
func (s ParseSettings) Config() (ParseConfig, error) {
	var cfg ParseConfig
	var err error
	if cfg.Format, err = ParseFormat(s.Format); err != nil {
		return ParseConfig{}, &SettingError{"Format", err}
	}
	if s.Fields != "" {
		if !cfg.Format.IsAuto() && cfg.Format.String() != "jsonl" {
			return ParseConfig{}, &SettingError{"Fields", fmt.Errorf("%w: fields name the keys of a jsonl log, not of format %s", ErrUnknownFormat, cfg.Format)}
		}
		if cfg.Format, err = JSONLines(s.Fields); err != nil {
			return ParseConfig{}, &SettingError{"Fields", err}
		}
	}
	if cfg.Customer, err = ParseCustomerSelector(s.Customer); err != nil {
		return ParseConfig{}, &SettingError{"Customer", err}
	}
	if cfg.CustomerDefault = s.CustomerDefault; s.CustomerDefault != "" {
		if err := ValidCustomerID(s.CustomerDefault); err != nil {
			return ParseConfig{}, &SettingError{"CustomerDefault", err}
		}
	}
	if cfg.Dimensions, err = ParseDimensions(s.Dimensions); err != nil {
		return ParseConfig{}, &SettingError{"Dimensions", err}
	}
	return cfg, nil
}

// A SettingError is a setting of ParseSettings that cannot be used.
type SettingError struct {
	// Setting is the name of the ParseSettings field: "Format", "Fields",
	// "Customer", "CustomerDefault" or "Dimensions".
	Setting string
	// Err says why. It wraps ErrUnknownFormat, ErrInvalidSelector,
	// ErrInvalidCustomer or ErrInvalidDimension.
	Err error
}

func (e *SettingError) Error() string { return e.Setting + ": " + e.Err.Error() }

// Unwrap returns Err.
func (e *SettingError) Unwrap() error { return e.Err }

// Parser reads log lines from a stream. Input compressed with gzip is detected
// from its magic bytes and decompressed.
//
// A Parser splits the stream into lines (lineReader), hands each non-blank
// line to the lineParser of its format, the pure parser of one line, and
// turns what that returns into an Entry: the customer as the selector says,
// the path without its query string.
//
// A Parser is not safe for concurrent use.
type Parser struct {
	cfg       ParseConfig // how to read the lines, fixed by NewParser
	src       io.Reader
	lr        *lineReader
	line      *lineFormat // cfg's format, until an auto format detects one
	fields    fields      // what the lineParser read from the current line
	buf       []byte      // a percent-decoded customer
	customers internTable
	paths     internTable
	methods   internTable
	dimValues [MaxDimensions]internTable
	dimBufs   [MaxDimensions][]byte // percent-decoded dimension values
	dimClean  [MaxDimensions][]byte // dimension values cleaned (cleanDimensionValue)
	// dimSlots are the Dimensions of entries to come: a line's are cut from
	// them, so that keeping dimensions costs an allocation a few thousand
	// lines.
	dimSlots     []string
	unattributed int64
	// counting: the Parser's entries are counted, never kept (a check), so
	// they get no strings: only their fields' checks are made.
	counting bool
}

// NewParser returns a Parser that reads the lines of r as cfg says. It does
// no I/O until Next. It returns an error wrapping ErrInvalidSelector when
// cfg's format cannot serve cfg's customer selector, or ErrInvalidCustomer
// for an invalid CustomerDefault.
func NewParser(r io.Reader, cfg ParseConfig) (*Parser, error) {
	p, err := newParser(nil, cfg)
	if err != nil {
		return nil, err
	}
	p.src = r
	return p, nil
}

// newParser returns a Parser over the lines of lr, for a load or a check,
// which also need lr's offsets and hashes (nil: NewParser opens its own).
// An error says why cfg cannot work, before any line is read.
func newParser(lr *lineReader, cfg ParseConfig) (*Parser, error) {
	lf, err := newLineFormat(cfg)
	if err != nil {
		return nil, err
	}
	return &Parser{cfg: cfg, lr: lr, line: lf}, nil
}

// newCountingParser is newParser for a check, which counts the lines and
// keeps none: the entries it reads have every field checked, and an empty
// CustomerID, Path and Method.
func newCountingParser(lr *lineReader, cfg ParseConfig) (*Parser, error) {
	p, err := newParser(lr, cfg)
	if err != nil {
		return nil, err
	}
	p.counting = true
	return p, nil
}

// reading returns how the Parser reads its lines, for the ledger: the
// format "auto" while an auto format has detected nothing (a log of blank
// lines).
func (p *Parser) reading() sourceReading {
	dims := dimensionsText(p.cfg.Dimensions)
	if p.line.parse == nil {
		return sourceReading{format: "auto", customer: p.cfg.Customer.String(), customerDefault: p.cfg.CustomerDefault, dimensions: dims}
	}
	return sourceReading{format: p.line.format.String(), customer: p.line.sel.String(), customerDefault: p.cfg.CustomerDefault, dimensions: dims}
}

// Unattributed returns how many well-formed lines Next skipped because their
// customer selector found no customer (and CustomerDefault is empty).
func (p *Parser) Unattributed() int64 { return p.unattributed }

// Detected returns the format the Parser reads: the configured one, or the
// one detected from the lines read so far (the zero Format before any line
// fitted one).
func (p *Parser) Detected() Format { return p.line.format }

// Next returns the next request. Blank lines are skipped. For a malformed line
// it returns a *ParseError, after which Next may be called again to go on. At
// the end of the input it returns io.EOF; any other error is from reading the
// input and ends parsing.
func (p *Parser) Next() (Entry, error) {
	if err := p.open(); err != nil {
		return Entry{}, err
	}
	var l logLine
	for {
		err := p.read(&l)
		switch {
		case err != nil:
			return Entry{}, err
		case l.blank:
			continue
		case l.unattributed:
			p.unattributed++
			continue
		case l.err != nil:
			return Entry{}, l.err
		}
		return l.entry, nil
	}
}

// A logLine is one line as a Parser read it: a request, a malformed line, a
// blank one, or a request without a customer.
type logLine struct {
	text         []byte      // without its line ending; valid until the next read
	entry        Entry       // the request, unless err is set or the line is blank or unattributed
	err          *ParseError // why the line is malformed, with its line number
	blank        bool        // nothing but spaces and tabs
	unattributed bool        // well formed, but the customer selector found no customer
	// shaped: the format's line parser read the line, although its
	// customer or path may be invalid. Such a line identifies a source as
	// well as a valid one: its bytes do not depend on the customer selector.
	shaped bool
}

// read reads the next line into l. err is io.EOF at the end of the input, a
// read error, or a log whose format cannot be told; a malformed line is not
// an error of read.
func (p *Parser) read(l *logLine) error {
	// All but the entry, which is written whole for a request and read
	// for nothing else: clearing it would cost as much again.
	l.text, l.err, l.blank, l.unattributed, l.shaped = nil, nil, false, false, false
	text, err := p.lr.readLine()
	if err != nil {
		if long, ok := err.(errLongLine); ok {
			l.err = &ParseError{
				Line:   p.lr.line(),
				Reason: fmt.Sprintf("line is %d bytes long, more than the limit of %d", long.length, MaxLineBytes),
				Err:    ErrLineTooLong,
			}
			return nil
		}
		if errors.Is(err, io.EOF) {
			return io.EOF
		}
		return fmt.Errorf("read log: %w", err)
	}
	l.text = trimCR(text)
	if isBlank(l.text) {
		l.blank = true
		return nil
	}
	err = p.parse(l)
	if l.err != nil {
		l.err.Line = p.lr.line()
	}
	return err
}

// parse parses l.text, one non-blank line without its line ending, into
// l's entry, err, unattributed and shaped. A line whose customer selector
// finds none is unattributed (not an error); the error returned is a log
// whose format cannot be told.
func (p *Parser) parse(l *logLine) error {
	lf := p.line
	if lf.parse == nil { // auto, not yet detected
		var err error
		if lf, l.err, err = p.detect(l.text); lf == nil {
			return err
		}
		p.line = lf
	}
	f := &p.fields // a field, not a local, which the call would make escape
	if l.err = lf.parse(l.text, f); l.err != nil {
		return nil
	}
	l.shaped = true
	l.unattributed, l.err = p.fill(lf, f, &l.entry, !p.counting)
	return nil
}

// entry turns the fields of a line into e: the customer as lf's selector
// says, the path without its query string.
func (p *Parser) entry(lf *lineFormat, f *fields, e *Entry) (unattributed bool, perr *ParseError) {
	return p.fill(lf, f, e, true)
}

// fill is entry that, unless strs is set, only makes the checks and
// leaves e as it is.
func (p *Parser) fill(lf *lineFormat, f *fields, e *Entry, strs bool) (unattributed bool, perr *ParseError) {
	// The selectors see the path without its query and the query apart,
	// whatever is stored; the logstats format stores its path as written.
	stored, path, query := f.target, f.target, f.query
	if lf.sel.kind == selectPath || lf.sel.kind == selectQuery || !lf.wholePath || len(lf.dims) > 0 {
		if i := bytes.IndexByte(path, '?'); i >= 0 {
			if query == nil {
				query = path[i+1:]
			}
			path = path[:i]
		}
		if len(query) > 0 && query[0] == '?' {
			query = query[1:] // Apache's %q
		}
		if !lf.wholePath && !p.cfg.KeepQuery {
			stored = path
		}
	}
	if perr := checkPath(stored, !lf.wholePath); perr != nil {
		return false, perr
	}
	customer := f.customer
	switch lf.sel.kind {
	case selectPath, selectQuery:
		raw := lf.sel.fromQuery(query)
		if lf.sel.kind == selectPath {
			raw = lf.sel.fromPath(path)
		}
		var ok bool
		if p.buf, ok = percentDecode(p.buf[:0], raw); !ok {
			return false, fieldError(ErrInvalidCustomer, "customer %q has a malformed %%-escape", raw)
		}
		customer = p.buf
	}
	method := f.method
	if len(method) == 1 && method[0] == '-' {
		method = nil
	}
	if len(method) > 0 {
		if perr := checkMethod(method); perr != nil {
			return false, perr
		}
	}
	customerID := ""
	switch {
	case len(customer) == 0 || (!lf.wholePath && len(customer) == 1 && customer[0] == '-'):
		// e has every field but the customer, unless there is a default.
		unattributed, customerID = p.cfg.CustomerDefault == "", p.cfg.CustomerDefault
	case lf.sel.kind != selectDefault || !lf.wholePath: // the logstats format checks its own
		if perr := checkCustomer(customer); perr != nil {
			return false, perr
		}
	}
	if !strs {
		return unattributed, nil
	}
	if customerID == "" && !unattributed {
		customerID = p.customers.get(customer)
	}
	e.Method = ""
	if len(method) > 0 {
		e.Method = p.methods.get(method)
	}
	// Field by field: a composite literal would be built on the stack and
	// copied, which costs more than the rest of this function.
	e.Time, e.CustomerID, e.Path, e.Status, e.Latency = f.time, customerID, p.paths.get(stored), f.status, f.latency
	if n := len(lf.dims); n > 0 {
		if len(p.dimSlots) < n {
			p.dimSlots = make([]string, 4096*n)
		}
		e.Dimensions, p.dimSlots = p.dimSlots[:n:n], p.dimSlots[n:]
		for i := range n {
			e.Dimensions[i] = p.dimValues[i].get(p.dimension(lf, i, f, path, query))
		}
	} else if e.Dimensions != nil {
		e.Dimensions = nil
	}
	return unattributed, nil
}

// dimension returns the value of lf's dimension i in a line whose fields
// are f, whose path is path and query query: what its selector finds,
// percent-decoded for path: and query: (as it is when an escape is
// malformed), nil for nothing ("-" in a field), cleaned as
// cleanDimensionValue says; valid until the next line.
func (p *Parser) dimension(lf *lineFormat, i int, f *fields, path, query []byte) []byte {
	sel := &lf.dims[i].Selector
	var raw []byte
	switch sel.kind {
	case selectPath:
		raw = sel.fromPath(path)
	case selectQuery:
		raw = sel.fromQuery(query)
	default:
		if raw = f.dims[i]; len(raw) == 1 && raw[0] == '-' {
			raw = nil
		}
		return cleanDimensionValue(&p.dimBufs[i], raw)
	}
	decoded, ok := percentDecode(p.dimBufs[i][:0], raw)
	p.dimBufs[i] = decoded
	if ok {
		raw = decoded
	}
	return cleanDimensionValue(&p.dimClean[i], raw)
}

// Line returns the number of the line that the last call to Next read.
func (p *Parser) Line() int {
	if p.lr == nil {
		return 0
	}
	return p.lr.line()
}

// Offset returns how many bytes of the (decompressed) input Next has consumed.
func (p *Parser) Offset() int64 {
	if p.lr == nil {
		return 0
	}
	return p.lr.offset()
}

func (p *Parser) open() error {
	if p.lr != nil {
		return nil
	}
	lr, err := openLineReader(p.src, readOptions{})
	if err != nil {
		return err
	}
	p.lr = lr
	return nil
}

// Parse parses one line, without its newline; a trailing "\r" and leading or
// trailing spaces and tabs are ignored. Errors are *ParseError values with Line
// 0; a blank line is an ErrFieldCount error. Parse does not keep line.
func (p *Parser) Parse(line []byte) (Entry, error) {
	line = trimCR(line)
	if isBlank(line) {
		return Entry{}, &ParseError{Reason: "line is blank", Err: ErrFieldCount}
	}
	l := logLine{text: line}
	err := p.parse(&l)
	switch {
	case err != nil:
		return Entry{}, err
	case l.err != nil:
		return Entry{}, l.err
	case l.unattributed:
		return Entry{}, fmt.Errorf("%w (selector %q)", ErrUnattributed, p.line.sel.String())
	}
	return l.entry, nil
}

// An internTable returns byte slices as strings, reusing the string of
// earlier equal bytes, so that the common case (few customers, few paths)
// does not allocate. A small cache, by a hash of the bytes' ends, answers
// most lookups before the map.
type internTable struct {
	recent [64]string
	all    map[string]string
}

// get returns b as a string.
func (t *internTable) get(b []byte) string {
	slot := &t.recent[internSlot(b)]
	if *slot == string(b) {
		return *slot
	}
	s, ok := t.all[string(b)]
	if !ok {
		s = string(b)
		if t.all == nil {
			t.all = make(map[string]string)
		}
		if len(t.all) < internLimit {
			t.all[s] = s
		}
	}
	*slot = s
	return s
}

// internSlot returns the entry of internTable.recent for b, from its first
// and last bytes and its length.
func internSlot(b []byte) int {
	var x uint64
	switch n := len(b); {
	case n >= 8:
		x = binary.LittleEndian.Uint64(b) ^ bits.RotateLeft64(binary.LittleEndian.Uint64(b[n-8:]), 31)
	case n >= 4:
		x = uint64(binary.LittleEndian.Uint32(b)) | uint64(binary.LittleEndian.Uint32(b[n-4:]))<<32
	default:
		for _, c := range b {
			x = x<<8 | uint64(c)
		}
	}
	x ^= uint64(len(b))
	return int(x * 0x9e37_79b9_7f4a_7c15 >> 58) // Fibonacci hashing: the top 6 bits
}

// ParseLine parses a single line of the logstats format, in UTC. Use a
// Parser to read many lines, or lines of another format.
func ParseLine(line string) (Entry, error) {
	p, err := NewParser(nil, ParseConfig{Format: builtinFormats[0]})
	if err != nil {
		return Entry{}, err
	}
	return p.Parse([]byte(line))
}
