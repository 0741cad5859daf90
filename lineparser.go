package logstats

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Limits of the log format.
const (
	MaxCustomerIDBytes = 128
	MaxPathBytes       = 2048
	// MaxMethodBytes is the longest request method a line may carry.
	MaxMethodBytes = 32
	// MaxLatency is the largest latency a line may carry.
	MaxLatency = 24 * time.Hour
)

// A lineParser parses one line of one log format, without its line ending,
// never blank (the Parser skips blank lines).
// It stores the request's fields in f (they may point into line) or returns
// a *ParseError whose Line the Parser fills in. It must not keep line. Its
// result depends on the line alone, but it may keep what it read to read
// the next faster (the logstats format keeps its dates), so each Parser
// makes its own.
//
// A log format is a lineParser: the Parser makes one from its ParseConfig
// (newLineFormat), and detecting a format means trying the built-ins' on a
// log's first lines (detect.go).
type lineParser func(line []byte, f *fields) *ParseError

// fields are what a lineParser reads from one line: one request. The
// Parser checks the customer and the path and applies the customer selector.
type fields struct {
	lineRequest
	// dims are the fields that the dimensions' field selectors chose. A
	// line parser sets those it has on every line it reads, so it leaves
	// them out when it clears the rest (which would cost as much again).
	dims [MaxDimensions][]byte
}

// lineRequest are the fields of a line that every format reads.
type lineRequest struct {
	time     time.Time
	customer []byte // the field a customer selector chose, or the format's own
	method   []byte
	target   []byte // the request's path, with its query string when the log has one
	query    []byte // a query-string field of its own, when the format has one
	status   int
	latency  time.Duration // at most MaxLatency, whole microseconds
}

// trimCR removes the "\r" of a "\r\n" line ending.
func trimCR(line []byte) []byte {
	if n := len(line); n > 0 && line[n-1] == '\r' {
		return line[:n-1]
	}
	return line
}

// isBlank reports whether line holds nothing but spaces and tabs.
func isBlank(line []byte) bool {
	for _, c := range line {
		if c != ' ' && c != '\t' {
			return false
		}
	}
	return true
}

// checkPath checks a request path: 1 to MaxPathBytes bytes and, when
// token is set, without whitespace or control characters (JSON strings could
// hold anything; the logstats format's path field is taken as written).
func checkPath(b []byte, token bool) *ParseError {
	if len(b) == 0 {
		return &ParseError{Reason: "path is empty", Err: ErrInvalidPath}
	}
	if len(b) > MaxPathBytes {
		return &ParseError{Reason: fmt.Sprintf("path is %d bytes long, more than the limit of %d", len(b), MaxPathBytes), Err: ErrInvalidPath}
	}
	if !token {
		return nil
	}
	for _, c := range b {
		if c <= ' ' || c == 0x7f {
			return fieldError(ErrInvalidPath, "path %q contains whitespace or a control character", b)
		}
	}
	return nil
}

// checkMethod checks a request method: 1 to MaxMethodBytes bytes of the
// characters an HTTP token may hold (RFC 9110's tchar).
func checkMethod(b []byte) *ParseError {
	if len(b) > MaxMethodBytes {
		return &ParseError{Reason: fmt.Sprintf("method is %d bytes long, more than the limit of %d", len(b), MaxMethodBytes), Err: ErrInvalidMethod}
	}
	for _, c := range b {
		if !isTokenChar(c) {
			return fieldError(ErrInvalidMethod, "method %q is not an HTTP token", b)
		}
	}
	return nil
}

// isTokenChar reports whether c may appear in an HTTP token.
func isTokenChar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return c < 0x80 && strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}

// fieldError returns a malformed line's error whose reason quotes value, a
// field of the line: format starts with text without verbs, then a %q for
// it, then the verbs of args. The error keeps where the quote stands in its
// reason, for WithoutInput.
func fieldError(kind error, format string, value []byte, args ...any) *ParseError {
	at := strings.Index(format, "%q")
	q := strconv.Quote(truncateForMessage(string(value)))
	reason := format[:at] + q + fmt.Sprintf(format[at+2:], args...)
	return &ParseError{Reason: reason, Err: kind, quoteAt: at, quoteEnd: at + len(q)}
}

// ValidCustomerID returns nil if id can be a customer id: 1 to 128 bytes of
// valid UTF-8 without whitespace or control characters. Otherwise it returns
// an error wrapping ErrInvalidCustomer that says why.
func ValidCustomerID(id string) error {
	if id == "" {
		return fmt.Errorf("%w: customer id is empty", ErrInvalidCustomer)
	}
	if perr := checkCustomer([]byte(id)); perr != nil {
		return fmt.Errorf("%w: %s", ErrInvalidCustomer, perr.Reason)
	}
	return nil
}

// checkCustomer checks a customer id. Control characters are refused as well
// as whitespace: they have no place in an id, and would reach terminals and
// logs through it.
func checkCustomer(b []byte) *ParseError {
	if len(b) > MaxCustomerIDBytes {
		return &ParseError{Reason: fmt.Sprintf("customer id is %d bytes long, more than the limit of %d", len(b), MaxCustomerIDBytes), Err: ErrInvalidCustomer}
	}
	for i := 0; i < len(b); {
		c := b[i]
		if c < utf8.RuneSelf {
			if c < 0x21 || c == 0x7f {
				if c == ' ' || (c >= '\t' && c <= '\r') {
					return fieldError(ErrInvalidCustomer, "customer id %q contains whitespace", b)
				}
				return fieldError(ErrInvalidCustomer, "customer id %q contains a control character", b)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRune(b[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			return fieldError(ErrInvalidCustomer, "customer id %q is not valid UTF-8", b)
		case unicode.IsSpace(r):
			return fieldError(ErrInvalidCustomer, "customer id %q contains whitespace", b)
		case unicode.IsControl(r):
			return fieldError(ErrInvalidCustomer, "customer id %q contains a control character", b)
		}
		i += size
	}
	return nil
}
