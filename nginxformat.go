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

// nginxCombinedLog is nginx's predefined combined format, which an
// access_log without a format writes.
const nginxCombinedLog = `$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent"`

// nginxPredefined returns the format string of a format nginx predefines,
// by its name.
func nginxPredefined(name string) (string, bool) {
	if name == "combined" {
		return nginxCombinedLog, true
	}
	return "", false
}

// compileNginx compiles an nginx log_format string. It may be pasted as
// nginx.conf has it (see unquoteNginx), or be the name of a format nginx
// predefines (combined).
func compileNginx(spec string) (*template, error) {
	text, err := unquoteNginx(spec)
	if err != nil {
		return nil, err
	}
	s := text.s
	var b templateBuilder
	for i := 0; i < len(s); {
		if s[i] != '$' {
			i = b.literalUntil(s, i, '$')
			continue
		}
		start := i
		var name string
		if i+1 < len(s) && s[i+1] == '{' {
			end := strings.IndexByte(s[i:], '}')
			if end < 0 {
				return nil, fmt.Errorf("%q at %s has no closing }", excerpt(s, start), text.where(start))
			}
			name, i = s[i+2:i+end], i+end+1
			if name == "" {
				return nil, fmt.Errorf("${} at %s names no variable", text.where(start))
			}
		} else {
			j := i + 1
			for j < len(s) && isVariableByte(s[j]) {
				j++
			}
			name, i = s[i+1:j], j
		}
		if name == "" {
			b.literal("$")
			continue
		}
		b.at = text.where(start)
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
//	log_format api escape=json '$remote_addr [$time_local] '
//	                           '"$request" $status $request_time';
//
// reading its arguments as nginx does: quoted in ' or " or bare, with \
// escapes, joined; escape= (default, json or none) changes how nginx writes
// values, not where they are, and # starts a comment. The directive's
// arguments without "log_format NAME" (a string that starts with a quote)
// are read the same. The name of a format nginx predefines is its format
// string; any other string is the format string itself.
func unquoteNginx(s string) (formatText, error) {
	trimmed := strings.TrimSpace(s)
	if predefined, ok := nginxPredefined(trimmed); ok {
		return formatText{s: predefined, src: s, named: "nginx's " + trimmed}, nil
	}
	directive := false
	if rest, ok := strings.CutPrefix(trimmed, "log_format"); ok && (rest == "" || isConfSpace(rest[0])) {
		directive = true
	} else if trimmed == "" || (trimmed[0] != '\'' && trimmed[0] != '"') {
		// The format string as it is, but for a ; that ends it.
		lead := strings.Index(s, trimmed)
		trimmed = strings.TrimSuffix(trimmed, ";")
		at := make([]int, len(trimmed))
		for i := range at {
			at[i] = lead + i
		}
		return formatText{s: trimmed, src: s, at: at}, nil
	}
	args, err := nginxConf.split(s)
	if err != nil {
		return formatText{}, err
	}
	if directive {
		if len(args) < 2 || args[1].quoted == 0 && strings.HasPrefix(args[1].text, "escape=") {
			return formatText{}, fmt.Errorf("log_format needs a name and a format string")
		}
		args = args[2:] // log_format NAME
		if len(args) > 0 && args[0].quoted == 0 {
			if value, ok := strings.CutPrefix(args[0].text, "escape="); ok {
				if value != "default" && value != "json" && value != "none" {
					return formatText{}, fmt.Errorf("escape=%s at %s is not one of nginx's: default, json or none", value, formatText{src: s}.where(args[0].start))
				}
				args = args[1:]
			}
		}
		if len(args) == 0 {
			return formatText{}, fmt.Errorf("log_format needs a name and a format string")
		}
	}
	text := formatText{src: s}
	var out strings.Builder
	for _, a := range args {
		out.WriteString(a.text)
		text.at = append(text.at, a.at...)
	}
	text.s = out.String()
	return text, nil
}

// nginxConf is nginx.conf's syntax (ngx_conf_read_token): \", \', \\,
// \t, \r and \n escapes, in quotes or not; # at an argument's start
// comments out the rest of its line; ; ends the directive.
var nginxConf = confSyntax{
	directive: "log_format",
	comments:  true,
	escape: func(_, c byte) (byte, bool) {
		switch c {
		case '"', '\'', '\\':
			return c, true
		case 't':
			return '\t', true
		case 'r':
			return '\r', true
		case 'n':
			return '\n', true
		}
		return 0, false
	},
}
