package logstats

import (
	"fmt"
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
)

// The format strings of the built-ins that are format strings (SPEC §9):
// the combined formats, with the request's latency last.
const (
	nginxCombined  = `$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" $request_time`
	apacheCombined = `%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-Agent}i" %D`
)

// builtinFormats lists the built-in formats in the order auto-detection
// tries them.
var builtinFormats = [...]Format{
	{name: "logstats", kind: kindLogstats},
	{name: "nginx", kind: kindNginx, spec: nginxCombined},
	{name: "apache", kind: kindApache, spec: apacheCombined},
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
//   - "nginx:FORMAT": an nginx log_format string, pasted as it is in nginx.conf;
//   - "apache:FORMAT": an Apache LogFormat string.
//
// A format string must hold a time, a request path, a status and a latency;
// the error of one that does not says which is missing. Errors wrap
// ErrUnknownFormat.
func ParseFormat(s string) (Format, error) {
	if s == "" || s == "auto" {
		return Format{}, nil
	}
	for _, f := range builtinFormats {
		if s == f.name {
			return f, nil
		}
	}
	family, spec, ok := strings.Cut(s, ":")
	var f Format
	switch {
	case ok && family == "nginx":
		f = Format{name: s, kind: kindNginx, spec: spec}
	case ok && family == "apache":
		f = Format{name: s, kind: kindApache, spec: spec}
	default:
		return Format{}, fmt.Errorf("%w %q: want auto, one of %s, nginx:FORMAT or apache:FORMAT", ErrUnknownFormat, s, strings.Join(FormatNames(), ", "))
	}
	if _, err := f.template(); err != nil {
		return Format{}, err
	}
	return f, nil
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
	default:
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("%w %q: %v", ErrUnknownFormat, f.String(), err)
	}
	return t, nil
}

// defaultCustomer is the customer selector of a format when none is given.
func (f Format) defaultCustomer() CustomerSelector {
	switch f.kind {
	case kindNginx:
		return CustomerSelector{kind: selectField, name: "remote_user"}
	case kindApache:
		return CustomerSelector{kind: selectField, name: "%u"}
	}
	return CustomerSelector{}
}

// lineParser returns the lineParser of f, reading the customer as sel says
// (the zero selector: the format's default) and zone-less timestamps in loc.
// f must not be auto.
func (f Format) lineParser(sel CustomerSelector, loc *time.Location) (lineParser, error) {
	if loc == nil {
		loc = time.UTC
	}
	if sel.IsDefault() {
		sel = f.defaultCustomer()
	}
	switch f.kind {
	case kindLogstats:
		if sel.kind == selectField {
			return nil, fmt.Errorf("%w: the logstats format has one customer field, its third; -customer %q needs another format (use path: or query:, or leave -customer out)", ErrInvalidSelector, sel.String())
		}
		return logstatsLine(loc), nil
	case kindNginx, kindApache:
		t, err := f.template()
		if err != nil {
			return nil, err
		}
		if err := t.selectCustomer(sel); err != nil {
			return nil, fmt.Errorf("%w: format %s: %v", ErrInvalidSelector, f.String(), err)
		}
		return t.parse, nil
	}
	return nil, fmt.Errorf("%w: no line parser for format %s", ErrUnknownFormat, f.String())
}
