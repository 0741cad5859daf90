package logstats

import (
	"bytes"
)

// traefikLine is the lineParser of Traefik's access log in its default
// format, CLF (pkg/middlewares/accesslog's CommonLogFormatter): combined,
// then the number of requests Traefik has received, the router's name and
// the service's URL, quoted, and the duration in whole milliseconds:
//
//	192.168.1.10 - - [10/Oct/2023:13:55:36 +0000] "GET /api/v1/users HTTP/1.1" 200 1234 "-" "curl/7.68.0" 42 "api@docker" "http://172.17.0.3:8080" 12ms
//
// Some Traefik versions write a missing router or URL as - rather than "-",
// and a router's name may hold spaces: the line is read from its end for
// those, and its combined part with a template, whose customer is the
// remote user.
type traefikLine struct {
	combined *template // the combined part, up to the user agent's closing quote
}

// traefikTemplate is the template of the combined part of a Traefik line.
// It is written out rather than built, since it has no latency: the line's
// duration is read apart.
func traefikTemplate() *template {
	t := &template{}
	for _, f := range []struct {
		kind      fieldKind
		name, lit string
	}{
		{fieldSkip, "remote_addr", " - "},
		{fieldSkip, "remote_user", " ["},
		{fieldTimeCLF, "time_local", `] "`},
		{fieldRequest, "request", `" `},
		{fieldStatus, "status", " "},
		{fieldSkip, "body_bytes_sent", ` "`},
		{fieldSkip, "http_referer", `" "`},
		{fieldSkip, "http_user_agent", `"`},
	} {
		t.fields = append(t.fields, templateField{kind: f.kind, name: f.name, lit: []byte(f.lit), quoted: f.lit[0] == '"'})
	}
	return t
}

func (t *traefikLine) parse(line []byte, f *fields) *ParseError {
	s := bytes.TrimRight(line, " \t")
	// ... 42 "api@docker" "http://172.17.0.3:8080" 12ms
	n := len(s) - 2
	if n < 0 || s[n] != 'm' || s[n+1] != 's' {
		return &ParseError{Reason: "line does not end in a duration such as 12ms, as Traefik's does", Err: ErrFieldCount}
	}
	i := n
	for i > 0 && s[i-1] >= '0' && s[i-1] <= '9' {
		i--
	}
	if i == n || i == 0 || s[i-1] != ' ' {
		return &ParseError{Reason: "line does not end in a duration such as 12ms, as Traefik's does", Err: ErrFieldCount}
	}
	duration := s[i:n]
	rest, ok := cutLastField(s[:i-1]) // the service's URL
	if ok {
		rest, ok = cutLastField(rest) // the router
	}
	if ok {
		rest, ok = cutLastField(rest) // the request count
	}
	if !ok {
		return &ParseError{Reason: `no request count, "router" and "service URL" before the duration, as Traefik's line has`, Err: ErrFieldCount}
	}
	if perr := t.combined.parse(rest, f); perr != nil {
		return perr
	}
	var perr *ParseError
	f.latency, perr = parseLatencyUnit(duration, unitMillis)
	return perr
}

// cutLastField returns b without its last field and the space before it:
// a quoted field (with \" escapes), or text without spaces.
func cutLastField(b []byte) ([]byte, bool) {
	j := len(b) - 1
	if j < 0 {
		return nil, false
	}
	if b[j] == '"' && !escapedAt(b, j) {
		for j--; j >= 0 && (b[j] != '"' || escapedAt(b, j)); j-- {
		}
	} else if j = bytes.LastIndexByte(b, ' ') + 1; j == len(b) {
		return nil, false
	}
	if j < 1 || b[j-1] != ' ' {
		return nil, false
	}
	return b[:j-1], true
}
