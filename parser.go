package logstats

import (
	"errors"
	"fmt"
	"io"
	"time"
)

// internLimit caps each intern table, so that a log of millions of distinct
// customers or paths costs an allocation per line rather than unbounded memory.
const internLimit = 1 << 14

// Parser reads log lines from a stream. Input compressed with gzip is detected
// from its magic bytes and decompressed.
//
// A Parser splits the stream into lines (lineReader), hands each non-blank
// line to a lineParser, the pure parser of one line of its format, and turns
// what that returns into an Entry.
//
// A Parser is not safe for concurrent use.
type Parser struct {
	// Location is the time zone of the timestamps in the log, which carry none.
	// NewParser sets it to time.UTC. A change applies from the next line.
	Location *time.Location

	src       io.Reader
	lr        *lineReader
	parseLine lineParser     // made on first use, and again when Location changes
	lineLoc   *time.Location // the Location parseLine was made for
	fields    fields         // what parseLine read from the current line
	customers map[string]string
	paths     map[string]string
}

// NewParser returns a Parser that reads from r. It does no I/O until Next.
func NewParser(r io.Reader) *Parser {
	return &Parser{Location: time.UTC, src: r}
}

// newParser returns a Parser over the lines of lr, for a load or a check,
// which also need lr's offsets and hashes.
func newParser(lr *lineReader, loc *time.Location) *Parser {
	return &Parser{Location: loc, lr: lr}
}

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
		case l.err != nil:
			return Entry{}, l.err
		}
		return l.entry, nil
	}
}

// A logLine is one line as a Parser read it: a request, a malformed line or
// a blank one.
type logLine struct {
	text  []byte      // without its line ending; valid until the next read
	entry Entry       // the request, unless err is set or the line is blank
	err   *ParseError // why the line is malformed, with its line number
	blank bool        // nothing but spaces and tabs
}

// read reads the next line into l. err is io.EOF at the end of the input, or
// a read error; a malformed line is not an error of read.
func (p *Parser) read(l *logLine) error {
	*l = logLine{}
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
	if l.err = p.parse(l.text, &l.entry); l.err != nil {
		l.err.Line = p.lr.line()
	}
	return nil
}

// parse parses one non-blank line without its line ending into e.
func (p *Parser) parse(line []byte, e *Entry) *ParseError {
	if p.parseLine == nil || p.lineLoc != p.Location {
		p.parseLine, p.lineLoc = logstatsLine(p.Location), p.Location
	}
	f := &p.fields // a field, not a local, which the call would make escape
	if perr := p.parseLine(line, f); perr != nil {
		return perr
	}
	*e = Entry{
		Time:       f.time,
		CustomerID: intern(&p.customers, f.customer),
		Path:       intern(&p.paths, f.path),
		Status:     f.status,
		Latency:    f.latency,
	}
	return nil
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
	var e Entry
	if err := p.parse(line, &e); err != nil {
		return Entry{}, err
	}
	return e, nil
}

// intern returns b as a string, reusing an earlier string with the same bytes,
// so that the common case (few customers, few paths) does not allocate.
func intern(table *map[string]string, b []byte) string {
	if s, ok := (*table)[string(b)]; ok {
		return s
	}
	s := string(b)
	if *table == nil {
		*table = make(map[string]string)
	}
	if len(*table) < internLimit {
		(*table)[s] = s
	}
	return s
}

// ParseLine parses a single log line in UTC. It is a convenience for
// NewParser(nil).Parse; use a Parser to read many lines.
func ParseLine(line string) (Entry, error) {
	return NewParser(nil).Parse([]byte(line))
}
