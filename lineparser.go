package logstats

import (
	"fmt"
	"time"
	"unicode"
	"unicode/utf8"
)

// Limits of the log format.
const (
	MaxCustomerIDBytes = 128
	MaxPathBytes       = 2048
	// MaxLatency is the largest latency a line may carry.
	MaxLatency = 24 * time.Hour
)

func fieldError(kind error, format string, value []byte) *ParseError {
	return &ParseError{Reason: fmt.Sprintf(format, truncateForMessage(string(value))), Err: kind}
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
