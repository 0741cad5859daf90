package logstats

import (
	"errors"
	"fmt"
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
