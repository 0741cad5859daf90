package logstats

import (
	"strings"
	"testing"
)

// Real configuration lines, from nginx's and Apache's documentation and
// the configurations distributions ship, and the format strings they mean.
var nginxConfLines = []struct{ name, conf, want string }{
	{"Predefined", "combined", `$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent"`},
	{"Plain", `$remote_addr [$time_local] "$request" $status $request_time;`, `$remote_addr [$time_local] "$request" $status $request_time`},
	// nginx.org's ngx_http_log_module example.
	{"Compression", `log_format compression '$remote_addr - $remote_user [$time_local] '
                       '"$request" $status $bytes_sent '
                       '"$http_referer" "$http_user_agent" "$gzip_ratio"';`,
		`$remote_addr - $remote_user [$time_local] "$request" $status $bytes_sent "$http_referer" "$http_user_agent" "$gzip_ratio"`},
	// The main format of the nginx.conf nginx ships.
	{"Main", `    log_format  main  '$remote_addr - $remote_user [$time_local] "$request" '
                      '$status $body_bytes_sent "$http_referer" '
                      '"$http_user_agent" "$http_x_forwarded_for"';`,
		`$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" "$http_x_forwarded_for"`},
	{"Upstreamlog", `log_format upstreamlog '[$time_local] $remote_addr - $remote_user - $server_name $host to: $upstream_addr: $request $status upstream_response_time $upstream_response_time msec $msec request_time $request_time';`,
		`[$time_local] $remote_addr - $remote_user - $server_name $host to: $upstream_addr: $request $status upstream_response_time $upstream_response_time msec $msec request_time $request_time`},
	{"TimedCombined", `log_format timed_combined '$remote_addr - $remote_user [$time_local] '
    '"$request" $status $body_bytes_sent '
    '"$http_referer" "$http_user_agent" '
    '$request_time $upstream_response_time $pipe';`,
		`$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" $request_time $upstream_response_time $pipe`},
	{"EscapeJSON", `log_format json escape=json
  '{ "msec": "$msec", '
  '"request_method": "$request_method", '
  '"request_uri": "$request_uri", '
  '"status": "$status", '
  '"request_time": "$request_time" }';`,
		`{ "msec": "$msec", "request_method": "$request_method", "request_uri": "$request_uri", "status": "$status", "request_time": "$request_time" }`},
	{"DoubleQuotesEscaped", `log_format main "$remote_addr \"$request\" $status\t$request_time";`, "$remote_addr \"$request\" $status\t$request_time"},
	{"Comments", "log_format x '$msec ' # the time\n  # the request:\n  '\"$request\" $status $request_time';", `$msec "$request" $status $request_time`},
	{"PartsOnly", `'$msec ' "$request_method $uri" ' $status $request_time'`, `$msec $request_method $uri $status $request_time`},
	{"Bare", `log_format x $msec " " $status;`, `$msec $status`},
}

var apacheConfLines = []struct{ name, conf, want string }{
	{"Combined", "combined", `%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-Agent}i"`},
	{"Common", " common ", `%h %l %u %t "%r" %>s %b`},
	{"Plain", `%h %l %u %t "%r" %>s %b %D`, `%h %l %u %t "%r" %>s %b %D`},
	{"QuotedEscapes", `"%h %l %u %t \"%r\" %>s %b %D"`, `%h %l %u %t "%r" %>s %b %D`},
	{"EscapesUnquoted", `%h %l %u %t \"%r\" %>s %b %D`, `%h %l %u %t "%r" %>s %b %D`},
	// httpd.conf as Apache ships it.
	{"LogFormatCombined", `LogFormat "%h %l %u %t \"%r\" %>s %b \"%{Referer}i\" \"%{User-Agent}i\"" combined`, `%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-Agent}i"`},
	// openSUSE's mod_log_config.conf: a line continued, a lowercase f.
	{"Continued", "LogFormat \"%h %l %u %t \\\"%r\\\" %>s %b \\\n\\\"%{Referer}i\\\" \\\"%{User-Agent}i\\\"\"\t\t\tcombined", `%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-Agent}i"`},
	{"SSL", `Logformat "%t %h %{SSL_PROTOCOL}x %{SSL_CIPHER}x \"%r\" %b" ssl_common`, `%t %h %{SSL_PROTOCOL}x %{SSL_CIPHER}x "%r" %b`},
	// mod_log_config's documentation.
	{"VHost", `LogFormat "%v %h %l %u %t \"%r\" %>s %b" comonvhost`, `%v %h %l %u %t "%r" %>s %b`},
	{"NoNickname", `LogFormat "%h %t \"%r\" %>s %D"`, `%h %t "%r" %>s %D`},
	{"SingleQuotes", `'%h %t "%r" %>s %D' timed`, `%h %t "%r" %>s %D`},
	{"Backslashes", `"%h \\ %t"`, `%h \ %t`},
}

// TestUnquote reads configuration lines as the servers do.
func TestUnquote(t *testing.T) {
	for _, tc := range nginxConfLines {
		t.Run("nginx/"+tc.name, func(t *testing.T) {
			text, err := unquoteNginx(tc.conf)
			if err != nil || text.s != tc.want {
				t.Fatalf("unquoteNginx(%q) = %q, %v; want %q", tc.conf, text.s, err, tc.want)
			}
		})
	}
	for _, tc := range apacheConfLines {
		t.Run("apache/"+tc.name, func(t *testing.T) {
			text, err := unquoteApache(tc.conf)
			if err != nil || text.s != tc.want {
				t.Fatalf("unquoteApache(%q) = %q, %v; want %q", tc.conf, text.s, err, tc.want)
			}
		})
	}
}

// TestSameReading: a format string as its server's configuration writes it
// is the same reading as the string itself, so a source loaded with one
// loads with the other.
func TestSameReading(t *testing.T) {
	for _, tc := range []struct{ pasted, plain, customer string }{
		{"nginx:" + nginxConfLines[4].conf, "nginx:" + nginxConfLines[4].want, ""},
		{"nginx:" + nginxConfLines[5].conf, "nginx:" + nginxConfLines[5].want, ""},
		{"nginx:" + nginxConfLines[6].conf, "nginx:" + nginxConfLines[6].want, "query:k"},
		{`nginx:log_format timed escape=default "$remote_addr - $remote_user [$time_local] \"$request\" $status $body_bytes_sent \"$http_referer\" \"$http_user_agent\" $request_time";`, "nginx", ""},
		{`apache:"%h %l %u %t \"%r\" %>s %b %D"`, `apache:%h %l %u %t "%r" %>s %b %D`, ""},
		{`apache:%h %l %u %t \"%r\" %>s %b %D`, `apache:%h %l %u %t "%r" %>s %b %D`, ""},
		{`apache:LogFormat "%h %l %u %t \"%r\" %>s %b \"%{Referer}i\" \"%{User-Agent}i\" %D" timed`, "apache", ""},
		{"apache:LogFormat \"%h %l %u %t \\\"%r\\\" %>s %b \\\n\\\"%{Referer}i\\\" \\\"%{User-Agent}i\\\" %D\" timed", "apache", ""},
	} {
		pasted, plain := sourceReading{format: tc.pasted, customer: tc.customer}, sourceReading{format: tc.plain, customer: tc.customer}
		if !pasted.same(plain) {
			_, err1 := pasted.signature()
			_, err2 := plain.signature()
			t.Errorf("%q and %q are not the same reading (%v, %v)", tc.pasted, tc.plain, err1, err2)
		}
	}
	// A bare request line is not the same reading as a quoted one.
	if (sourceReading{format: `nginx:$msec "$request" $status $request_time`}).same(sourceReading{format: `nginx:$msec $request $status $request_time`}) {
		t.Error(`"$request" and a bare $request are the same reading`)
	}
}

// TestWhere says where a byte was in the text as pasted.
func TestWhere(t *testing.T) {
	text, err := unquoteNginx("log_format x '$a '\n   '${b'")
	if err != nil {
		t.Fatal(err)
	}
	i := strings.Index(text.s, "${")
	if got, want := text.where(i), "line 2, column 5"; got != want {
		t.Fatalf("where(%d) = %q, want %q", i, got, want)
	}
}
