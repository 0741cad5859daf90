package logstats

import (
	"fmt"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// jsonFields says which keys of a JSON line hold a request's fields. A key
// is a dotted path: "request.uri" is the key uri of the object under
// request. A key that itself holds dots ("http.status") is found too, unless
// an object under its first part ("http") comes before it.
type jsonFields struct {
	time, method, path, status, latency string
	timeUnit, latencyUnit               latencyUnit
	// latencyDuration: the latency is a Go duration string ("1.2s"), the
	// unit duration, rather than a number of latencyUnit.
	latencyDuration bool
}

// caddyFields are the keys of Caddy's JSON access log.
var caddyFields = jsonFields{time: "ts", method: "request.method", path: "request.uri", status: "status", latency: "duration", timeUnit: unitSeconds, latencyUnit: unitSeconds}

// jsonlDefaults are the keys of the jsonl format when -fields names none.
var jsonlDefaults = jsonFields{time: "time", method: "method", path: "path", status: "status", latency: "latency", timeUnit: unitSeconds, latencyUnit: unitSeconds}

// parseJSONFields reads a -fields list, time=KEY[:s|ms], customer=KEY,
// path=KEY, status=KEY, latency=KEY[:s|ms|us|ns|duration], method=KEY, over the
// jsonl defaults. It returns the customer key apart ("" when not given).
func parseJSONFields(spec string) (jsonFields, string, error) {
	f, customer := jsonlDefaults, ""
	if spec == "" {
		return f, "", nil
	}
	for _, item := range strings.Split(spec, ",") {
		name, key, ok := strings.Cut(strings.TrimSpace(item), "=")
		if !ok || key == "" {
			return f, "", fmt.Errorf("field %q: want NAME=KEY", item)
		}
		key, unit, hasUnit := strings.Cut(key, ":")
		u, duration := unitSeconds, false
		if hasUnit {
			switch unit {
			case "duration":
				duration = true
			case "s":
			case "ms":
				u = unitMillis
			case "us":
				u = unitMicros
			case "ns":
				u = unitNanos
			default:
				return f, "", fmt.Errorf("field %q: unit %q is not s, ms, us, ns or duration", item, unit)
			}
			if name != "time" && name != "latency" || name == "time" && (u != unitSeconds && u != unitMillis || duration) {
				return f, "", fmt.Errorf("field %q: only time (s, ms) and latency (s, ms, us, ns, duration) take a unit", item)
			}
		}
		switch name {
		case "time":
			f.time, f.timeUnit = key, u
		case "customer":
			customer = key
		case "method":
			f.method = key
		case "path":
			f.path = key
		case "status":
			f.status = key
		case "latency":
			f.latency, f.latencyUnit, f.latencyDuration = key, u, duration
		default:
			return f, "", fmt.Errorf("field %q: want time, customer, method, path, status or latency", item)
		}
	}
	return f, customer, nil
}

// jsonLine is the lineParser of a JSON format. It keeps the decoded strings
// of the current line in buffers of its own, which the Parser reads before
// the next line.
type jsonLine struct {
	keys                                    jsonFields
	customer                                string // the customer's key, or "" when the selector is not a key
	custBuf, pathBuf, methodBuf, latencyBuf []byte
	// dims are the keys of the dimensions whose selectors are keys ("" for
	// the others), and the buffers of their decoded values.
	dims    [MaxDimensions]string
	dimBufs [MaxDimensions][]byte
}

func (j *jsonLine) parse(line []byte, f *fields) *ParseError {
	line = line[skipSpace(line, 0):]
	if len(line) == 0 || line[0] != '{' {
		return &ParseError{Reason: "line is not a JSON object", Err: ErrFieldCount}
	}
	// The whole line must be one object: cut or followed by more, it is
	// malformed, whatever keys it has.
	if end, ok := skipValue(line, 0); !ok || skipSpace(line, end) != len(line) {
		return &ParseError{Reason: "line is not one whole JSON object (cut short, or followed by more text)", Err: ErrFieldCount}
	}
	f.lineRequest = lineRequest{}
	var perr *ParseError
	var v jsonValue
	if v, perr = j.get(line, j.keys.time, true); perr != nil {
		return perr
	}
	if v.kind == '"' {
		f.time, perr = parseISOTime(v.raw)
	} else {
		f.time, perr = parseUnixTime(v.raw, j.keys.timeUnit)
	}
	if perr != nil {
		return perr
	}
	if v, perr = j.get(line, j.keys.path, true); perr != nil {
		return perr
	}
	if f.target, perr = j.text(v, &j.pathBuf, j.keys.path); perr != nil {
		return perr
	}
	if v, perr = j.get(line, j.keys.status, true); perr != nil {
		return perr
	}
	if f.status, perr = parseStatus(v.raw); perr != nil {
		return perr
	}
	if v, perr = j.getOrNull(line, j.keys.latency); perr != nil {
		return perr
	}
	switch {
	case v.kind == 'n':
		f.latency = NoLatency // "latency": null, as an export writes a request without one
	case j.keys.latencyDuration:
		var d []byte
		if v.kind != '"' {
			return fieldError(ErrInvalidLatency, "latency %q is not a Go duration string (such as \"1.2s\")", v.raw)
		}
		if d, perr = j.text(v, &j.latencyBuf, j.keys.latency); perr != nil {
			return perr
		}
		if f.latency, perr = parseGoDuration(d); perr != nil {
			return perr
		}
	default:
		if f.latency, perr = parseLatencyNumber(v.raw, j.keys.latencyUnit, v.kind != '"'); perr != nil {
			return perr
		}
	}
	if j.keys.method != "" {
		if v, perr = j.get(line, j.keys.method, false); perr != nil {
			return perr
		}
		if v.kind != 0 {
			if f.method, perr = j.text(v, &j.methodBuf, j.keys.method); perr != nil {
				return perr
			}
		}
	}
	if j.customer != "" {
		if f.customer, perr = j.selected(line, j.customer, &j.custBuf); perr != nil {
			return perr
		}
	}
	for i, key := range j.dims {
		if key != "" {
			if f.dims[i], perr = j.selected(line, key, &j.dimBufs[i]); perr != nil {
				return perr
			}
		}
	}
	return nil
}

// selected returns the value of the optional key that a selector names,
// decoded into buf when it has escapes: a string, a number or true or false
// as written, the first string of a list (a header's values); nil for
// anything else.
func (j *jsonLine) selected(line []byte, key string, buf *[]byte) ([]byte, *ParseError) {
	v, perr := j.get(line, key, false)
	if perr != nil {
		return nil, perr
	}
	if v.kind == '[' { // a header: a list of values, the first counts
		v = firstElement(v.raw)
	}
	switch v.kind {
	case '"':
		return j.text(v, buf, key)
	case '0':
		return v.raw, nil // a number, true or false
	}
	return nil, nil
}

// get finds key in line; required says that its absence is an error (else
// a zero jsonValue is returned).
func (j *jsonLine) get(line []byte, key string, required bool) (jsonValue, *ParseError) {
	return j.lookup(line, key, required, false)
}

// getOrNull is get of a required key whose value may be null (kind 'n').
func (j *jsonLine) getOrNull(line []byte, key string) (jsonValue, *ParseError) {
	return j.lookup(line, key, true, true)
}

// lookup finds key's value in line: an error for a line that is not JSON,
// and for an absent or null value of a required key (unless nullable, when
// null is returned); a zero value for an absent optional one.
func (j *jsonLine) lookup(line []byte, key string, required, nullable bool) (jsonValue, *ParseError) {
	v, ok := jsonLookup(line, key)
	switch {
	case !ok:
		return v, &ParseError{Reason: "line is not valid JSON", Err: ErrFieldCount}
	case v.kind == 'n' && nullable:
		return v, nil
	case v.kind == 0 || v.kind == 'n':
		if required {
			return jsonValue{}, &ParseError{Reason: fmt.Sprintf("line has no %q (name its key in the jsonl format's fields)", key), Err: ErrFieldCount}
		}
		return jsonValue{}, nil
	}
	return v, nil
}

// text returns a string value, decoded into buf when it has escapes.
func (j *jsonLine) text(v jsonValue, buf *[]byte, key string) ([]byte, *ParseError) {
	if v.kind != '"' {
		return nil, &ParseError{Reason: fmt.Sprintf("%q is not a string", key), Err: ErrFieldCount}
	}
	if !v.escaped {
		return v.raw, nil
	}
	var ok bool
	if *buf, ok = appendUnquoted((*buf)[:0], v.raw); !ok {
		return nil, &ParseError{Reason: fmt.Sprintf("%q has a malformed escape", key), Err: ErrFieldCount}
	}
	return *buf, nil
}

// A jsonValue is a value found in a JSON line.
type jsonValue struct {
	// kind: '"' a string (raw is its content, without the quotes), '{' an
	// object, '[' an array, 'n' null, '0' any other literal (a number,
	// true, false); 0 when the key is absent.
	kind    byte
	raw     []byte
	escaped bool // a string with backslash escapes
}

// jsonLookup finds the dotted key path in the JSON object b. ok is false
// when b is not valid JSON as far as it was read.
func jsonLookup(b []byte, path string) (v jsonValue, ok bool) {
	i := skipSpace(b, 0)
	for {
		if i >= len(b) || b[i] != '{' {
			return jsonValue{}, false
		}
		i = skipSpace(b, i+1)
		if i < len(b) && b[i] == '}' {
			return jsonValue{}, true
		}
		descended := false
		for !descended {
			if i >= len(b) || b[i] != '"' {
				return jsonValue{}, false
			}
			kend, _, ok := scanString(b, i)
			if !ok {
				return jsonValue{}, false
			}
			key := b[i+1 : kend-1]
			i = skipSpace(b, kend)
			if i >= len(b) || b[i] != ':' {
				return jsonValue{}, false
			}
			i = skipSpace(b, i+1)
			vend, ok := skipValue(b, i)
			if !ok {
				return jsonValue{}, false
			}
			switch {
			case string(key) == path:
				return valueAt(b, i, vend), true
			case len(path) > len(key) && path[len(key)] == '.' && path[:len(key)] == string(key) && i < len(b) && b[i] == '{':
				path = path[len(key)+1:]
				descended = true // look in this object
				continue
			}
			i = skipSpace(b, vend)
			if i < len(b) && b[i] == ',' {
				i = skipSpace(b, i+1)
				continue
			}
			if i < len(b) && b[i] == '}' {
				return jsonValue{}, true // not in this object
			}
			return jsonValue{}, false
		}
	}
}

// valueAt describes the value b[i:end].
func valueAt(b []byte, i, end int) jsonValue {
	switch c := b[i]; c {
	case '"':
		_, escaped, _ := scanString(b, i)
		return jsonValue{kind: '"', raw: b[i+1 : end-1], escaped: escaped}
	case '{', '[':
		return jsonValue{kind: c, raw: b[i:end]}
	case 'n':
		return jsonValue{kind: 'n', raw: b[i:end]}
	}
	return jsonValue{kind: '0', raw: b[i:end]}
}

// firstElement returns the first element of the array b, if it is a string.
func firstElement(b []byte) jsonValue {
	i := skipSpace(b, 1)
	if i >= len(b) || b[i] != '"' {
		return jsonValue{}
	}
	end, _, ok := scanString(b, i)
	if !ok {
		return jsonValue{}
	}
	return valueAt(b, i, end)
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// scanString returns the index after the string starting at b[i] == '"'.
func scanString(b []byte, i int) (end int, escaped, ok bool) {
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			escaped = true
			j++
		case '"':
			return j + 1, escaped, true
		}
	}
	return 0, false, false
}

// skipValue returns the index after the value starting at b[i].
func skipValue(b []byte, i int) (int, bool) {
	if i >= len(b) {
		return 0, false
	}
	switch b[i] {
	case '"':
		end, _, ok := scanString(b, i)
		return end, ok
	case '{', '[':
		depth := 0
		for j := i; j < len(b); j++ {
			switch b[j] {
			case '"':
				end, _, ok := scanString(b, j)
				if !ok {
					return 0, false
				}
				j = end - 1
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return j + 1, true
				}
			}
		}
		return 0, false
	}
	j := i
	for j < len(b) && b[j] != ',' && b[j] != '}' && b[j] != ']' && b[j] != ' ' && b[j] != '\t' {
		j++
	}
	return j, j > i
}

// appendUnquoted appends the JSON string content s, its escapes decoded.
func appendUnquoted(dst, s []byte) ([]byte, bool) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' {
			dst = append(dst, c)
			continue
		}
		if i++; i >= len(s) {
			return dst, false
		}
		switch s[i] {
		case '"', '\\', '/':
			dst = append(dst, s[i])
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		case 'u':
			r, ok := hex4(s[i+1:])
			if !ok {
				return dst, false
			}
			i += 4
			if utf16.IsSurrogate(r) {
				r2, ok := rune(0), false
				if i+2 < len(s) && s[i+1] == '\\' && s[i+2] == 'u' {
					r2, ok = hex4(s[i+3:])
				}
				if r = utf16.DecodeRune(r, r2); ok && r != utf8.RuneError {
					i += 6
				}
			}
			dst = utf8.AppendRune(dst, r)
		default:
			return dst, false
		}
	}
	return dst, true
}

func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range b[:4] {
		d, ok := unhex(c)
		if !ok {
			return 0, false
		}
		r = r<<4 | rune(d)
	}
	return r, true
}
