package logstats

import (
	"fmt"
	"strings"
)

// nginxVariable returns what the nginx variable name means to logstats
// (SPEC §9); any other variable is a field it skips, which a customer
// selector may choose.
func nginxVariable(name string) fieldKind {
	switch name {
	case "time_local":
		return fieldTimeCLF
	case "time_iso8601":
		return fieldTimeISO
	case "msec":
		return fieldTimeUnix
	case "request":
		return fieldRequest
	case "request_method":
		return fieldMethod
	case "request_uri":
		return fieldURI
	case "uri", "document_uri":
		return fieldPath
	case "args", "query_string":
		return fieldQuery
	case "status":
		return fieldStatus
	case "request_time":
		return fieldSeconds
	case "upstream_response_time":
		return fieldSecondsSum
	}
	return fieldSkip
}

// compileNginx compiles an nginx log_format string. It may be pasted as
// nginx.conf has it: the quoted pieces of a log_format directive, with or
// without "log_format NAME" before them and ";" after.
func compileNginx(spec string) (*template, error) {
	spec, err := unquoteNginx(spec)
	if err != nil {
		return nil, err
	}
	var b templateBuilder
	for i := 0; i < len(spec); {
		if spec[i] != '$' {
			i = b.literalUntil(spec, i, '$')
			continue
		}
		var name string
		if i+1 < len(spec) && spec[i+1] == '{' {
			end := strings.IndexByte(spec[i:], '}')
			if end < 0 {
				return nil, fmt.Errorf("${ at byte %d has no }", i)
			}
			name, i = spec[i+2:i+end], i+end+1
		} else {
			j := i + 1
			for j < len(spec) && isVariableByte(spec[j]) {
				j++
			}
			name, i = spec[i+1:j], j
		}
		if name == "" {
			b.literal("$")
			continue
		}
		b.field(nginxVariable(name), name)
	}
	t, err := b.build()
	if err != nil {
		return nil, err
	}
	for i := range t.fields {
		t.fields[i].fraction = t.fields[i].kind == fieldSeconds
	}
	return t, nil
}

func isVariableByte(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// unquoteNginx turns a log_format directive as nginx.conf spells it into
// its format string:
//
//	log_format api '$remote_addr [$time_local] '
//	               '"$request" $status $request_time';
//
// A string that starts with neither log_format nor a quote is the format
// string itself.
func unquoteNginx(s string) (string, error) {
	s = strings.TrimSpace(s)
	if rest, ok := strings.CutPrefix(s, "log_format"); ok && (rest == "" || rest[0] == ' ' || rest[0] == '\t') {
		fields := strings.Fields(rest)
		if len(fields) < 2 {
			return "", fmt.Errorf("log_format needs a name and a format string")
		}
		rest = strings.TrimSpace(rest)
		rest = strings.TrimSpace(rest[len(fields[0]):]) // the name
		if strings.HasPrefix(rest, "escape=") {
			return "", fmt.Errorf("log_format with %s is not read; leave escape= out (the default escaping is read)", strings.Fields(rest)[0])
		}
		s = rest
	}
	s = strings.TrimSuffix(strings.TrimSpace(s), ";")
	if s == "" || (s[0] != '\'' && s[0] != '"') {
		return s, nil
	}
	var out strings.Builder
	for s = strings.TrimSpace(s); s != ""; s = strings.TrimSpace(s) {
		q := s[0]
		if q != '\'' && q != '"' {
			return "", fmt.Errorf("text %q outside the quoted pieces of the format", s)
		}
		end := strings.IndexByte(s[1:], q)
		if end < 0 {
			return "", fmt.Errorf("a quote %c has no end", q)
		}
		out.WriteString(s[1 : 1+end])
		s = s[end+2:]
	}
	return out.String(), nil
}
