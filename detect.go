package logstats

import (
	"errors"
	"fmt"
	"io"
	"strings"
)

// A lineFormat is a format made ready for a ParseConfig: its lineParser, the
// customer selector resolved to the format's default when none is given.
type lineFormat struct {
	format Format
	parse  lineParser // nil while an auto format is not yet detected
	sel    CustomerSelector
	// wholePath: the logstats format, whose path field is kept as written
	// and whose customer field is never absent ("-" is a customer).
	wholePath bool
	// untimed: a format without a latency field (combined, common).
	untimed bool
	// dims are the dimensions to read, as the ParseConfig gives them.
	dims []Dimension
	// candidates are, for an auto format, the built-ins that can read the
	// configured customer selector.
	candidates []*lineFormat
}

// newLineFormat makes cfg's format ready to parse lines, or says why cfg
// cannot work.
func newLineFormat(cfg ParseConfig) (*lineFormat, error) {
	if cfg.CustomerDefault != "" {
		if err := ValidCustomerID(cfg.CustomerDefault); err != nil {
			return nil, fmt.Errorf("default customer: %w", err)
		}
	}
	if err := checkDimensions(cfg.Dimensions); err != nil {
		return nil, err
	}
	if cfg.Format.IsAuto() {
		lf := &lineFormat{}
		var why []string
		for _, f := range builtinFormats {
			c, err := newLineFormat(ParseConfig{Format: f, Customer: cfg.Customer, CustomerDefault: cfg.CustomerDefault, Dimensions: cfg.Dimensions, Location: cfg.Location})
			if err != nil {
				why = append(why, err.Error())
				continue
			}
			lf.candidates = append(lf.candidates, c)
		}
		if len(lf.candidates) == 0 {
			kind, what := ErrInvalidSelector, fmt.Sprintf("customer %q", cfg.Customer.String())
			if len(cfg.Dimensions) > 0 {
				kind, what = ErrInvalidDimension, fmt.Sprintf("customer %q with dimensions %s", cfg.Customer.String(), strings.ReplaceAll(dimensionsText(cfg.Dimensions), "\n", ", "))
			}
			return nil, fmt.Errorf("%w: no built-in format can read %s: %s", kind, what, strings.Join(why, "; "))
		}
		lf.dims = cfg.Dimensions
		return lf, nil
	}
	parse, err := cfg.Format.lineParser(cfg.Customer, cfg.Dimensions, cfg.Location, cfg.CustomerDefault != "")
	if err != nil {
		return nil, err
	}
	sel := cfg.Customer
	if sel.IsDefault() {
		sel = cfg.Format.defaultCustomer()
	}
	return &lineFormat{format: cfg.Format, parse: parse, sel: sel, wholePath: cfg.Format.kind == kindLogstats, untimed: cfg.Format.untimed(), dims: cfg.Dimensions}, nil
}

// detect chooses the format of an auto Parser from one line: the built-in
// that reads it, or the first of those that read it the same way, or the
// one whose shape the line has when its customer or path is invalid. When
// none reads it, it returns the ParseError to report: that of the one format
// whose fields the line has (a bad status, say), or one that says no format
// fits. It returns an error wrapping ErrAmbiguousFormat when two formats
// read the line with different meanings.
func (p *Parser) detect(line []byte) (*lineFormat, *ParseError, error) {
	var chosen, shapeOnly *lineFormat
	var first Entry
	var near *ParseError // a field's error, of a format whose shape the line has
	nears, shapes := 0, 0
	for _, c := range p.line.candidates {
		var f fields
		var e Entry
		perr := c.parse(line, &f)
		if perr == nil {
			// A format without a latency whose shape the line has counts
			// only when no timed one has it: combined with a request time
			// last has common's shape too (its bytes field takes the rest).
			switch {
			case shapeOnly == nil:
				shapes, shapeOnly = 1, c
			case shapeOnly.untimed && !c.untimed:
				shapeOnly = c
			case c.untimed && !shapeOnly.untimed:
			default:
				shapes++
			}
			_, perr = p.entry(c, &f, &e)
		}
		if perr != nil {
			if perr.Err != ErrFieldCount {
				near = perr
				nears++
			}
			continue
		}
		if chosen == nil {
			chosen, first = c, e
			continue
		}
		if untimedReading(first, e) {
			continue // the chosen format also reads the line's latency
		}
		if untimedReading(e, first) {
			chosen, first = c, e // this one also reads the latency
			continue
		}
		if !sameEntry(first, e) {
			return nil, nil, &AmbiguousFormatError{Line: p.Line(), Formats: []Format{chosen.format, c.format}}
		}
	}
	switch {
	case chosen != nil:
		return chosen, nil, nil
	case shapes == 1:
		// One format has the line's shape, but not a valid customer or path
		// in it: that format it is, and the line is malformed in it.
		return shapeOnly, nil, nil
	case nears == 1:
		return nil, near, nil
	}
	return nil, noFormatFits(), nil
}

// untimedReading reports whether b is a's reading without its latency: a
// format without a latency field that took the line's request time for a
// field of its own (common's last, bytes), as combined with a request time
// last reads as nginx and as common. The timed reading wins (SPEC §13).
func untimedReading(a, b Entry) bool {
	if !a.Timed() || b.Timed() {
		return false
	}
	b.Latency = a.Latency
	return sameEntry(a, b)
}

// An AmbiguousFormatError is a line that two built-in formats read with
// different meanings, while a Parser was detecting the log's format:
// errors.Is(err, ErrAmbiguousFormat) holds for it. The format must be
// chosen.
type AmbiguousFormatError struct {
	Line    int      // the line's number; 0 for a line parsed on its own
	Formats []Format // the formats that read it
}

func (e *AmbiguousFormatError) Error() string {
	names := make([]string, len(e.Formats))
	for i, f := range e.Formats {
		names[i] = f.String()
	}
	return fmt.Sprintf("%v: line %d fits the formats %s, which read it differently", ErrAmbiguousFormat, e.Line, strings.Join(names, " and "))
}

// Unwrap returns ErrAmbiguousFormat.
func (e *AmbiguousFormatError) Unwrap() error { return ErrAmbiguousFormat }

func sameEntry(a, b Entry) bool {
	return a.Time.Equal(b.Time) && a.CustomerID == b.CustomerID && a.Method == b.Method &&
		a.Path == b.Path && a.Status == b.Status && a.Latency == b.Latency
}

// noFormatFits is the ParseError of a line that no built-in format reads.
func noFormatFits() *ParseError {
	return &ParseError{
		Reason: fmt.Sprintf("line fits none of the formats %s (nginx:FORMAT and apache:FORMAT read any log_format or LogFormat string)", strings.Join(FormatNames(), ", ")),
		Err:    ErrNoFormatFits,
	}
}

// detectFormat reads the first lines of r (up to headLines lines and
// headBytes bytes) as a Parser of cfg would, and returns the format the
// Parser detected and the byte offset of the line it detected it at. When
// cfg's format is not auto, or no line fits a format, it returns cfg's.
func detectFormat(r io.Reader, cfg ParseConfig) (Format, int64, error) {
	if !cfg.Format.IsAuto() {
		return cfg.Format, 0, nil
	}
	lr, err := openLineReader(r, readOptions{plain: true})
	if err != nil {
		return cfg.Format, 0, err
	}
	p, err := newParser(lr, cfg)
	if err != nil {
		return cfg.Format, 0, err
	}
	var l logLine
	for lr.line() < headLines && lr.offset() < headBytes {
		start := lr.offset()
		err := p.read(&l)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return cfg.Format, 0, err
		}
		if f := p.Detected(); !f.IsAuto() {
			return f, start, nil
		}
	}
	return cfg.Format, 0, nil
}
