package logstats

import (
	"fmt"
	"strings"
)

// compileApache compiles an Apache LogFormat string (mod_log_config). The
// directives logstats reads are %t, %r, %m, %U, %q, %>s, %s, %D, %T, %{ms}T,
// %{us}T and %{s}T; %u and %{NAME}i are fields a customer selector may
// choose; every other directive is a field it skips. The string may be
// pasted with the double quotes of a LogFormat line around it.
func compileApache(spec string) (*template, error) {
	spec = strings.TrimSpace(spec)
	if len(spec) >= 2 && spec[0] == '"' && spec[len(spec)-1] == '"' {
		spec = strings.ReplaceAll(spec[1:len(spec)-1], `\"`, `"`)
	}
	var b templateBuilder
	for i := 0; i < len(spec); {
		if spec[i] != '%' {
			i = b.literalUntil(spec, i, '%')
			continue
		}
		start := i
		i++
		// Modifiers: conditions such as !200,304 and the < or > of %>s.
		for i < len(spec) && strings.IndexByte("!,0123456789<>", spec[i]) >= 0 {
			i++
		}
		var arg string
		if i < len(spec) && spec[i] == '{' {
			end := strings.IndexByte(spec[i:], '}')
			if end < 0 {
				return nil, fmt.Errorf("%%{ at byte %d has no }", start)
			}
			arg, i = spec[i+1:i+end], i+end+1
		}
		if i >= len(spec) {
			return nil, fmt.Errorf("%% at byte %d ends the format", start)
		}
		letter := spec[i]
		i++
		if letter == '%' {
			b.literal("%")
			continue
		}
		name := spec[start:i]
		if letter == 't' && arg == "" {
			// %t is [10/Oct/2000:13:55:36 -0700], brackets included.
			b.literal("[")
			b.field(fieldTimeCLF, name)
			b.literal("]")
			continue
		}
		b.field(apacheDirective(letter, arg), name)
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
