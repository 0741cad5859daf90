package logstats

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/bits"
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
	p := &logstatsParser{loc: loc}
	return p.parse
}

// A logstatsParser reads lines of the logstats format in one zone. It keeps
// the last dates it read, so it serves one Parser.
type logstatsParser struct {
	loc   *time.Location
	dates [64]cachedDate // by the last two digits of the day, see date
}

// A cachedDate is a date a logstatsParser read, with its bytes.
type cachedDate struct {
	ymd  uint64 // "YYYY-MM-", little-endian; 0 in an empty entry
	dd   uint16 // "DD", little-endian
	date Date
	unix int64 // the Unix time of its UTC midnight
}

// parse parses one line of the logstats format:
//
//	<date> <time> <customer> <path> <status> <latency seconds>
func (p *logstatsParser) parse(line []byte, f *fields) *ParseError {
	if p.parseFast(line, f) {
		return nil
	}
	return parseLogstatsFields(line, p.loc, f)
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
	f.lineRequest = lineRequest{
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

// parseFast parses, in one pass, a logstats line of the usual shape: one
// space between fields, a clock without a fraction, an ASCII customer, a
// three-digit status and a latency of digits with at most one point, or
// "-". It returns false for any other line, or a value out of range, having
// stored nothing: parse then reads the line field by field, which gives
// what this gives for every line it takes (FuzzParseLogstatsFast).
func (p *logstatsParser) parseFast(line []byte, f *fields) bool {
	// The shortest: "2024-10-03 14:22:05 c / 200 0".
	if len(line) < 29 || line[10] != ' ' || line[19] != ' ' {
		return false
	}
	d := p.date(line[:10])
	if d == nil {
		return false
	}
	clock, ok := clockSeconds(line[11:19])
	if !ok {
		return false
	}
	// The customer: printable ASCII up to a space (checkCustomer's rules
	// for the rest), then at least " / 200 0".
	customerEnd := 20 + printableEnd(line[20:])
	if customerEnd == 20 || customerEnd-20 > MaxCustomerIDBytes || len(line)-customerEnd < 8 || line[customerEnd] != ' ' {
		return false
	}
	// The path: anything but spaces and tabs, then " 200 " (a path holding
	// another control byte goes to parse's other way).
	pathStart := customerEnd + 1
	pathEnd := pathStart + fieldEnd(line[pathStart:])
	if pathEnd == pathStart || pathEnd-pathStart > MaxPathBytes || len(line)-pathEnd < 6 || line[pathEnd] != ' ' || line[pathEnd+4] != ' ' {
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
	var ts time.Time
	if p.loc == time.UTC {
		ts = time.Unix(d.unix+int64(clock), 0).UTC()
	} else if ts, ok = logstatsTime(d.date, clock, 0, p.loc); !ok {
		return false
	}
	// Field by field, as Parser.fill does.
	f.time, f.customer, f.method, f.target, f.query = ts, line[20:customerEnd], nil, line[pathStart:pathEnd], nil
	f.status, f.latency = status, latency
	return true
}

// date returns the date b, 10 bytes, holds, or nil when they are not a real
// date YYYY-MM-DD. A log's lines are of few days, which it keeps by their
// last two digits: the entries of the days 01-31 of a month are distinct.
func (p *logstatsParser) date(b []byte) *cachedDate {
	ymd, dd := binary.LittleEndian.Uint64(b), binary.LittleEndian.Uint16(b[8:])
	c := &p.dates[(b[8]<<4^b[9])&63]
	if c.ymd == ymd && c.dd == dd && ymd != 0 { // no date is of zero bytes
		return c
	}
	date, ok := parseDateBytes(b)
	if !ok {
		return nil
	}
	*c = cachedDate{ymd: ymd, dd: dd, date: date, unix: daysSinceEpoch(date) * 86400}
	return c
}

// clockSeconds parses HH:MM:SS, 8 bytes, into seconds since midnight, all
// its bytes checked at once.
func clockSeconds(b []byte) (int, bool) {
	const (
		digitBytes = 0xffff_00ff_ff00_ffff // little-endian: bytes 0-1, 3-4, 6-7
		colons     = 0x0000_3a00_003a_0000 // bytes 2 and 5
		ones       = 0x0101_0001_0100_0101 // 1 in each digit byte
		high       = 0x80 * ones
	)
	w := binary.LittleEndian.Uint64(b)
	if w&^digitBytes != colons || w&0x8080_8080_8080_8080 != 0 {
		return 0, false
	}
	t := w & digitBytes
	// ASCII bytes, so neither sum carries: a byte is >= '0' when it keeps
	// its high bit through -0x30, and <= '9' when +0x46 does not set it.
	if ((t|high)-0x30*ones)&high != high || (t+0x46*ones)&high != 0 {
		return 0, false
	}
	v := t - 0x30*ones
	hour := int(v&0xff)*10 + int(v>>8&0xff)
	min := int(v>>24&0xff)*10 + int(v>>32&0xff)
	sec := int(v>>48&0xff)*10 + int(v>>56)
	if hour > 23 || min > 59 || sec > 59 {
		return 0, false
	}
	return hour*3600 + min*60 + sec, true
}

// Words of eight bytes, little-endian, in which to find a byte at once.
const (
	eachByte  = 0x0101_0101_0101_0101 // times a byte: that byte eight times
	highBits  = 0x80 * eachByte
	wordBytes = 8
)

// lessThan returns w's bytes below c (at most 0x80) as their high bits: the
// lowest exactly, those above it maybe not (the subtraction borrows).
func lessThan(w uint64, c byte) uint64 { return (w - uint64(c)*eachByte) &^ w & highBits }

// printableEnd returns the index of the first byte of b that is not
// printable ASCII (0x21-0x7e), or len(b).
func printableEnd(b []byte) int {
	i := 0
	for ; len(b)-i >= wordBytes; i += wordBytes {
		w := binary.LittleEndian.Uint64(b[i:])
		// Bytes from 0x80 have their high bit, and so has 0x7f plus one
		// (a carry out of a byte from 0x80 is above its lowest mark).
		if stop := (w|(w+eachByte))&highBits | lessThan(w, 0x21); stop != 0 {
			return i + bits.TrailingZeros64(stop)/8
		}
	}
	for ; i < len(b); i++ {
		if c := b[i]; c < 0x21 || c >= 0x7f {
			break
		}
	}
	return i
}

// fieldEnd returns where a field of b (one without spaces and tabs) may
// end: an index i such that b[:i] holds no space or tab and b[i] is below
// 0x21 (a space, a tab or another control byte), or len(b). A long field
// is searched by bytes.IndexByte, faster there than words.
func fieldEnd(b []byte) int {
	const words = 8 // before IndexByte's turn
	i := 0
	for ; len(b)-i >= wordBytes && i < words*wordBytes; i += wordBytes {
		if stop := lessThan(binary.LittleEndian.Uint64(b[i:]), 0x21); stop != 0 {
			return i + bits.TrailingZeros64(stop)/8
		}
	}
	if len(b)-i > wordBytes {
		rest := b[i:]
		n := bytes.IndexByte(rest, ' ')
		if n < 0 {
			n = len(rest)
		}
		if t := bytes.IndexByte(rest[:n], '\t'); t >= 0 {
			n = t
		}
		return i + n
	}
	for ; i < len(b) && b[i] >= 0x21; i++ {
	}
	return i
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
	for ; i < len(b); i++ {
		d := b[i] - '0'
		if d > 9 {
			break
		}
		us = us*10 + int64(d)
	}
	if i == 0 || i > 5 {
		return 0, false
	}
	places := 0 // the fraction's digits in us, at most 6
	if i < len(b) {
		frac := b[i+1:]
		if b[i] != '.' || len(frac) == 0 {
			return 0, false
		}
		places = min(len(frac), 6)
		for _, c := range frac[:places] {
			d := c - '0'
			if d > 9 {
				return 0, false
			}
			us = us*10 + int64(d)
		}
		for j, c := range frac[places:] {
			if c-'0' > 9 {
				return 0, false
			}
			if j == 0 && c >= '5' {
				us++ // half away from zero; the digits after it only checked
			}
		}
	}
	switch places {
	case 0:
		us *= 1e6
	case 1:
		us *= 1e5
	case 2:
		us *= 1e4
	case 3:
		us *= 1e3
	case 4:
		us *= 1e2
	case 5:
		us *= 10
	}
	if us > int64(MaxLatency/time.Microsecond) {
		return 0, false
	}
	return time.Duration(us) * time.Microsecond, true
}
