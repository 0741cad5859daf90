package logstats

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

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
	var fits []Format
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
		p, err := NewParser(nil, try)
		if err != nil {
			continue
		}
		n := 0
		for _, t := range texts {
			if _, err := p.Parse(t); err == nil || errors.Is(err, ErrUnattributed) {
				n++
			}
		}
		if n > 0 && 2*n >= len(texts) {
			fits = append(fits, f)
		}
	}
	if slices.ContainsFunc(fits, func(f Format) bool { return !f.untimed() }) {
		// A format without a latency reads a timed one's lines too (its
		// last field takes the rest): name the one that reads the latency.
		fits = slices.DeleteFunc(fits, Format.untimed)
	}
	e := &WrongFormatError{Format: cfg.Format, Lines: len(head), First: first, Fits: fits}
	if len(fits) > 0 {
		f := fits[0]
		e.NeedsCustomer = f.defaultCustomer().IsDefault() && f.kind != kindLogstats && cfg.Customer.IsDefault() && cfg.CustomerDefault == ""
	}
	return e
}

// A WrongFormatError is a log none of whose first lines (up to 1,000 lines
// or 1 MiB) is valid in the format it was read in: errors.Is(err,
// ErrWrongFormat) holds for it. Nothing was loaded, nor recorded. Its
// fields say which format would read the log, for the caller's advice.
type WrongFormatError struct {
	Format Format      // the format the log was read in (auto: any built-in)
	Lines  int         // how many lines of the log's head were read
	First  *ParseError // why the first malformed line is malformed
	// Fits are the built-in formats that read most of the head's lines, in
	// the order detection tries them; none when no built-in does.
	Fits []Format
	// NeedsCustomer says that Fits[0] has no customer field of its own, and
	// that no customer selector was given: reading the log in it needs one
	// (path:PATTERN or query:NAME).
	NeedsCustomer bool
}

func (e *WrongFormatError) Error() string {
	what := "the format " + e.Format.String()
	if e.Format.IsAuto() {
		what = "any of the formats " + strings.Join(FormatNames(), ", ")
	}
	why := ""
	if e.First != nil && !errors.Is(e.First, ErrNoFormatFits) {
		why = " (" + e.First.Error() + ")"
	}
	fits := "no built-in format reads them either"
	if len(e.Fits) > 0 {
		names := make([]string, len(e.Fits))
		for i, f := range e.Fits {
			names[i] = f.String()
		}
		fits = "they read as " + strings.Join(names, " or ")
		if e.NeedsCustomer {
			fits += " (" + names[0] + " has no customer field: say where the customer is)"
		}
	}
	return fmt.Sprintf("%v: no line of the %d read is valid in %s%s; %s. Nothing was loaded", ErrWrongFormat, e.Lines, what, why, fits)
}

// Unwrap returns ErrWrongFormat.
func (e *WrongFormatError) Unwrap() error { return ErrWrongFormat }

// An UnattributedError is a new log whose well-formed lines all lack a
// customer: the customer selector found none in any of them and there is no
// default customer. Nothing of it is recorded, so a load with a selector
// or a default customer then reads it whole. errors.Is(err,
// ErrWrongFormat) holds for it, and its kind is KindWrongFormat.
type UnattributedError struct {
	Format   Format // the format the lines were read in
	Customer string // the customer selector that found nothing, as ParseCustomerSelector reads it
	Lines    int64  // the well-formed lines, all without a customer
}

func (e *UnattributedError) Error() string {
	return fmt.Sprintf("%v: none of the %d well-formed lines names a customer (the customer selector %q found nothing in any, in the format %s); say where the customer is, or give a default customer for every request. Nothing was loaded",
		ErrWrongFormat, e.Lines, e.Customer, e.Format)
}

// Unwrap returns ErrWrongFormat.
func (e *UnattributedError) Unwrap() error { return ErrWrongFormat }
