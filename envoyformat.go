package logstats

import (
	"fmt"
	"strings"
)

// envoyDefault is Envoy's default access-log format.
const envoyDefault = `[%START_TIME%] "%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%" %RESPONSE_CODE% %RESPONSE_FLAGS% %BYTES_RECEIVED% %BYTES_SENT% %DURATION% %RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)% "%REQ(X-FORWARDED-FOR)%" "%REQ(USER-AGENT)%" "%REQ(X-REQUEST-ID)%" "%REQ(:AUTHORITY)%" "%UPSTREAM_HOST%"`

// compileEnvoy compiles an Envoy access-log format string. logstats reads
// %START_TIME% (its default RFC 3339 form), %REQ(:METHOD)%, the path from
// %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% or %REQ(:PATH)%, %RESPONSE_CODE% and
// %DURATION% (milliseconds); a %REQ(NAME)% can be the customer; other
// commands are fields it skips.
func compileEnvoy(spec string) (*template, error) {
	spec = strings.TrimSuffix(strings.TrimSpace(spec), `\n`)
	var b templateBuilder
	for i := 0; i < len(spec); {
		if spec[i] != '%' {
			i = b.literalUntil(spec, i, '%')
			continue
		}
		end := strings.IndexByte(spec[i+1:], '%')
		if end < 0 {
			return nil, fmt.Errorf("%% at byte %d has no closing %%", i)
		}
		name := spec[i+1 : i+1+end]
		i += end + 2
		if name == "" {
			b.literal("%")
			continue
		}
		if strings.HasPrefix(name, "START_TIME(") {
			return nil, fmt.Errorf("%%START_TIME%% with a format is not read; log %%START_TIME%% (RFC 3339, the default)")
		}
		b.field(envoyCommand(name), name)
	}
	return b.build()
}

// envoyCommand returns what the Envoy command name means to logstats.
func envoyCommand(name string) fieldKind {
	// %REQ(X):N% truncates the value to N bytes: the same field.
	if i := strings.LastIndexByte(name, ':'); i > 0 && strings.HasSuffix(name[:i], ")") {
		name = name[:i]
	}
	switch strings.ToUpper(name) {
	case "START_TIME":
		return fieldTimeISO
	case "REQ(:METHOD)":
		return fieldMethod
	case "REQ(X-ENVOY-ORIGINAL-PATH?:PATH)", "REQ(:PATH)":
		return fieldURI
	case "RESPONSE_CODE":
		return fieldStatus
	case "DURATION":
		return fieldMillis
	}
	return fieldSkip
}
