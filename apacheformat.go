package logstats

import (
	"fmt"
	"strings"
)

// The formats of Apache's own configuration (httpd.conf's LogFormat lines),
// by their nicknames.
const (
	apacheCombinedLog = `%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-Agent}i"`
	apacheCommonLog   = `%h %l %u %t "%r" %>s %b`
)

// apachePredefined returns the format string of a format Apache's
// configuration defines, by its nickname.
func apachePredefined(name string) (string, bool) {
	switch name {
	case "combined":
		return apacheCombinedLog, true
	case "common":
		return apacheCommonLog, true
	}
	return "", false
}

// apacheLetters are the directive letters of mod_log_config, mod_logio
// (I, O, S and ^FB) and mod_ssl (c and x); ^ti and ^to are two-letter too.
const apacheLetters = "aAbBCDefhHiklLmnopPqrRstTuUvVXIOScx"

// compileApache compiles an Apache LogFormat string (mod_log_config). The
// directives logstats reads are %t, %r, %m, %U, %q, %>s, %s, %D, %T, %{ms}T,
// %{us}T and %{s}T; %u and %{NAME}i are fields a customer selector may
// choose; every other directive is a field it skips. The string may be
// pasted as httpd.conf has it (see unquoteApache), or be the nickname of a
// format Apache's configuration defines (combined, common).
func compileApache(spec string) (*template, error) {
	text, err := unquoteApache(spec)
	if err != nil {
		return nil, err
	}
	s := text.s
	var b templateBuilder
	for i := 0; i < len(s); {
		switch {
		case s[i] == '\\' && i+1 < len(s) && (s[i+1] == 't' || s[i+1] == 'n'):
			// mod_log_config's own escapes of literal text.
			if s[i+1] == 't' {
				b.literal("\t")
			} else {
				b.literal("\n")
			}
			i += 2
			continue
		case s[i] != '%':
			j := i + 1
			for j < len(s) && s[j] != '%' && s[j] != '\\' {
				j++
			}
			b.literal(s[i:j])
			i = j
			continue
		}
		start := i
		i++
		// Modifiers, in any order: conditions such as !200,304, the < or >
		// of %>s, and the {argument}.
		var arg string
		for i < len(s) {
			if s[i] == '{' {
				end := strings.IndexByte(s[i:], '}')
				if end < 0 {
					return nil, fmt.Errorf("%q at %s has no closing }", excerpt(s, start), text.where(start))
				}
				arg, i = s[i+1:i+end], i+end+1
				continue
			}
			if strings.IndexByte("!,0123456789<>", s[i]) < 0 {
				break
			}
			i++
		}
		if i >= len(s) {
			return nil, fmt.Errorf("%q at %s ends the format without a directive letter", s[start:], text.where(start))
		}
		letter := s[i]
		i++
		switch {
		case letter == '%':
			b.literal("%")
			continue
		case letter == '^' && i+2 <= len(s) && (s[i:i+2] == "ti" || s[i:i+2] == "to" || s[i:i+2] == "FB"):
			i += 2
		case strings.IndexByte(apacheLetters, letter) < 0:
			return nil, fmt.Errorf("unknown directive %q at %s (mod_log_config has no %%%c)", s[start:i], text.where(start), letter)
		}
		name := s[start:i]
		b.at = text.where(start)
		if letter == 't' && arg == "" {
			// %t is [10/Oct/2000:13:55:36 -0700], brackets included.
			b.literal("[")
			b.field(fieldTimeCLF, name)
			b.literal("]")
			continue
		}
		kind := apacheDirective(letter, arg)
		switch {
		case kind != fieldSkip:
		case letter == 't':
			b.note("time", fmt.Sprintf("%s at %s writes the time in a format of its own; log %%t", name, b.at))
		case letter == 'T':
			b.note("latency", fmt.Sprintf("%s at %s is not a unit logstats reads; log %%D, %%T, %%{ms}T or %%{us}T", name, b.at))
		}
		b.field(kind, name)
	}
	return b.build()
}

// apacheDirective returns what the directive %{arg}letter means to logstats.
func apacheDirective(letter byte, arg string) fieldKind {
	switch letter {
	case 'r':
		return fieldRequest
	case 'm':
		return fieldMethod
	case 'U':
		return fieldPath
	case 'q':
		return fieldQuery
	case 's':
		return fieldStatus
	case 'D':
		return fieldMicros
	case 'T':
		switch arg {
		case "", "s":
			return fieldSeconds
		case "ms":
			return fieldMillis
		case "us":
			return fieldMicros
		}
	}
	return fieldSkip
}

// unquoteApache turns a LogFormat line as httpd.conf spells it into its
// format string:
//
//	LogFormat "%h %l %u %t \"%r\" %>s %b %D" timed
//
// reading its arguments as Apache does: quoted in " or ' (with \" or \' and
// \\ escapes) or bare, a \ that ends a line joining it with the next; the
// nickname after the format string is not needed. The arguments without
// "LogFormat" (a string that starts with a quote) are read the same. The
// nickname of a format Apache's configuration defines is its format string;
// any other string is the format string itself, where \" is a quote too.
func unquoteApache(s string) (formatText, error) {
	trimmed := strings.TrimSpace(s)
	if predefined, ok := apachePredefined(trimmed); ok {
		return formatText{s: predefined, src: s, named: "Apache's " + trimmed}, nil
	}
	directive := len(trimmed) > len("LogFormat") && strings.EqualFold(trimmed[:len("LogFormat")], "LogFormat") && isConfSpace(trimmed[len("LogFormat")])
	if !directive && (trimmed == "" || trimmed[0] != '"' && trimmed[0] != '\'') {
		// The format string as it is, but for its \" escapes.
		lead := strings.Index(s, trimmed)
		var out []byte
		var at []int
		for i := 0; i < len(trimmed); i++ {
			if trimmed[i] == '\\' && i+1 < len(trimmed) && trimmed[i+1] == '"' {
				i++
			}
			out = append(out, trimmed[i])
			at = append(at, lead+i)
		}
		return formatText{s: string(out), src: s, at: at}, nil
	}
	args, err := apacheConf.split(s)
	if err != nil {
		return formatText{}, err
	}
	if directive {
		args = args[1:]
	}
	where := func(i int) string { return formatText{src: s}.where(i) }
	switch {
	case len(args) == 0:
		return formatText{}, fmt.Errorf("LogFormat needs a format string")
	case len(args) > 2:
		return formatText{}, fmt.Errorf("%q at %s follows the format string and its nickname; paste one LogFormat", excerpt(s, args[2].start), where(args[2].start))
	case args[0].quoted == 0 && len(args) == 2:
		return formatText{}, fmt.Errorf("the format string at %s is not in quotes, so it is the one word %q", where(args[0].start), args[0].text)
	}
	return formatText{s: args[0].text, src: s, at: args[0].at}, nil
}

// apacheConf is httpd.conf's syntax (ap_getword_conf): in quotes, \ and
// the quote escaped with \; a \ that ends a line joins it with the next.
var apacheConf = confSyntax{
	directive:    "LogFormat",
	continuation: true,
	escape: func(quote, c byte) (byte, bool) {
		return c, c == '\\' || quote != 0 && c == quote
	},
}
