package logstats_test

import (
	"bufio"
	"bytes"
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/logstats/logstats"
)

// upstreamlog is the log_format of several nginx guides, with its $request
// outside quotes.
const upstreamlog = `log_format upstreamlog '[$time_local] $remote_addr - $remote_user - $server_name $host to: $upstream_addr: $request $status upstream_response_time $upstream_response_time msec $msec request_time $request_time';`

// TestParseFormat_Upstreamlog reads testdata/upstreamlog.log, written in
// the upstreamlog format, with that log_format pasted.
func TestParseFormat_Upstreamlog(t *testing.T) {
	p := mustParser(t, nil, logstats.ParseConfig{Format: must(logstats.ParseFormat("nginx:" + upstreamlog))})
	sc := bufio.NewScanner(bytes.NewReader(must(os.ReadFile("testdata/upstreamlog.log"))))
	valid := 0
	for sc.Scan() {
		e, err := p.Parse(sc.Bytes())
		if errors.Is(err, logstats.ErrUnattributed) {
			continue
		}
		if err != nil || e.Method == "" || !strings.HasPrefix(e.Path, "/") || e.Latency == 0 {
			t.Fatalf("%s: %+v, %v", sc.Text(), e, err)
		}
		valid++
	}
	if valid != 5 {
		t.Fatalf("%d valid lines, want 5", valid)
	}
}

// TestParseFormat_Unreadable: a format string that cannot be read is
// refused with what and where.
func TestParseFormat_Unreadable(t *testing.T) {
	for _, tc := range []struct{ name, spec, reason string }{
		{"NginxUnterminatedQuote", "nginx:log_format main '$remote_addr [$time_local] '\n    '\"$request\" $status $request_time;", "unterminated quote ' at line 2, column 5"},
		{"NginxUnknownEscape", "nginx:log_format x escape=xml '$msec \"$request\" $status $request_time';", "escape=xml at column 14 is not one of nginx's: default, json or none"},
		{"NginxNoName", "nginx:log_format escape=json '$msec';", "log_format needs a name and a format string"},
		{"NginxNoString", "nginx:log_format main;", "log_format needs a name and a format string"},
		{"NginxBracket", "nginx:log_format x '$msec \"$request\" ${status $request_time';", `"${status $request_time" at column 32 has no closing }`},
		{"NginxEmptyBracket", `nginx:$msec "$request" ${} $status $request_time`, "${} at column 18 names no variable"},
		{"NginxTwoDirectives", "nginx:log_format x '$msec \"$request\" $status $request_time';\naccess_log /var/log/nginx/api.log x;", `"access_log /var/log/ngin..." at line 2, column 1 follows the ; that ends the log_format`},
		{"NginxAdjacent", "nginx:log_format x '$msec \"$request\" $status'\n  '$request_time';", "status and request_time follow each other at line 2, column 4"},
		{"ApacheUnknownDirective", `apache:%h %Z %t "%r" %>s %D`, `unknown directive "%Z" at column 4 (mod_log_config has no %Z)`},
		{"ApacheNoLetter", `apache:LogFormat "%h %t \"%r\" %>s %D %{X}" x`, `"%{X}" at column 32 ends the format without a directive letter`},
		{"ApacheUnterminatedQuote", `apache:LogFormat "%h %t \"%r\" %>s %D x`, "unterminated quote \" at column 11"},
		{"ApacheTwoLines", `apache:LogFormat "%h %t \"%r\" %>s %D" x y`, `"y" at column 35 follows the format string and its nickname`},
		{"ApacheUnquotedWord", `apache:LogFormat %h combined`, `the format string at column 11 is not in quotes, so it is the one word "%h"`},
		{"ApacheOwnTime", `apache:%h %{%Y-%m-%d %H:%M:%S}t "%r" %>s %D`, "it has no time (%{%Y-%m-%d %H:%M:%S}t at column 4 writes the time in a format of its own; log %t)"},
		{"ApacheOwnUnit", `apache:%t "%r" %>s %{ns}T`, "it has no latency (%{ns}T at column 13 is not a unit logstats reads"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := logstats.ParseFormat(tc.spec)
			if !errors.Is(err, logstats.ErrUnknownFormat) || logstats.KindOf(err) != logstats.KindInvalid || !strings.Contains(err.Error(), tc.reason) {
				t.Fatalf("ParseFormat(%q): %v, want ErrUnknownFormat saying %q", tc.spec, err, tc.reason)
			}
		})
	}
}

// checkWithoutLatency checks a format without a latency (SPEC §13): it
// reads a line as the plain string does, as a request without a latency.
func checkWithoutLatency(t *testing.T, spec, plain, line string) {
	t.Helper()
	f, err := logstats.ParseFormat(spec)
	if err != nil {
		t.Fatalf("ParseFormat(%q): %v", spec, err)
	}
	got, err1 := mustParser(t, nil, logstats.ParseConfig{Format: f}).Parse([]byte(line))
	want, err2 := mustParser(t, nil, logstats.ParseConfig{Format: must(logstats.ParseFormat(plain))}).Parse([]byte(line))
	if err1 != nil || err2 != nil || !reflect.DeepEqual(got, want) || got.Timed() {
		t.Fatalf("%s read %q as %+v, %v; %s as %+v, %v", spec, line, got, err1, plain, want, err2)
	}
}

// TestParseFormat_WithoutLatency: the servers' own formats, by name or as
// their configurations write them, which carry no latency.
func TestParseFormat_WithoutLatency(t *testing.T) {
	const combinedLine = `203.0.113.7 - cust_42 [10/Oct/2024:13:55:36 -0700] "GET /v1/orders?page=2 HTTP/1.1" 200 512 "https://example.com/" "curl/8.5.0"`
	const commonLine = `203.0.113.7 - cust_42 [10/Oct/2024:13:55:36 -0700] "GET /v1/orders?page=2 HTTP/1.1" 200 512`
	for _, tc := range []struct{ name, spec, plain, line string }{
		{"NginxCombined", "nginx:combined", `nginx:$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent"`, combinedLine},
		{"ApacheCombined", "apache:combined", `apache:%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-Agent}i"`, combinedLine},
		{"ApacheCommon", "apache:common", `apache:%h %l %u %t "%r" %>s %b`, commonLine},
		{"ApacheCommonLine", `apache:LogFormat "%h %l %u %t \"%r\" %>s %b" common`, `apache:%h %l %u %t "%r" %>s %b`, commonLine},
		{"NginxMain", `nginx:log_format  main  '$remote_addr - $remote_user [$time_local] "$request" '
                      '$status $body_bytes_sent "$http_referer" '
                      '"$http_user_agent" "$http_x_forwarded_for"';`,
			`nginx:$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" "$http_x_forwarded_for"`,
			combinedLine + ` "-"`},
	} {
		t.Run(tc.name, func(t *testing.T) { checkWithoutLatency(t, tc.spec, tc.plain, tc.line) })
	}
}

// FuzzFormatString compiles any text as an nginx and an Apache format
// string: it is refused with ErrUnknownFormat, or it is a format that
// names itself, that a Parser can be made of, and that reads a line
// without panicking.
func FuzzFormatString(f *testing.F) {
	for _, tab := range formatTables {
		if family, spec, ok := strings.Cut(tab.format, ":"); ok && (family == "nginx" || family == "apache") {
			f.Add(spec, tab.cases[0].line)
		}
	}
	for _, s := range []string{upstreamlog, "combined", "common", `LogFormat "%h %l %u %t \"%r\" %>s %b \` + "\n" + `\"%{Referer}i\" \"%{User-Agent}i\" %D" combined`,
		"log_format x '$a' # c\n '${b}';", `%400,501{User-agent}i %^ti %{c}a %!200s`, `'unterminated`, `log_format x escape=`} {
		f.Add(s, `[10/Oct/2024:13:55:36 +0000] 203.0.113.7 - u - h h to: a: GET /x HTTP/1.1 200 upstream_response_time 0.1 msec 1.5 request_time 0.1`)
	}
	f.Fuzz(func(t *testing.T, spec, line string) {
		for _, family := range []string{"nginx:", "apache:"} {
			format, err := logstats.ParseFormat(family + spec)
			if err != nil {
				if !errors.Is(err, logstats.ErrUnknownFormat) || logstats.KindOf(err) != logstats.KindInvalid {
					t.Fatalf("ParseFormat(%q): %v is not ErrUnknownFormat", family+spec, err)
				}
				continue
			}
			if again, err := logstats.ParseFormat(format.String()); err != nil || again != format {
				t.Fatalf("ParseFormat(%q).String() = %q reads as %v, %v", family+spec, format.String(), again, err)
			}
			p, err := logstats.NewParser(nil, logstats.ParseConfig{Format: format, Customer: must(logstats.ParseCustomerSelector("query:k"))})
			if err != nil {
				t.Fatalf("NewParser(%q): %v", family+spec, err)
			}
			p.Parse([]byte(line))
		}
	})
}

// TestParser_NoAllocsPasted: a pasted format with a bare request line reads
// a valid line without allocating, as the built-ins do.
func TestParser_NoAllocsPasted(t *testing.T) {
	var lines []string
	for _, line := range strings.Split(strings.TrimSpace(string(must(os.ReadFile("testdata/upstreamlog.log")))), "\n") {
		if !strings.Contains(line, " - - - ") { // unattributed
			lines = append(lines, line)
		}
	}
	checkNoAllocs(t, newFormatParser(t, formatTable{format: "nginx:" + upstreamlog}, repeatLines(lines)))
}
