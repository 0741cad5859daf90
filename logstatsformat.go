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
	if parseLogstatsFast(line, loc, f) {
		return nil
	}
	return parseLogstatsFields(line, loc, f)
}

// parseLogstatsFields is parseLogstats for any line: fields split at runs
// of spaces and tabs, then each read and checked.
func parseLogstatsFields(line []byte, loc *time.Location, f *fields) *ParseError {
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
	ts, ok := logstatsTime(date, hour*3600+min*60+sec, nsec, loc)
	if !ok {
		return fieldError(ErrInvalidDate, "date %q falls outside the years 0001-9999 in UTC", field[0])
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

// logstatsTime returns the instant of a checked date and clock (seconds
// since midnight) in loc. ok is false when its UTC date is not of the years
// 0001-9999, as every day must be.
func logstatsTime(date Date, clock, nsec int, loc *time.Location) (ts time.Time, ok bool) {
	if loc == time.UTC {
		// The common case, without time.Date's normalisation and zone
		// lookup: the fields are already checked.
		return time.Unix(daysSinceEpoch(date)*86400+int64(clock), int64(nsec)).UTC(), true
	}
	ts = time.Date(date.Year, date.Month, date.Day, clock/3600, clock/60%60, clock%60, nsec, loc)
	y := ts.UTC().Year()
	return ts, y >= 1 && y <= 9999
}

// parseLogstatsFast parses, in one pass, a logstats line of the usual
// shape: one space between fields, a clock without a fraction, an ASCII
// customer, a three-digit status and a latency of digits with at most one
// point, or "-". It returns false for any other line, or a value out of
// range, having stored nothing: parseLogstats then reads the line field by
// field, which gives what this gives for every line it takes
// (FuzzParseLogstatsFast).
func parseLogstatsFast(line []byte, loc *time.Location, f *fields) bool {
	// The shortest: "2024-10-03 14:22:05 c / 200 0".
	if len(line) < 29 || line[4] != '-' || line[7] != '-' || line[10] != ' ' ||
		line[13] != ':' || line[16] != ':' || line[19] != ' ' {
		return false
	}
	y1, ok1 := twoDigits(line[0], line[1])
	y2, ok2 := twoDigits(line[2], line[3])
	month, ok3 := twoDigits(line[5], line[6])
	day, ok4 := twoDigits(line[8], line[9])
	hour, ok5 := twoDigits(line[11], line[12])
	min, ok6 := twoDigits(line[14], line[15])
	sec, ok7 := twoDigits(line[17], line[18])
	year := y1*100 + y2
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6 && ok7) || year < 1 || month < 1 || month > 12 ||
		day < 1 || day > daysIn(time.Month(month), year) || hour > 23 || min > 59 || sec > 59 {
		return false
	}
	// The customer: printable ASCII up to a space (checkCustomer's rules
	// for the rest).
	i := 20
	for ; i < len(line) && line[i] != ' '; i++ {
		if c := line[i]; c < 0x21 || c >= 0x7f {
			return false
		}
	}
	customerEnd := i
	if customerEnd == 20 || customerEnd-20 > MaxCustomerIDBytes {
		return false
	}
	// The path: anything but spaces and tabs.
	pathStart := i + 1
	pathEnd := bytes.IndexByte(line[pathStart:], ' ') + pathStart
	if pathEnd < pathStart || bytes.IndexByte(line[pathStart:pathEnd], '\t') >= 0 {
		return false
	}
	if pathEnd == pathStart || pathEnd-pathStart > MaxPathBytes || len(line)-pathEnd < 6 || line[pathEnd+4] != ' ' {
		return false
	}
	s1, ok1 := twoDigits(line[pathEnd+1], line[pathEnd+2])
	s2 := line[pathEnd+3] - '0'
	status := s1*10 + int(s2)
	if !ok1 || s2 > 9 || status < 100 || status > 599 {
		return false
	}
	latency, ok := fastLatency(line[pathEnd+5:])
	if !ok {
		return false
	}
	ts, ok := logstatsTime(Date{year, time.Month(month), day}, hour*3600+min*60+sec, 0, loc)
	if !ok {
		return false
	}
	*f = fields{
		time:     ts,
		customer: line[20:customerEnd],
		target:   line[pathStart:pathEnd],
		status:   status,
		latency:  latency,
	}
	return true
}

// twoDigits parses two decimal digits.
func twoDigits(a, b byte) (int, bool) {
	x, y := a-'0', b-'0'
	return int(x)*10 + int(y), x <= 9 && y <= 9
}

// fastLatency is parseLatencyUnit(b, unitSeconds) for "-" and for at most
// five digits, then optionally a point and digits, within MaxLatency;
// false for anything else.
func fastLatency(b []byte) (time.Duration, bool) {
	if len(b) == 1 && b[0] == '-' {
		return NoLatency, true
	}
	var us int64
	i := 0
	for ; i < len(b) && b[i] != '.'; i++ {
		d := b[i] - '0'
		if d > 9 || i == 5 {
			return 0, false
		}
		us = us*10 + int64(d)
	}
	if i == 0 {
		return 0, false
	}
	us *= 1e6
	if i < len(b) { // a point, then at least one digit
		frac := b[i+1:]
		if len(frac) == 0 {
			return 0, false
		}
		scale := int64(100_000)
		for j, c := range frac {
			d := c - '0'
			if d > 9 {
				return 0, false
			}
			switch {
			case j < 6:
				us += int64(d) * scale
				scale /= 10
			case j == 6 && d >= 5:
				us++ // half away from zero
			}
		}
	}
	if us > int64(MaxLatency/time.Microsecond) {
		return 0, false
	}
	return time.Duration(us) * time.Microsecond, true
}
