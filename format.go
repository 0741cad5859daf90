package logstats

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// A Format is a log format: what one line of a log holds, and where. The zero
// Format detects the format from a log's first lines (see [ParseFormat]).
// Formats are values; == tells whether two are the same format.
type Format struct {
	name string     // as ParseFormat accepts it; "" is auto
	kind formatKind // which family parses it
	spec string     // nginx or Apache format string, jsonl field map
}

type formatKind uint8

const (
	kindAuto formatKind = iota
	kindLogstats
	kindNginx  // an nginx log_format string
	kindApache // an Apache LogFormat string
	kindEnvoy  // an Envoy access-log format string
	kindALB    // AWS Application Load Balancer
	kindCaddy  // Caddy's JSON access log
	kindJSONL  // JSON lines, keys named by spec (a fields list, as JSONLines reads it)
	// HAProxy's option httplog line.
	kindHAProxy
	// Traefik's CLF access log.
	kindTraefik
)

// The format strings of the built-ins nginx and apache (SPEC §9): the
// combined formats with the request's latency last. The built-ins combined
// and common (§13) are the servers' own, nginxCombinedLog and
// apacheCommonLog, which carry no latency.
const (
	nginxCombined  = `$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" $request_time`
	apacheCombined = `%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-Agent}i" %D`
)

// maxFormatBytes bounds a format's name, as the ledger records it.
const maxFormatBytes = 4096

// builtinFormats lists the built-in formats in the order auto-detection
// tries them. A line that two read the same way is the first's; traefik,
// combined with a trailing duration, follows the combined formats it
// extends. jsonl, which JSONLines returns, stays last.
var builtinFormats = [...]Format{
	{name: "logstats", kind: kindLogstats},
	{name: "nginx", kind: kindNginx, spec: nginxCombined},
	{name: "apache", kind: kindApache, spec: apacheCombined},
	{name: "combined", kind: kindNginx, spec: nginxCombinedLog},
	{name: "common", kind: kindApache, spec: apacheCommonLog},
	{name: "traefik", kind: kindTraefik},
	{name: "envoy", kind: kindEnvoy, spec: envoyDefault},
	{name: "alb", kind: kindALB},
	{name: "haproxy", kind: kindHAProxy},
	{name: "caddy", kind: kindCaddy},
	{name: "jsonl", kind: kindJSONL},
}

// FormatNames returns the names of the built-in formats, in the order
// auto-detection tries them.
func FormatNames() []string {
	names := make([]string, len(builtinFormats))
	for i, f := range builtinFormats {
		names[i] = f.name
	}
	return names
}

// ParseFormat returns the format that s names:
//
//   - "auto" or "": detect the format from the log's first lines (the zero Format);
//   - a built-in: "logstats" (the format of the original app), "nginx" (nginx's
//     combined format followed by $request_time), "apache" (Apache's combined
//     format followed by %D);
//   - "combined" and "common": the default logs of nginx and Apache
//     (combined) and Apache's common log, without a request time: their
//     requests have no latency (NoLatency);
//   - "nginx:FORMAT": an nginx log_format string, or a whole log_format
//     directive as nginx.conf writes it; "nginx:combined" is nginx's own;
//   - "envoy": Envoy's default access-log format (%DURATION% in milliseconds);
//   - "alb": AWS Application Load Balancer access logs (the latency is the sum
//     of the three processing times that are not -1);
//   - "traefik": Traefik's access log in its default CLF format (combined,
//     then the request count, router, service URL and duration in ms);
//   - "haproxy": HAProxy's option httplog line, with or without its syslog
//     prefix (the accept date read in the ParseConfig's Location; the
//     latency is Ta, the last timer; the customer can be a captured request
//     header: hr, hr:N);
//   - "caddy": Caddy's JSON access log (ts, request.method, request.uri,
//     status, duration in seconds; the customer is user_id);
//   - "jsonl": one JSON object a line, with the keys time, customer_id, path,
//     status, latency (seconds) and method, or those [JSONLines] names;
//   - "jsonl:FIELDS": jsonl with keys named as JSONLines reads them;
//   - "apache:FORMAT": an Apache LogFormat string, with its \" escapes or
//     not, or a whole LogFormat line as httpd.conf writes it;
//     "apache:combined" and "apache:common" are Apache's own;
//   - "envoy:FORMAT": an Envoy access-log format string.
//
// A format string must hold a time, a request path and a status, and may
// hold a latency (without one, its requests have none); the error of one
// that does not says which is missing, and that of one that cannot be read
// says where (a column of the text after "nginx:" or "apache:") and why.
// Errors wrap ErrUnknownFormat.
func ParseFormat(s string) (Format, error) {
	if s == "" || s == "auto" {
		return Format{}, nil
	}
	for _, f := range builtinFormats {
		if s == f.name {
			return f, nil
		}
	}
	if len(s) > maxFormatBytes {
		return Format{}, fmt.Errorf("%w: the format is %d bytes long, more than the limit of %d", ErrUnknownFormat, len(s), maxFormatBytes)
	}
	family, spec, ok := strings.Cut(s, ":")
	var f Format
	switch {
	case ok && family == "nginx":
		f = Format{name: s, kind: kindNginx, spec: spec}
	case ok && family == "apache":
		f = Format{name: s, kind: kindApache, spec: spec}
	case ok && family == "envoy":
		f = Format{name: s, kind: kindEnvoy, spec: spec}
	case ok && family == "jsonl":
		return JSONLines(spec)
	default:
		return Format{}, fmt.Errorf("%w %q: want auto, one of %s, nginx:FORMAT, apache:FORMAT or envoy:FORMAT", ErrUnknownFormat, s, strings.Join(FormatNames(), ", "))
	}
	if _, err := f.template(); err != nil {
		return Format{}, err
	}
	return f, nil
}

// JSONLines returns the jsonl format with its keys named by fields, a
// comma-separated list of NAME=KEY: time=KEY[:s|ms] (an RFC 3339 string, or
// a number of Unix seconds or milliseconds), customer=KEY, path=KEY,
// status=KEY, latency=KEY[:s|ms|us|ns|duration] (default seconds; duration:
// a Go time.Duration string such as "1.2s", read exactly) and method=KEY. A
// key is a dotted path into nested objects (request.headers.X-Api-Key). The
// names not given keep their defaults: time, customer_id, path, status,
// latency, method. Errors wrap ErrUnknownFormat.
func JSONLines(fields string) (Format, error) {
	if _, _, err := parseJSONFields(fields); err != nil {
		return Format{}, fmt.Errorf("%w: jsonl fields %q: %v", ErrUnknownFormat, fields, err)
	}
	if fields == "" {
		return builtinFormats[len(builtinFormats)-1], nil
	}
	return Format{name: "jsonl:" + fields, kind: kindJSONL, spec: fields}, nil
}

// String returns the format's name, as ParseFormat accepts it.
func (f Format) String() string {
	if f.name == "" {
		return "auto"
	}
	return f.name
}

// IsAuto reports whether f is the zero Format, which detects the format.
func (f Format) IsAuto() bool { return f.kind == kindAuto }

// MarshalText returns the format's name.
func (f Format) MarshalText() ([]byte, error) { return []byte(f.String()), nil }

// UnmarshalText sets f to the format that text names, as ParseFormat does.
func (f *Format) UnmarshalText(text []byte) error {
	g, err := ParseFormat(string(text))
	if err != nil {
		return err
	}
	*f = g
	return nil
}

// template compiles a format-string format.
func (f Format) template() (*template, error) {
	var t *template
	var err error
	switch f.kind {
	case kindNginx:
		t, err = compileNginx(f.spec)
	case kindApache:
		t, err = compileApache(f.spec)
	case kindEnvoy:
		t, err = compileEnvoy(f.spec)
	case kindALB:
		t, err = albTemplate()
	case kindTraefik:
		t = traefikTemplate()
	default:
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("%w %q: %v", ErrUnknownFormat, f.String(), err)
	}
	return t, nil
}

// untimed reports whether f has no latency field at all, as combined and
// common: every request it reads has NoLatency.
func (f Format) untimed() bool {
	t, err := f.template()
	if err != nil || t == nil {
		return false // not a format string, or one that cannot be read
	}
	return !slices.ContainsFunc(t.fields, func(tf templateField) bool { return tf.kind.isLatency() })
}

// kindName is the name of f's family: "envoy" for envoy and envoy:FORMAT.
func (f Format) kindName() string {
	name, _, _ := strings.Cut(f.String(), ":")
	return name
}

// defaultCustomer is the customer selector of a format when none is given.
func (f Format) defaultCustomer() CustomerSelector {
	switch f.kind {
	case kindNginx:
		return CustomerSelector{kind: selectField, name: "remote_user"}
	case kindApache:
		return CustomerSelector{kind: selectField, name: "%u"}
	case kindTraefik:
		return CustomerSelector{kind: selectField, name: "remote_user"}
	case kindCaddy:
		return CustomerSelector{kind: selectField, name: "user_id"}
	case kindJSONL:
		_, customer, _ := parseJSONFields(f.spec)
		if customer == "" {
			customer = "customer_id"
		}
		return CustomerSelector{kind: selectField, name: customer}
	}
	return CustomerSelector{}
}

// lineParser returns the lineParser of f, reading the customer as sel says
// (the zero selector: the format's default), the fields that dims select
// (their path: and query: selectors need none) and zone-less timestamps in
// loc. With a default customer (withDefault), a format that has no
// customer field of its own, or not the one its default names, needs no
// selector: every line's customer is then the default. f must not be auto.
func (f Format) lineParser(sel CustomerSelector, dims []Dimension, loc *time.Location, withDefault bool) (lineParser, error) {
	if loc == nil {
		loc = time.UTC
	}
	given := !sel.IsDefault()
	if !given {
		sel = f.defaultCustomer()
	}
	switch f.kind {
	case kindLogstats:
		if sel.kind == selectField {
			return nil, fmt.Errorf("%w: the logstats format has one customer field, its third; the selector %q names a field, which needs another format (select the customer with path: or query:, or by default)", ErrInvalidSelector, sel.String())
		}
		for _, d := range dims {
			if d.Selector.kind == selectField {
				return nil, fmt.Errorf("%w %s: the logstats format has no field %q; select its value with path:PATTERN or query:NAME", ErrInvalidDimension, d.Name, d.Selector.String())
			}
		}
		return logstatsLine(loc), nil
	case kindCaddy, kindJSONL:
		keys := caddyFields
		if f.kind == kindJSONL {
			keys, _, _ = parseJSONFields(f.spec)
		}
		j := &jsonLine{keys: keys}
		if sel.kind == selectField {
			j.customer = sel.name
		}
		for i, d := range dims {
			if d.Selector.kind == selectField {
				j.dims[i] = d.Selector.name
			}
		}
		return j.parse, nil
	case kindHAProxy:
		if !given && !withDefault {
			return nil, fmt.Errorf("%w: the haproxy format has no customer field of its own; say where the customer is with a selector such as hr (a captured request header), path:/v1/customers/{}/ or query:api_key, or give a default customer", ErrInvalidSelector)
		}
		header, err := haproxyCustomer(sel)
		if err != nil {
			return nil, err
		}
		h := &haproxyLine{loc: loc, header: header}
		for i, d := range dims {
			if h.dims[i], err = haproxyHeader(d.Selector); err != nil {
				return nil, fmt.Errorf("%w %s: the haproxy format's field %v", ErrInvalidDimension, d.Name, err)
			}
		}
		return h.parse, nil
	case kindEnvoy, kindALB:
		if sel.IsDefault() && !withDefault {
			return nil, fmt.Errorf("%w: the %s format has no customer field; say where the customer is with a selector such as path:/v1/customers/{}/ or query:api_key, or give a default customer", ErrInvalidSelector, f.kindName())
		}
		fallthrough
	case kindNginx, kindApache, kindTraefik:
		t, err := f.template()
		if err != nil {
			return nil, err
		}
		if err := t.selectCustomer(sel); err != nil && (given || !withDefault) {
			return nil, fmt.Errorf("%w: format %s: %v", ErrInvalidSelector, f.String(), err)
		}
		for i, d := range dims {
			if err := t.selectDimension(i, d); err != nil {
				return nil, fmt.Errorf("%w: format %s: %v", ErrInvalidDimension, f.String(), err)
			}
		}
		if f.kind == kindTraefik {
			return (&traefikLine{combined: t}).parse, nil
		}
		return t.parse, nil
	}
	return nil, fmt.Errorf("%w: no line parser for format %s", ErrUnknownFormat, f.String())
}

// signature describes how f reads a line with the customer selector sel, so
// that two spellings of one reading compare equal: the built-in nginx and
// nginx: with the same log_format pasted, a log_format with its "log_format
// NAME" and ";" or without, the customer's field spelt as the format
// spells it or not. Two readings with the same signature count every line
// the same.
func (f Format) signature(sel CustomerSelector) (string, error) {
	given := !sel.IsDefault()
	if !given {
		sel = f.defaultCustomer()
	}
	var b strings.Builder
	switch f.kind {
	case kindNginx, kindApache, kindEnvoy, kindALB, kindTraefik:
		t, err := f.template()
		if err != nil {
			return "", err
		}
		// A format without its default's field reads no customer: its
		// lines are the default customer's.
		if err := t.selectCustomer(sel); err != nil && given {
			return "", err
		}
		// The family matters too: each unquotes its fields its own way.
		fmt.Fprintf(&b, "%d %q %t", f.kind, t.head, t.trailing)
		for _, tf := range t.fields {
			fmt.Fprintf(&b, " %d/%t/%t/%t/%q", tf.kind, tf.merged, tf.fraction, tf.spaced, tf.lit)
		}
		if sel.kind != selectField {
			b.WriteString(" " + sel.String())
		}
	case kindJSONL:
		keys, _, err := parseJSONFields(f.spec)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(&b, "%d %+v %s", f.kind, keys, sel.String())
	default:
		fmt.Fprintf(&b, "%d %s", f.kind, sel.String())
	}
	return b.String(), nil
}
