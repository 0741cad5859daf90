package logstats

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// haproxyLine is the lineParser of HAProxy's "option httplog" line, with or
// without the syslog prefix that precedes it in /var/log/haproxy.log:
//
//	Feb  6 12:14:14 localhost haproxy[14389]: 10.0.1.2:33317 [06/Feb/2009:12:14:14.655] http-in static/srv1 10/0/30/69/109 200 2750 - - ---- 1/1/1/1/0 0/0 {1wt.eu} {} "GET /index.html HTTP/1.1"
//
// The accept date has milliseconds and no offset: it is read in loc. The
// latency is the last of the five timers (Ta, the request's total time, in
// milliseconds); with "option logasap" HAProxy writes it "+N", the time up
// to the log's emission, which is read as N. The status and the request
// line are as logged: HAProxy's own "-1" status and "<BADREQ>" request make
// a line malformed. The TLS fields that option httpslog adds after the
// request line are not read. The captured request headers, the first "{...}" block,
// can hold the customer (selector hr or hr:N).
type haproxyLine struct {
	loc *time.Location
	// header is the captured request header that holds the customer,
	// counted from 1 in the "|"-separated list; 0: none.
	header int
	// dims are the captured request headers of the dimensions, as header.
	dims [MaxDimensions]int
}

// haproxyCustomer returns which captured request header the selector sel
// names: "hr" (or HAProxy's own "%hr") is the first, "hr:N" the Nth.
func haproxyCustomer(sel CustomerSelector) (int, error) {
	n, err := haproxyHeader(sel)
	if err != nil {
		return 0, fmt.Errorf("%w: the haproxy format's customer field %v; or select the customer with path:PATTERN or query:NAME", ErrInvalidSelector, err)
	}
	return n, nil
}

// haproxyHeader returns which captured request header the selector sel
// names (0 for a selector that is not a field).
func haproxyHeader(sel CustomerSelector) (int, error) {
	if sel.kind != selectField {
		return 0, nil
	}
	name, n := strings.TrimPrefix(sel.name, "%"), 1
	if rest, ok := strings.CutPrefix(name, "hr:"); ok {
		var err error
		if n, err = strconv.Atoi(rest); err != nil || n < 1 || n > 64 {
			n = 0
		}
	} else if name != "hr" {
		n = 0
	}
	if n == 0 {
		return 0, fmt.Errorf("is a captured request header: hr (the first of the first {...} block) or hr:N (the Nth), not %q", sel.name)
	}
	return n, nil
}

func (h *haproxyLine) parse(line []byte, f *fields) *ParseError {
	s := bytes.TrimSpace(line)
	// The syslog prefix ends with the process's tag, "haproxy[14389]: ",
	// before the first " [" (the accept date's).
	if i := bytes.Index(s, []byte("]: ")); i >= 0 {
		if j := bytes.Index(s, []byte(" [")); j < 0 || i < j {
			s = s[i+3:]
		}
	}
	var client, date, frontend, backend, timers, status, size, skip []byte
	client, s = nextToken(s)
	date, s = nextToken(s)
	if len(client) == 0 || len(date) < 2 || date[0] != '[' || date[len(date)-1] != ']' {
		return &ParseError{Reason: "line does not start with a client address and an accept date in brackets, as HAProxy's httplog does", Err: ErrFieldCount}
	}
	frontend, s = nextToken(s)
	backend, s = nextToken(s)
	timers, s = nextToken(s)
	if len(frontend) == 0 || bytes.IndexByte(backend, '/') < 0 {
		return &ParseError{Reason: "no frontend and backend/server after the accept date, as HAProxy's httplog has", Err: ErrFieldCount}
	}
	ta, ok := haproxyTimers(timers)
	if !ok {
		return fieldError(ErrFieldCount, "timers %q are not the five TR/Tw/Tc/Tr/Ta of HAProxy's httplog", timers)
	}
	status, s = nextToken(s)
	size, s = nextToken(s)
	for i := 0; i < 5; i++ { // cookies, termination state, connections, queues
		skip, s = nextToken(s)
		if len(skip) == 0 || i == 2 && len(skip) != 4 || i >= 3 && bytes.IndexByte(skip, '/') < 0 {
			return &ParseError{Reason: "no cookies, termination state, connection counts and queues after the status and size, as HAProxy's httplog has", Err: ErrFieldCount}
		}
	}
	var captured []byte // the request headers' block, without its braces
	for n := 0; len(s) > 0 && s[0] == '{'; n++ {
		end := bytes.IndexByte(s, '}')
		if end < 0 {
			return &ParseError{Reason: "a captured headers' block has no closing }", Err: ErrFieldCount}
		}
		if n == 0 {
			captured = s[1:end]
		}
		s = bytes.TrimLeft(s[end+1:], " ")
	}
	if len(s) == 0 || s[0] != '"' || len(size) == 0 {
		return &ParseError{Reason: "no quoted request line at the end, as HAProxy's httplog has", Err: ErrFieldCount}
	}
	// HAProxy writes a quote in the request as #22: the next quote ends it.
	// option httpslog adds TLS fields after it.
	end := bytes.IndexByte(s[1:], '"') + 1
	if end == 0 {
		return fieldError(ErrInvalidPath, "request %q is cut short (no closing quote)", s)
	}
	if end+1 < len(s) && s[end+1] != ' ' {
		return &ParseError{Reason: "text right after the request line's closing quote", Err: ErrFieldCount}
	}
	f.lineRequest = lineRequest{}
	var perr *ParseError
	if f.time, perr = parseHAProxyTime(date[1:len(date)-1], h.loc); perr != nil {
		return perr
	}
	if f.status, perr = parseStatus(status); perr != nil {
		return perr
	}
	if f.method, f.target, perr = parseRequestLine(s[1:end]); perr != nil {
		return perr
	}
	if len(ta) == 2 && ta[0] == '-' && ta[1] == '1' {
		f.latency = NoLatency // HAProxy logged no total time for this request
	} else if f.latency, perr = parseLatencyUnit(bytes.TrimPrefix(ta, []byte("+")), unitMillis); perr != nil {
		return perr
	}
	if h.header > 0 {
		f.customer = nthHeader(captured, h.header)
	}
	for i, n := range h.dims {
		if n > 0 {
			f.dims[i] = nthHeader(captured, n)
		}
	}
	return nil
}

// nextToken returns the text of s up to its next space, and what follows
// it, its leading spaces skipped.
func nextToken(s []byte) (tok, rest []byte) {
	i := bytes.IndexByte(s, ' ')
	if i < 0 {
		return s, nil
	}
	tok, rest = s[:i], s[i+1:]
	for len(rest) > 0 && rest[0] == ' ' {
		rest = rest[1:]
	}
	return tok, rest
}

// haproxyTimers checks HAProxy's TR/Tw/Tc/Tr/Ta and returns Ta: each
// timer is a number of milliseconds or -1, Ta may carry a "+".
func haproxyTimers(b []byte) (ta []byte, ok bool) {
	for i := 0; i < 5; i++ {
		t := b
		if j := bytes.IndexByte(b, '/'); j >= 0 && i < 4 {
			t, b = b[:j], b[j+1:]
		} else if i < 4 {
			return nil, false
		}
		v := t
		if i == 4 && len(v) > 0 && v[0] == '+' {
			v = v[1:]
		}
		if !(len(v) == 2 && v[0] == '-' && v[1] == '1') && !allDigits(v) {
			return nil, false
		}
		ta = t
	}
	return ta, true
}

func allDigits(b []byte) bool {
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return len(b) > 0
}

// nthHeader returns the nth (from 1) of the "|"-separated values of a
// captured headers' block, or nil.
func nthHeader(block []byte, n int) []byte {
	for i := 1; ; i++ {
		v, rest, more := bytes.Cut(block, []byte{'|'})
		if i == n {
			return v
		}
		if !more {
			return nil
		}
		block = rest
	}
}

// parseHAProxyTime parses HAProxy's accept date, 06/Feb/2009:12:14:14.655
// (or without milliseconds), a time of day in loc.
func parseHAProxyTime(b []byte, loc *time.Location) (time.Time, *ParseError) {
	const want = "06/Feb/2009:12:14:14.655"
	if len(b) < 20 || b[2] != '/' || b[6] != '/' || b[11] != ':' {
		return time.Time{}, badTime(b, want)
	}
	day, ok1 := digits(b[0:2])
	month, ok2 := monthOf(b[3:6])
	year, ok3 := digits(b[7:11])
	hour, min, sec, nsec, ok4 := parseClock(b[12:])
	if !ok1 || !ok2 || !ok3 || !ok4 || year < 1 || day < 1 || day > daysIn(month, year) {
		return time.Time{}, badTime(b, want)
	}
	if loc == time.UTC {
		return instant(b, Date{year, month, day}, hour*3600+min*60+sec, nsec, 0)
	}
	t := time.Date(year, month, day, hour, min, sec, nsec, loc)
	if y := t.UTC().Year(); y < 1 || y > 9999 {
		return time.Time{}, fieldError(ErrInvalidDate, "time %q falls outside the years 0001-9999 in UTC", b)
	}
	return t.UTC(), nil
}
