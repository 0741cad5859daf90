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
// A Parser is not safe for concurrent use.
type Parser struct {
	// Location is the time zone of the timestamps in the log, which carry none.
	// NewParser sets it to time.UTC.
	Location *time.Location

	src       io.Reader
	lr        *lineReader
	customers map[string]string
	paths     map[string]string
}

// NewParser returns a Parser that reads from r. It does no I/O until Next.
func NewParser(r io.Reader) *Parser {
	return &Parser{Location: time.UTC, src: r}
}

// Next returns the next request. Blank lines are skipped. For a malformed line
// it returns a *ParseError, after which Next may be called again to go on. At
// the end of the input it returns io.EOF; any other error is from reading the
// input and ends parsing.
func (p *Parser) Next() (Entry, error) {
	if err := p.open(); err != nil {
		return Entry{}, err
	}
	for {
		_, e, perr, blank, err := p.scan()
		switch {
		case err != nil:
			return Entry{}, err
		case blank:
			continue
		case perr != nil:
			return Entry{}, perr
		}
		return e, nil
	}
}

// scan reads the next line and returns its text with either its entry or,
// for a malformed line, a *ParseError carrying its line number; a blank line
// has neither. err is io.EOF at the end of the input, or a read error. The
// text is valid until the next read.
func (p *Parser) scan() (line []byte, e Entry, perr *ParseError, blank bool, err error) {
	line, err = p.lr.readLine()
	if err != nil {
		if long, ok := err.(errLongLine); ok {
			return nil, Entry{}, &ParseError{
				Line:   p.lr.lineNumber,
				Reason: fmt.Sprintf("line is %d bytes long, more than the limit of %d", long.length, MaxLineBytes),
				Err:    ErrLineTooLong,
			}, false, nil
		}
		if errors.Is(err, io.EOF) {
			return nil, Entry{}, nil, false, io.EOF
		}
		return nil, Entry{}, nil, false, fmt.Errorf("read log: %w", err)
	}
	e, perr = p.parse(line)
	if perr == errBlankLine {
		return line, Entry{}, nil, true, nil
	}
	if perr != nil {
		perr.Line = p.lr.lineNumber
	}
	return line, e, perr, false, nil
}

// Line returns the number of the line that the last call to Next read.
func (p *Parser) Line() int {
	if p.lr == nil {
		return 0
	}
	return p.lr.lineNumber
}

// Offset returns how many bytes of the (decompressed) input Next has consumed.
func (p *Parser) Offset() int64 {
	if p.lr == nil {
		return 0
	}
	return p.lr.consumed
}

func (p *Parser) open() error {
	if p.lr != nil {
		return nil
	}
	r, err := openStream(p.src)
	if err != nil {
		return fmt.Errorf("open log stream: %w", err)
	}
	p.lr = newLineReader(r)
	return nil
}

// errBlankLine is what parse returns for a line with nothing but whitespace.
// It never leaves the package.
var errBlankLine = &ParseError{Reason: "line is blank", Err: ErrFieldCount}

// Parse parses one line, without its newline; a trailing "\r" and leading or
// trailing spaces and tabs are ignored. Errors are *ParseError values with Line
// 0; a blank line is an ErrFieldCount error. Parse does not keep line.
func (p *Parser) Parse(line []byte) (Entry, error) {
	e, err := p.parse(line)
	if err == errBlankLine {
		return Entry{}, &ParseError{Reason: err.Reason, Err: err.Err}
	}
	if err != nil {
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
