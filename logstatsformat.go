package logstats

import (
	"bytes"
	"fmt"
	"time"
)

func isSep(c byte) bool { return c == ' ' || c == '\t' }

// splitFields stores the first len(fields) whitespace-separated fields of
// line in fields and returns how many fields line has.
func splitFields(line []byte, fields *[6][]byte) int {
	if bytes.IndexByte(line, '\t') >= 0 {
		return splitFieldsSlow(line, fields)
	}
	// No tabs (the usual case): fields end at spaces, which IndexByte finds
	// many bytes at a time.
	n := 0
	for i := 0; i < len(line); {
		if line[i] == ' ' {
			i++
			continue
		}
		j := bytes.IndexByte(line[i:], ' ')
		if j < 0 {
			j = len(line)
		} else {
			j += i
		}
		if n < len(fields) {
			fields[n] = line[i:j]
		}
		n++
		i = j
	}
	return n
}

// splitFieldsSlow is splitFields for lines holding tabs.
func splitFieldsSlow(line []byte, fields *[6][]byte) int {
	n := 0
	for i := 0; i < len(line); {
		if isSep(line[i]) {
			i++
			continue
		}
		j := i + 1
		for j < len(line) && !isSep(line[j]) {
			j++
		}
		if n < len(fields) {
			fields[n] = line[i:j]
		}
		n++
		i = j
	}
	return n
}

func digit(c byte) (int, bool) { return int(c - '0'), c >= '0' && c <= '9' }

// digits parses b as an unsigned decimal of at most 9 digits.
func digits(b []byte) (int, bool) {
	if len(b) == 0 || len(b) > 9 {
		return 0, false
	}
	n := 0
	for _, c := range b {
		d, ok := digit(c)
		if !ok {
			return 0, false
		}
		n = n*10 + d
	}
	return n, true
}

// parseClock parses HH:MM:SS with an optional .fraction (digits beyond
// nanoseconds are ignored).
func parseClock(b []byte) (hour, min, sec, nsec int, ok bool) {
	if len(b) < 8 || b[2] != ':' || b[5] != ':' {
		return 0, 0, 0, 0, false
	}
	hour, ok1 := digits(b[0:2])
	min, ok2 := digits(b[3:5])
	sec, ok3 := digits(b[6:8])
	if !ok1 || !ok2 || !ok3 || hour > 23 || min > 59 || sec > 59 {
		return 0, 0, 0, 0, false
	}
	if len(b) == 8 {
		return hour, min, sec, 0, true
	}
	frac := b[8:]
	if frac[0] != '.' || len(frac) == 1 {
		return 0, 0, 0, 0, false
	}
	scale := 100_000_000
	for _, c := range frac[1:] {
		d, ok := digit(c)
		if !ok {
			return 0, 0, 0, 0, false
		}
		nsec += d * scale
		scale /= 10
	}
	return hour, min, sec, nsec, true
}

func parseStatus(b []byte) (int, *ParseError) {
	unsigned := b
	if len(b) > 1 && (b[0] == '-' || b[0] == '+') {
		unsigned = b[1:]
	}
	for _, c := range unsigned {
		if _, ok := digit(c); !ok {
			return 0, fieldError(ErrInvalidStatus, "status %q is not an integer", b)
		}
	}
	// Leading zeros are fine; anything that cannot be 100-599 is out of range.
	for len(unsigned) > 1 && unsigned[0] == '0' {
		unsigned = unsigned[1:]
	}
	n, ok := digits(unsigned)
	if !ok || len(unsigned) > 3 || b[0] == '-' || n < 100 || n > 599 {
		return 0, fieldError(ErrInvalidStatus, "status %q is not between 100 and 599", b)
	}
	return n, nil
}

// logstatsLine returns the lineParser of the logstats format (SPEC §2),
// whose timestamps carry no zone and are read in loc (nil means UTC).
func logstatsLine(loc *time.Location) lineParser {
	if loc == nil {
		loc = time.UTC
	}
	return func(line []byte, f *fields) *ParseError { return parseLogstats(line, loc, f) }
}

// parseLogstats parses one line of the logstats format:
//
//	<date> <time> <customer> <path> <status> <latency seconds>
func parseLogstats(line []byte, loc *time.Location, f *fields) *ParseError {
	var field [6][]byte
	n := splitFields(line, &field)
	if n != 6 {
		return &ParseError{Reason: fmt.Sprintf("expected 6 fields (date time customer path status latency), got %d", n), Err: ErrFieldCount}
	}
	date, ok := parseDateBytes(field[0])
	if !ok {
		return fieldError(ErrInvalidDate, "date %q is not a real calendar date (want YYYY-MM-DD)", field[0])
	}
	hour, min, sec, nsec, ok := parseClock(field[1])
	if !ok {
		return fieldError(ErrInvalidTime, "time %q is not a valid time of day (want HH:MM:SS or HH:MM:SS.fraction)", field[1])
	}
	customer := field[2]
	if perr := checkCustomer(customer); perr != nil {
		return perr
	}
	path := field[3]
	if len(path) > MaxPathBytes {
		return &ParseError{Reason: fmt.Sprintf("path is %d bytes long, more than the limit of %d", len(path), MaxPathBytes), Err: ErrInvalidPath}
	}
	status, perr := parseStatus(field[4])
	if perr != nil {
		return perr
	}
	latency := NoLatency // "-": the request's time is not known
	if !isDash(field[5]) {
		if latency, perr = parseLatencyUnit(field[5], unitSeconds); perr != nil {
			return perr
		}
	}
	var ts time.Time
	if loc == time.UTC {
		// The common case, without time.Date's normalisation and zone
		// lookup: the fields are already checked.
		unix := daysSinceEpoch(date)*86400 + int64(hour*3600+min*60+sec)
		ts = time.Unix(unix, int64(nsec)).UTC()
	} else {
		ts = time.Date(date.Year, date.Month, date.Day, hour, min, sec, nsec, loc)
		// Days are UTC days, which must be dates too.
		if y := ts.UTC().Year(); y < 1 || y > 9999 {
			return fieldError(ErrInvalidDate, "date %q falls outside the years 0001-9999 in UTC", field[0])
		}
	}
	*f = fields{
		time:     ts,
		customer: customer,
		target:   path,
		status:   status,
		latency:  latency,
	}
	return nil
}
