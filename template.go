package logstats

import (
	"bytes"
	"fmt"
	"math/bits"
	"slices"
	"strings"
	"time"
)

// A template is a compiled format string (nginx's log_format, Apache's
// LogFormat, Envoy's): literal text and fields, each field ending where the
// literal after it begins. It parses a line in one pass, with no allocation
// for a valid line.
type template struct {
	head   []byte          // literal before the first field
	fields []templateField // in the order of the line
	// trailing: the line may go on after the last field's literal (fields
	// the format does not read, as in ALB's logs).
	trailing bool
}

// A templateField is one variable of a format string and the literal that
// follows it ("" when it ends the line).
type templateField struct {
	kind fieldKind
	name string // as the format string spells it: "remote_user", "%{Referer}i"
	lit  []byte // literal after the field
	// quoted: the literal starts with a double quote, which the field's
	// value escapes (as \" in Apache's logs), so an escaped quote is not the
	// field's end.
	quoted bool
	// spaced: a request line outside quotes (a bare $request or %r), whose
	// single spaces between method, target and protocol are not its end.
	spaced bool
	// merged: a path field and the query fields after it, read as one.
	merged bool
	// fraction: a latency in seconds that always has a decimal point (nginx
	// prints $request_time as 0.123), which tells it from an integer of
	// another unit when detecting a log's format.
	fraction bool
	// dims has bit i set when the field is the value of dimension i,
	// whatever else it is.
	dims uint8
}

// fieldKind is what a template field means to logstats.
type fieldKind uint8

const (
	fieldSkip        fieldKind = iota
	fieldCustomer              // the field the customer selector chose
	fieldTimeCLF               // 10/Oct/2024:13:55:36 -0700
	fieldTimeISO               // 2024-10-10T13:55:36-07:00, RFC 3339
	fieldTimeUnix              // 1728568536.123, Unix seconds
	fieldRequest               // the request line: GET /path?query HTTP/1.1
	fieldMethod                // GET
	fieldURI                   // /path?query
	fieldPath                  // /path
	fieldQuery                 // query, without "?"
	fieldStatus                // 200
	fieldSeconds               // 0.123
	fieldMillis                // 123
	fieldMicros                // 123000
	fieldSecondsSum            // 0.010, 0.020 : 0.030 (nginx's upstream times)
	fieldSecondsPart           // one of several times in seconds that add up to the latency; -1 is none
)

func (k fieldKind) isTime() bool { return k >= fieldTimeCLF && k <= fieldTimeUnix }

func (k fieldKind) isPath() bool { return k == fieldRequest || k == fieldURI || k == fieldPath }

func (k fieldKind) isLatency() bool { return k >= fieldSeconds && k <= fieldSecondsPart }

// unit is the unit of a latency field of one number.
func (k fieldKind) unit() latencyUnit {
	switch k {
	case fieldMillis:
		return unitMillis
	case fieldMicros:
		return unitMicros
	}
	return unitSeconds
}

// isDash reports whether a field's value is "-", which logs write for a
// value they do not have.
func isDash(v []byte) bool { return len(v) == 1 && v[0] == '-' }

// templateBuilder assembles a template from a format string's pieces.
type templateBuilder struct {
	t   template
	lit []byte // literal text since the last field
	err error
	// at is where the next field is in the format as pasted ("column 17"),
	// for messages; "" when the caller does not say.
	at string
	// notes say why a field that looks like a time or a latency is not read,
	// for the message of a format that has none.
	notes map[string]string
}

// note records why a field that could be what the format is missing is
// not read; what is "time" or "latency".
func (b *templateBuilder) note(what, why string) {
	if b.notes == nil {
		b.notes = map[string]string{}
	}
	if _, ok := b.notes[what]; !ok {
		b.notes[what] = why
	}
}

func (b *templateBuilder) literal(s string) { b.lit = append(b.lit, s...) }

// literalUntil adds spec[i:] up to the next c (or the end) as literal text
// and returns where it stopped.
func (b *templateBuilder) literalUntil(spec string, i int, c byte) int {
	j := strings.IndexByte(spec[i:], c)
	if j < 0 {
		j = len(spec) - i
	}
	b.literal(spec[i : i+j])
	return i + j
}

func (b *templateBuilder) field(kind fieldKind, name string) {
	if len(b.t.fields) == 0 {
		b.t.head = b.lit
	} else {
		prev := &b.t.fields[len(b.t.fields)-1]
		if len(b.lit) == 0 && (prev.kind == fieldPath || prev.kind == fieldURI && prev.merged) && (kind == fieldQuery || name == "is_args") {
			// Apache's %U%q and nginx's $uri$is_args$args: the path, then
			// "?query" or nothing, which is one request target.
			prev.kind, prev.name, prev.merged = fieldURI, prev.name+name, true
			return
		}
		if len(b.lit) == 0 && b.err == nil {
			at := ""
			if b.at != "" {
				at = " at " + b.at
			}
			b.err = fmt.Errorf("%s and %s follow each other%s with nothing between them, so a line cannot tell where one ends", prev.name, name, at)
		}
		prev.lit = b.lit
	}
	b.lit = nil
	b.t.fields = append(b.t.fields, templateField{kind: kind, name: name})
}

// build checks the template and returns it. A format needs a time, a path
// and a status, and may have a latency (without one, its requests have
// NoLatency); when it has several of one, the first is used (for a latency,
// a field of the request's own time before $upstream_response_time), and
// the others are skipped.
func (b *templateBuilder) build() (*template, error) {
	if b.err != nil {
		return nil, b.err
	}
	if len(b.t.fields) == 0 {
		return nil, fmt.Errorf("it has no fields")
	}
	last := &b.t.fields[len(b.t.fields)-1]
	last.lit = bytes.TrimRight(b.lit, " \t")
	t := &b.t
	for i := range t.fields {
		f := &t.fields[i]
		// Before keepFirst: a request line skipped still has its spaces.
		f.spaced = f.kind == fieldRequest && len(f.lit) > 0 && f.lit[0] != '"'
	}
	var missing []string
	keepFirst := func(what string, is func(fieldKind) bool, rank func(fieldKind) int) {
		best := -1
		for i, f := range t.fields {
			if is(f.kind) && (best < 0 || rank(f.kind) < rank(t.fields[best].kind)) {
				best = i
			}
		}
		if best < 0 {
			missing = append(missing, what)
			return
		}
		for i := range t.fields {
			if i != best && is(t.fields[i].kind) {
				t.fields[i].kind = fieldSkip
			}
		}
	}
	same := func(fieldKind) int { return 0 }
	keepFirst("time", fieldKind.isTime, same)
	keepFirst("request path", fieldKind.isPath, same)
	keepFirst("status", func(k fieldKind) bool { return k == fieldStatus }, same)
	if t.has(fieldSecondsPart) {
		// The parts add up: none is dropped, and no other latency counts.
		for i := range t.fields {
			if k := t.fields[i].kind; k.isLatency() && k != fieldSecondsPart {
				t.fields[i].kind = fieldSkip
			}
		}
	} else if slices.ContainsFunc(t.fields, func(f templateField) bool { return f.kind.isLatency() }) || b.notes["latency"] != "" {
		// Without a latency field, the requests have none; but a field
		// that is a latency logstats cannot read is refused, not dropped.
		keepFirst("latency", fieldKind.isLatency, func(k fieldKind) int {
			if k == fieldSecondsSum {
				return 1
			}
			return 0
		})
	}
	keepFirst("", func(k fieldKind) bool { return k == fieldMethod }, same)
	if len(missing) > 0 && missing[len(missing)-1] == "" {
		missing = missing[:len(missing)-1] // a method is optional
	}
	if len(missing) > 0 {
		for i, what := range missing {
			if why := b.notes[what]; why != "" {
				missing[i] += " (" + why + ")"
			}
		}
		return nil, fmt.Errorf("it has no %s", strings.Join(missing, ", nor "))
	}
	for i := range t.fields {
		f := &t.fields[i]
		f.quoted = len(f.lit) > 0 && f.lit[0] == '"'
		// A method field beside a request line: the request line's wins.
		if f.kind == fieldMethod && t.has(fieldRequest) {
			f.kind = fieldSkip
		}
	}
	return t, nil
}

// has reports whether t has a field of kind k.
func (t *template) has(k fieldKind) bool {
	for _, f := range t.fields {
		if f.kind == k {
			return true
		}
	}
	return false
}

// names lists the names of t's fields, for messages.
func (t *template) names() string {
	names := make([]string, len(t.fields))
	for i, f := range t.fields {
		names[i] = f.name
	}
	return strings.Join(names, " ")
}

// selectCustomer marks the field that sel names as the customer. Selectors
// that are not fields (path:, query:) need no field.
func (t *template) selectCustomer(sel CustomerSelector) error {
	if sel.kind != selectField {
		return nil
	}
	for i := range t.fields {
		if sameFieldName(t.fields[i].name, sel.name) {
			if t.fields[i].kind != fieldSkip {
				return fmt.Errorf("the customer cannot be its field %s, which logstats reads as something else", t.fields[i].name)
			}
			t.fields[i].kind = fieldCustomer
			return nil
		}
	}
	return fmt.Errorf("it has no field %s for the customer (its fields: %s); add it to the format, or choose path:PATTERN or query:NAME", sel.name, t.names())
}

// selectDimension marks the field that dimension i's selector names as
// its value. Any field may be one, even one that logstats reads as
// something else (a status, a method) or the customer; selectors that are
// not fields (path:, query:) need none.
func (t *template) selectDimension(i int, d Dimension) error {
	if d.Selector.kind != selectField {
		return nil
	}
	for j := range t.fields {
		if sameFieldName(t.fields[j].name, d.Selector.name) {
			t.fields[j].dims |= 1 << i
			return nil
		}
	}
	return fmt.Errorf("it has no field %s for dimension %s (its fields: %s); add it to the format, or choose path:PATTERN or query:NAME", d.Selector.name, d.Name, t.names())
}

// sameFieldName compares a field's name with a selector's: nginx variables
// exactly, Apache's %{Header}i and Envoy's REQ(Header) with the header's
// name in any case.
func sameFieldName(field, sel string) bool {
	if strings.HasPrefix(field, "%{") || strings.HasPrefix(strings.ToUpper(field), "REQ(") {
		return strings.EqualFold(field, sel)
	}
	return field == sel
}

// parse is the template's lineParser.
func (t *template) parse(line []byte, f *fields) *ParseError {
	line = bytes.TrimLeft(line, " \t")
	if !bytes.HasPrefix(line, t.head) {
		return &ParseError{Reason: fmt.Sprintf("line does not start with %q, as the format does", t.head), Err: ErrFieldCount}
	}
	rest := line[len(t.head):]
	f.lineRequest = lineRequest{latency: NoLatency} // unless a latency field says
	hasRequest := false
	for i := range t.fields {
		tf := &t.fields[i]
		var v []byte
		if len(tf.lit) == 0 {
			v, rest = bytes.TrimRight(rest, " \t"), nil
		} else {
			var j int
			switch {
			case tf.kind == fieldSecondsSum:
				j = indexSumEnd(rest, tf.lit)
			case tf.spaced:
				j = indexRequestEnd(rest, tf.lit)
			default:
				j = indexLiteral(rest, tf.lit, tf.quoted)
			}
			if j < 0 {
				return &ParseError{Reason: fmt.Sprintf("no %q after the field %s: the line does not have the format's fields", tf.lit, tf.name), Err: ErrFieldCount}
			}
			v, rest = rest[:j], rest[j+len(tf.lit):]
		}
		var perr *ParseError
		switch tf.kind {
		case fieldSkip:
		case fieldCustomer:
			f.customer = v
		case fieldTimeCLF:
			f.time, perr = parseCLFTime(v)
		case fieldTimeISO:
			f.time, perr = parseISOTime(v)
		case fieldTimeUnix:
			f.time, perr = parseUnixTime(v, unitSeconds)
		case fieldRequest:
			f.method, f.target, perr = parseRequestLine(v)
			hasRequest = true
		case fieldMethod:
			f.method = v
		case fieldURI, fieldPath:
			if !hasRequest {
				f.target = v
			}
		case fieldQuery:
			f.query = v
		case fieldStatus:
			f.status, perr = parseStatus(v)
		case fieldSeconds, fieldMillis, fieldMicros:
			if isDash(v) {
				break // no latency: a response the server made itself, say
			}
			if tf.kind == fieldSeconds && tf.fraction && bytes.IndexByte(v, '.') < 0 {
				perr = fieldError(ErrInvalidLatency, "latency %q has no decimal point, which the format's seconds always have", v)
				break
			}
			f.latency, perr = parseLatencyUnit(v, tf.kind.unit())
		case fieldSecondsSum:
			f.latency, perr = parseLatencySum(v)
		case fieldSecondsPart:
			if len(v) == 2 && v[0] == '-' && v[1] == '1' {
				break // not dispatched, or no response; all of them: no latency
			}
			var d time.Duration
			d, perr = parseLatencyUnit(v, unitSeconds)
			f.latency = max(f.latency, 0)
			if f.latency += d; perr == nil && f.latency > MaxLatency {
				perr = fieldError(ErrInvalidLatency, "processing times up to %q add up to more than 24 hours", v)
			}
		}
		if perr != nil {
			return perr
		}
		for d := tf.dims; d != 0; d &= d - 1 {
			f.dims[bits.TrailingZeros8(d)] = v
		}
	}
	if !t.trailing && len(bytes.TrimLeft(rest, " \t")) > 0 {
		return fieldError(ErrFieldCount, "text %q after the format's last field", rest)
	}
	return nil
}

// indexLiteral returns the index of the first lit in b, or -1. When quoted,
// a quote escaped with a backslash is not lit's start.
func indexLiteral(b, lit []byte, quoted bool) int {
	for off := 0; ; {
		j := bytes.Index(b[off:], lit)
		if j < 0 {
			return -1
		}
		j += off
		if !quoted || !escapedAt(b, j) {
			return j
		}
		off = j + 1
	}
}

// indexSumEnd is indexLiteral for a list of upstream times, whose ", " and
// " : " separators are not its end.
func indexSumEnd(b, lit []byte) int {
	for off := 0; ; {
		j := bytes.Index(b[off:], lit)
		if j < 0 {
			return -1
		}
		j += off
		inList := j > 0 && (b[j-1] == ',' || b[j-1] == ':') || bytes.HasPrefix(b[j:], []byte(" : "))
		if !inList {
			return j
		}
		off = j + 1
	}
}

// httpProtocol starts the protocol of a request line. It is never written to.
var httpProtocol = []byte("HTTP/")

// indexRequestEnd is indexLiteral for a request line outside quotes (a bare
// $request, as in nginx's upstreamlog example): the single spaces between
// its method, target and protocol are not its end. A request without a
// protocol (HTTP/0.9) ends at its target.
func indexRequestEnd(b, lit []byte) int {
	from := 0
	if sp := bytes.IndexByte(b, ' '); sp >= 0 {
		from = sp + 1 // after the method
		if sp := bytes.IndexByte(b[from:], ' '); sp >= 0 && bytes.HasPrefix(b[from+sp+1:], httpProtocol) {
			from += sp + 1 // after the target
		}
	}
	j := bytes.Index(b[from:], lit)
	if j < 0 {
		return -1
	}
	return from + j
}

// escapedAt reports whether b[j] follows an odd number of backslashes.
func escapedAt(b []byte, j int) bool {
	n := 0
	for k := j - 1; k >= 0 && b[k] == '\\'; k-- {
		n++
	}
	return n%2 == 1
}

// rootPath is the path of an absolute target without one. It is never written to.
var rootPath = []byte("/")

// parseRequestLine splits "GET /path?query HTTP/1.1" (the protocol is
// optional) into its method and target. An absolute target
// (http://host/path, as a proxy receives it) becomes its path.
func parseRequestLine(b []byte) (method, target []byte, perr *ParseError) {
	sp := bytes.IndexByte(b, ' ')
	if sp <= 0 {
		return nil, nil, fieldError(ErrInvalidPath, "request %q is not a request line (METHOD /path PROTOCOL)", b)
	}
	method, target = b[:sp], b[sp+1:]
	if sp := bytes.IndexByte(target, ' '); sp >= 0 {
		target = target[:sp]
	}
	if i := bytes.Index(target, []byte("://")); i > 0 && target[0] != '/' {
		rest := target[i+3:]
		if j := bytes.IndexByte(rest, '/'); j >= 0 {
			target = rest[j:]
		} else {
			target = rootPath
		}
	}
	if len(target) == 0 {
		return nil, nil, fieldError(ErrInvalidPath, "request %q has no path", b)
	}
	return method, target, nil
}
