package logstats

import (
	"bytes"
	"time"
)

// A latencyUnit is the unit of a latency field, given as the number of its
// decimal digits that are whole microseconds: 6 for seconds, 3 for
// milliseconds, 0 for microseconds, -3 for nanoseconds.
type latencyUnit int8

const (
	unitSeconds latencyUnit = 6
	unitMillis  latencyUnit = 3
	unitMicros  latencyUnit = 0
	unitNanos   latencyUnit = -3
)

func (u latencyUnit) String() string {
	switch u {
	case unitSeconds:
		return "seconds"
	case unitMillis:
		return "milliseconds"
	case unitMicros:
		return "microseconds"
	}
	return "nanoseconds"
}

// parseLatencyUnit parses a non-negative decimal number of unit u into whole
// microseconds, rounding the digits beyond them half away from zero, exactly
// (no floating point): 0.1234567 seconds is 123457 µs, 1500 ns is 2 µs.
func parseLatencyUnit(b []byte, u latencyUnit) (time.Duration, *ParseError) {
	return parseLatencyNumber(b, u, false)
}

// parseLatencyNumber is parseLatencyUnit that, when exp is set, also reads
// an exponent, as JSON writers print small numbers: 1.5e-05.
func parseLatencyNumber(b []byte, u latencyUnit, exp bool) (time.Duration, *ParseError) {
	if len(b) > 1 && b[0] == '-' {
		return 0, fieldError(ErrInvalidLatency, "latency %q is negative", b)
	}
	mantissa, shift := b, 0
	if exp {
		if i := bytes.IndexAny(b, "eE"); i >= 0 {
			e, bad := parseExponent(b[i+1:])
			if bad || i == 0 {
				return 0, notDecimal(b, u)
			}
			mantissa, shift = b[:i], e
		}
	}
	intPart, frac := mantissa, []byte(nil)
	if i := bytes.IndexByte(mantissa, '.'); i >= 0 {
		intPart, frac = mantissa[:i], mantissa[i+1:]
		if len(frac) == 0 {
			return 0, notDecimal(b, u)
		}
		// Whole units only; a JSON writer may add ".0" to a whole number.
		if u <= unitMicros && shift == 0 && (!exp || len(bytes.TrimRight(frac, "0")) > 0) {
			return 0, fieldError(ErrInvalidLatency, "latency %q is not a whole number of %s", b, u)
		}
	}
	if len(intPart) == 0 {
		return 0, notDecimal(b, u)
	}
	const maxMicros = int64(MaxLatency / time.Microsecond)
	// The digits of intPart then frac, with the decimal point moved u places
	// to the right: those before it are whole microseconds, the first after
	// it rounds.
	point := len(intPart) + int(u) + shift
	var us int64
	round := false
	for i, n := 0, len(intPart)+len(frac); i < n; i++ {
		var c byte
		if i < len(intPart) {
			c = intPart[i]
		} else {
			c = frac[i-len(intPart)]
		}
		d, ok := digit(c)
		if !ok {
			return 0, notDecimal(b, u)
		}
		switch {
		case i < point:
			if us <= maxMicros {
				us = us*10 + int64(d)
			}
		case i == point:
			round = d >= 5
		}
	}
	for i := len(intPart) + len(frac); i < point && us <= maxMicros; i++ {
		us *= 10
	}
	if round {
		us++
	}
	if us > maxMicros {
		return 0, fieldError(ErrInvalidLatency, "latency %q is more than 24 hours", b)
	}
	return time.Duration(us) * time.Microsecond, nil
}

// parseExponent parses the exponent of a number, [+-]digits, at most 3;
// bad reports a malformed one.
func parseExponent(b []byte) (n int, bad bool) {
	neg := false
	if len(b) > 0 && (b[0] == '+' || b[0] == '-') {
		neg, b = b[0] == '-', b[1:]
	}
	if len(b) == 0 || len(b) > 3 {
		return 0, true
	}
	n, ok := digits(b)
	if !ok {
		return 0, true
	}
	if neg {
		n = -n
	}
	return n, false
}

func notDecimal(b []byte, u latencyUnit) *ParseError {
	return fieldError(ErrInvalidLatency, "latency %q is not a decimal number of %s", b, u)
}

// parseLatencySum parses nginx's $upstream_response_time: the times of each
// upstream server tried, in seconds, separated by ", " (servers of one
// group) and " : " (groups); "-" stands for a server not reached. The
// latency is their sum; NoLatency when no server was reached (a response
// nginx made itself).
func parseLatencySum(b []byte) (time.Duration, *ParseError) {
	var sum time.Duration
	found := false
	for len(b) > 0 {
		v := b
		if i := bytes.IndexAny(b, ",:"); i >= 0 {
			v, b = b[:i], b[i+1:]
		} else {
			b = nil
		}
		v = bytes.Trim(v, " ")
		if len(v) == 1 && v[0] == '-' {
			continue
		}
		d, perr := parseLatencyUnit(v, unitSeconds)
		if perr != nil {
			return 0, perr
		}
		sum += d
		found = true
	}
	if !found {
		return NoLatency, nil
	}
	if sum > MaxLatency {
		return 0, &ParseError{Reason: "upstream times add up to more than 24 hours", Err: ErrInvalidLatency}
	}
	return sum, nil
}
