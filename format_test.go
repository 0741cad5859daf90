package logstats_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/logstats/logstats"
	"github.com/logstats/logstats/internal/loggen"
	"github.com/logstats/logstats/internal/testdb"
)

// formatCase is one line of a format's table: the entry it must give, or
// the kind of error and a piece of its reason.
type formatCase struct {
	name   string
	line   string
	want   logstats.Entry
	err    error  // a kind, for a malformed line; ErrUnattributed for none found
	reason string // part of the ParseError's reason
}

// formatTable is a format, with the parser settings its lines need, and
// its lines.
type formatTable struct {
	format          string
	customer        string
	customerDefault string
	cases           []formatCase
}

// at is a UTC time with microseconds: "2024-10-10 20:55:36.123".
func at(s string) time.Time {
	t, err := time.Parse("2006-01-02 15:04:05.999999999", s)
	if err != nil {
		panic(err)
	}
	return t
}

func ms(n int64) time.Duration { return time.Duration(n) * time.Millisecond }

// jsonlDuration is a jsonl format whose latency is a Go duration string.
const jsonlDuration = "jsonl:time=ts,customer=user,latency=took:duration"

var formatTables = []formatTable{
	{format: "nginx", cases: []formatCase{
		{name: "Combined", line: `203.0.113.7 - cust_42 [10/Oct/2024:13:55:36 -0700] "GET /v1/orders?page=2 HTTP/1.1" 200 512 "https://example.com/" "curl/8.5.0" 0.123`,
			want: logstats.Entry{Time: at("2024-10-10 20:55:36"), CustomerID: "cust_42", Method: "GET", Path: "/v1/orders", Status: 200, Latency: ms(123)}},
		{name: "PositiveOffset", line: `203.0.113.7 - c [01/Jan/2024:01:00:00 +0200] "POST /a HTTP/2.0" 201 0 "-" "-" 1.000`,
			want: logstats.Entry{Time: at("2023-12-31 23:00:00"), CustomerID: "c", Method: "POST", Path: "/a", Status: 201, Latency: time.Second}},
		{name: "AbsoluteTarget", line: `::1 - c [10/Oct/2024:13:55:36 +0000] "GET http://api.example.com/v2/x?y=1 HTTP/1.1" 404 0 "-" "-" 0.000`,
			want: logstats.Entry{Time: at("2024-10-10 13:55:36"), CustomerID: "c", Method: "GET", Path: "/v2/x", Status: 404}},
		{name: "EscapedQuoteInAgent", line: `10.0.0.1 - c [10/Oct/2024:13:55:36 +0000] "GET /a HTTP/1.1" 500 9 "-" "evil\x22 agent" 12.5`,
			want: logstats.Entry{Time: at("2024-10-10 13:55:36"), CustomerID: "c", Method: "GET", Path: "/a", Status: 500, Latency: ms(12500)}},
		{name: "ErrMethodNotToken", line: `10.0.0.1 - c [10/Oct/2024:13:55:36 +0000] "G\x01T /a HTTP/1.1" 400 0 "-" "-" 0.000`, err: logstats.ErrInvalidMethod, reason: "not an HTTP token"},
		{name: "ExactMicroseconds", line: `10.0.0.1 - c [10/Oct/2024:13:55:36 +0000] "GET /a HTTP/1.1" 200 9 "-" "-" 0.1234567`,
			want: logstats.Entry{Time: at("2024-10-10 13:55:36"), CustomerID: "c", Method: "GET", Path: "/a", Status: 200, Latency: us(123457)}},
		{name: "NoUser", line: `10.0.0.1 - - [10/Oct/2024:13:55:36 +0000] "GET /a HTTP/1.1" 200 9 "-" "-" 0.001`, err: logstats.ErrUnattributed},
		{name: "ErrStatus", line: `10.0.0.1 - c [10/Oct/2024:13:55:36 +0000] "GET /a HTTP/1.1" 999 9 "-" "-" 0.001`, err: logstats.ErrInvalidStatus, reason: `status "999" is not between 100 and 599`},
		{name: "ErrTime", line: `10.0.0.1 - c [10/Oct/2024:25:55:36 +0000] "GET /a HTTP/1.1" 200 9 "-" "-" 0.001`, err: logstats.ErrInvalidTime, reason: `time "10/Oct/2024:25:55:36 +0000"`},
		{name: "ErrMonth", line: `10.0.0.1 - c [10/Okt/2024:13:55:36 +0000] "GET /a HTTP/1.1" 200 9 "-" "-" 0.001`, err: logstats.ErrInvalidTime},
		{name: "ErrNoRequest", line: `10.0.0.1 - c [10/Oct/2024:13:55:36 +0000] "-" 400 0 "-" "-" 0.000`, err: logstats.ErrInvalidPath, reason: `request "-" is not a request line`},
		{name: "NoLatency", line: `10.0.0.1 - c [10/Oct/2024:13:55:36 +0000] "GET /a HTTP/1.1" 200 9 "-" "-" -`,
			want: logstats.Entry{Time: at("2024-10-10 13:55:36"), CustomerID: "c", Method: "GET", Path: "/a", Status: 200, Latency: logstats.NoLatency}},
		{name: "ErrLatency", line: `10.0.0.1 - c [10/Oct/2024:13:55:36 +0000] "GET /a HTTP/1.1" 200 9 "-" "-" 0.x`, err: logstats.ErrInvalidLatency, reason: `latency "0.x" is not a decimal number of seconds`},
		{name: "ErrNoLatencyField", line: `10.0.0.1 - c [10/Oct/2024:13:55:36 +0000] "GET /a HTTP/1.1" 200 9 "-" "-"`, err: logstats.ErrFieldCount, reason: `after the field http_user_agent`},
		{name: "ErrTrailing", line: `10.0.0.1 - c [10/Oct/2024:13:55:36 +0000] "GET /a HTTP/1.1" 200 9 "-" "-" 0.1 extra`, err: logstats.ErrInvalidLatency},
		{name: "ErrCustomer", line: "10.0.0.1 - c\x01 [10/Oct/2024:13:55:36 +0000] \"GET /a HTTP/1.1\" 200 9 \"-\" \"-\" 0.1", err: logstats.ErrInvalidCustomer, reason: "control character"},
	}},
	{format: "nginx", customer: "path:/v1/customers/{}/", cases: []formatCase{
		{name: "PathCustomer", line: `10.0.0.1 - - [10/Oct/2024:13:55:36 +0000] "GET /v1/customers/acme%20co/orders HTTP/1.1" 200 9 "-" "-" 0.002`, err: logstats.ErrInvalidCustomer, reason: "whitespace"},
		{name: "PathCustomerDecoded", line: `10.0.0.1 - - [10/Oct/2024:13:55:36 +0000] "GET /v1/customers/acme%2Dco HTTP/1.1" 200 9 "-" "-" 0.002`,
			want: logstats.Entry{Time: at("2024-10-10 13:55:36"), CustomerID: "acme-co", Method: "GET", Path: "/v1/customers/acme%2Dco", Status: 200, Latency: ms(2)}},
		{name: "PathOther", line: `10.0.0.1 - - [10/Oct/2024:13:55:36 +0000] "GET /v1/health HTTP/1.1" 200 9 "-" "-" 0.002`, err: logstats.ErrUnattributed},
		{name: "ErrBadEscape", line: `10.0.0.1 - - [10/Oct/2024:13:55:36 +0000] "GET /v1/customers/a%zz HTTP/1.1" 200 9 "-" "-" 0.002`, err: logstats.ErrInvalidCustomer, reason: "%-escape"},
	}},
	{format: "nginx", customer: "query:api_key", cases: []formatCase{
		{name: "QueryCustomer", line: `10.0.0.1 - - [10/Oct/2024:13:55:36 +0000] "GET /v1/x?a=1&api_key=k%5F7 HTTP/1.1" 200 9 "-" "-" 0.002`,
			want: logstats.Entry{Time: at("2024-10-10 13:55:36"), CustomerID: "k_7", Method: "GET", Path: "/v1/x", Status: 200, Latency: ms(2)}},
		{name: "QueryAbsent", line: `10.0.0.1 - - [10/Oct/2024:13:55:36 +0000] "GET /v1/x?a=1 HTTP/1.1" 200 9 "-" "-" 0.002`, err: logstats.ErrUnattributed},
	}},
	{format: `nginx:log_format api '$remote_addr [$time_iso8601] "$request" '
	                        '$status $request_time "$http_x_api_key" rt=$upstream_response_time';`, customer: "http_x_api_key", cases: []formatCase{
		{name: "ISO8601", line: `10.0.0.1 [2024-10-10T13:55:36+02:00] "DELETE /v1/a/b HTTP/1.1" 204 0.010 "key_9" rt=0.008`,
			want: logstats.Entry{Time: at("2024-10-10 11:55:36"), CustomerID: "key_9", Method: "DELETE", Path: "/v1/a/b", Status: 204, Latency: ms(10)}},
		{name: "NoHeader", line: `10.0.0.1 [2024-10-10T13:55:36+02:00] "GET /x HTTP/1.1" 200 0.010 "-" rt=-`, err: logstats.ErrUnattributed},
		{name: "ErrZone", line: `10.0.0.1 [2024-10-10T13:55:36] "GET /x HTTP/1.1" 200 0.010 "k" rt=-`, err: logstats.ErrInvalidTime},
	}},
	{format: `nginx:$msec $request_method $uri?$args $status $upstream_response_time $remote_user`, cases: []formatCase{
		{name: "UpstreamSum", line: `1728568536.250 PUT /v1/x?k=1 502 0.010, 0.020 : 0.005 u1`,
			want: logstats.Entry{Time: at("2024-10-10 13:55:36.25"), CustomerID: "u1", Method: "PUT", Path: "/v1/x", Status: 502, Latency: ms(35)}},
		{name: "UpstreamSomeNotReached", line: `1728568536 GET /v1/x? 200 -, 0.004 u1`,
			want: logstats.Entry{Time: at("2024-10-10 13:55:36"), CustomerID: "u1", Method: "GET", Path: "/v1/x", Status: 200, Latency: ms(4)}},
		{name: "UpstreamNone", line: `1728568536 GET /v1/x? 499 - u1`,
			want: logstats.Entry{Time: at("2024-10-10 13:55:36"), CustomerID: "u1", Method: "GET", Path: "/v1/x", Status: 499, Latency: logstats.NoLatency}},
		{name: "ErrMsec", line: `17285685x6 GET /v1/x? 200 0.1 u1`, err: logstats.ErrInvalidTime},
	}},
	{format: `nginx:[$time_local] $request_method $uri$is_args$args $status $request_time $remote_user`, cases: []formatCase{
		{name: "IsArgs", line: `[10/Oct/2024:13:55:36 +0000] GET /v1/x?k=1 200 0.005 u`,
			want: logstats.Entry{Time: at("2024-10-10 13:55:36"), CustomerID: "u", Method: "GET", Path: "/v1/x", Status: 200, Latency: ms(5)}},
		{name: "NoArgs", line: `[10/Oct/2024:13:55:36 +0000] GET /v1/x 200 0.005 u`,
			want: logstats.Entry{Time: at("2024-10-10 13:55:36"), CustomerID: "u", Method: "GET", Path: "/v1/x", Status: 200, Latency: ms(5)}},
	}},
	{format: "logstats", customer: "query:k", cases: []formatCase{
		{name: "QueryOfLogstatsPath", line: `2024-10-10 13:55:36 ignored /v1/x?k=c%2D1 200 0.25`,
			want: logstats.Entry{Time: at("2024-10-10 13:55:36"), CustomerID: "c-1", Path: "/v1/x?k=c%2D1", Status: 200, Latency: ms(250)}},
	}},
	{format: "nginx", customer: "path:/v1/customers/{}", cases: []formatCase{
		{name: "PathSelectorIgnoresQuery", line: `10.0.0.1 - - [10/Oct/2024:13:55:36 +0000] "GET /v1/customers/c42?page=2 HTTP/1.1" 200 9 "-" "-" 0.002`,
			want: logstats.Entry{Time: at("2024-10-10 13:55:36"), CustomerID: "c42", Method: "GET", Path: "/v1/customers/c42", Status: 200, Latency: ms(2)}},
	}},
	{format: "apache", cases: []formatCase{
		{name: "Combined", line: `192.0.2.1 - alice [10/Oct/2024:13:55:36 -0700] "POST /v1/items?x=1 HTTP/1.1" 201 33 "-" "Mozilla/5.0 \"quoted\"" 123456`,
			want: logstats.Entry{Time: at("2024-10-10 20:55:36"), CustomerID: "alice", Method: "POST", Path: "/v1/items", Status: 201, Latency: us(123456)}},
		{name: "NoUser", line: `192.0.2.1 - - [10/Oct/2024:13:55:36 -0700] "GET / HTTP/1.1" 200 33 "-" "-" 5`, err: logstats.ErrUnattributed},
		{name: "ErrSecondsNotMicros", line: `192.0.2.1 - alice [10/Oct/2024:13:55:36 -0700] "GET / HTTP/1.1" 200 33 "-" "-" 0.5`, err: logstats.ErrInvalidLatency, reason: "microseconds"},
		{name: "ErrDay", line: `192.0.2.1 - alice [31/Nov/2024:13:55:36 -0700] "GET / HTTP/1.1" 200 33 "-" "-" 5`, err: logstats.ErrInvalidTime},
	}},
	{format: `apache:"%h %{X-Customer}i %t \"%r\" %>s %{ms}T"`, customer: "%{x-customer}i", cases: []formatCase{
		{name: "HeaderCustomer", line: `192.0.2.1 acme [10/Oct/2024:13:55:36 +0000] "GET /a HTTP/1.1" 200 15`,
			want: logstats.Entry{Time: at("2024-10-10 13:55:36"), CustomerID: "acme", Method: "GET", Path: "/a", Status: 200, Latency: ms(15)}},
	}},
	{format: `apache:%t %u %m %U%q %s %{us}T`, cases: []formatCase{
		{name: "PathAndQuery", line: `[10/Oct/2024:13:55:36 +0000] bob GET /a?api_key=1 200 15`,
			want: logstats.Entry{Time: at("2024-10-10 13:55:36"), CustomerID: "bob", Method: "GET", Path: "/a", Status: 200, Latency: us(15)}},
	}},
	// Formats pasted as their servers' configurations write them.
	{format: "nginx:" + upstreamlog, cases: []formatCase{
		{name: "BareRequest", line: `[10/Oct/2024:13:55:36 +0000] 203.0.113.7 - cust_42 - api.example.com api.example.com to: 10.0.0.12:8080: GET /v1/orders?page=2 HTTP/1.1 200 upstream_response_time 0.118 msec 1728568536.123 request_time 0.120`,
			want: logstats.Entry{Time: at("2024-10-10 13:55:36"), CustomerID: "cust_42", Method: "GET", Path: "/v1/orders", Status: 200, Latency: ms(120)}},
		{name: "TwoUpstreams", line: `[10/Oct/2024:13:55:37 +0000] 203.0.113.7 - cust_42 - api.example.com api.example.com to: 10.0.0.12:8080, 10.0.0.13:8080: POST /v1/orders HTTP/1.1 502 upstream_response_time 0.003, 0.250 msec 1728568537.400 request_time 0.254`,
			want: logstats.Entry{Time: at("2024-10-10 13:55:37"), CustomerID: "cust_42", Method: "POST", Path: "/v1/orders", Status: 502, Latency: ms(254)}},
		{name: "NoProtocol", line: `[10/Oct/2024:13:55:41 +0000] 198.51.100.23 - acme - api.example.com api.example.com to: 10.0.0.12:8080: GET /v1/reports 200 upstream_response_time 0.310 msec 1728568541.312 request_time 0.312`,
			want: logstats.Entry{Time: at("2024-10-10 13:55:41"), CustomerID: "acme", Method: "GET", Path: "/v1/reports", Status: 200, Latency: ms(312)}},
		{name: "NoUser", line: `[10/Oct/2024:13:55:40 +0000] 192.0.2.9 - - - api.example.com api.example.com to: 10.0.0.13:8080: GET /healthz HTTP/1.1 200 upstream_response_time 0.001 msec 1728568540.001 request_time 0.001`, err: logstats.ErrUnattributed},
		{name: "ErrStatus", line: `[10/Oct/2024:13:55:40 +0000] 192.0.2.9 - u - a a to: 10.0.0.13:8080: GET /x HTTP/1.1 2OO upstream_response_time 0.001 msec 1728568540.001 request_time 0.001`, err: logstats.ErrInvalidStatus},
	}},
	// The timed_combined example of several nginx guides, and a line it wrote.
	{format: `nginx:log_format timed_combined '$remote_addr - $remote_user [$time_local] '
    '"$request" $status $body_bytes_sent '
    '"$http_referer" "$http_user_agent" '
    '$request_time $upstream_response_time $pipe';`, customer: "path:/blog/{}/", cases: []formatCase{
		{name: "TimedCombined", line: `66.249.71.173 - - [08/Nov/2010:14:16:18 -0600] "GET /blog/2010/apr/30/installing-geodjango-dependencies-homebrew/ HTTP/1.1" 200 6569 "-" "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)" 0.640 0.640 .`,
			want: logstats.Entry{Time: at("2010-11-08 20:16:18"), CustomerID: "2010", Method: "GET", Path: "/blog/2010/apr/30/installing-geodjango-dependencies-homebrew/", Status: 200, Latency: ms(640)}},
	}},
	{format: `nginx:log_format json escape=json
  '{ "msec": "$msec", '
  '"remote_addr": "$remote_addr", '
  '"request_method": "$request_method", '
  '"request_uri": "$request_uri", '
  '"status": "$status", '
  '"http_user_agent": "$http_user_agent", '
  '"request_time": "$request_time" , '
  '"upstream_response_time": "$upstream_response_time"}';`, customer: "query:api_key", cases: []formatCase{
		{name: "EscapeJSON", line: `{ "msec": "1728568536.250", "remote_addr": "203.0.113.7", "request_method": "GET", "request_uri": "/v1/orders?api_key=k_1", "status": "200", "http_user_agent": "curl/8.5.0 \"x\"", "request_time": "0.012" , "upstream_response_time": "0.011"}`,
			want: logstats.Entry{Time: at("2024-10-10 13:55:36.25"), CustomerID: "k_1", Method: "GET", Path: "/v1/orders", Status: 200, Latency: ms(12)}},
	}},
	{format: `apache:LogFormat "%h %l %u %t \"%r\" %>s %b %D" common_timed`, cases: []formatCase{
		{name: "LogFormatLine", line: `192.0.2.1 - alice [10/Oct/2024:13:55:36 -0700] "GET /v1/items?page=1 HTTP/1.1" 200 2326 1520`,
			want: logstats.Entry{Time: at("2024-10-10 20:55:36"), CustomerID: "alice", Method: "GET", Path: "/v1/items", Status: 200, Latency: us(1520)}},
	}},
	{format: `apache:"%h %u %t %r %>s %{ms}T"`, cases: []formatCase{
		{name: "BareRequest", line: `192.0.2.1 bob [10/Oct/2024:13:55:36 +0200] PATCH /v1/items/9 HTTP/1.1 200 7`,
			want: logstats.Entry{Time: at("2024-10-10 11:55:36"), CustomerID: "bob", Method: "PATCH", Path: "/v1/items/9", Status: 200, Latency: ms(7)}},
	}},
	{format: "envoy", customer: "path:/api/v1/customers/{}/", cases: []formatCase{
		{name: "Default", line: `[2016-04-15T20:17:00.310Z] "POST /api/v1/customers/acme/locations?x=1 HTTP/2" 204 - 154 0 226 100 "10.0.35.28" "nsq2http" "cc21d9b0-cf5c-432b-8c7e-98aeb7988cd2" "locations" "tcp://10.0.2.1:80"`,
			want: logstats.Entry{Time: at("2016-04-15 20:17:00.31"), CustomerID: "acme", Method: "POST", Path: "/api/v1/customers/acme/locations", Status: 204, Latency: ms(226)}},
		{name: "Flags", line: `[2024-10-10T13:55:36.000Z] "GET /api/v1/customers/b2 HTTP/1.1" 503 UF,URX 0 91 5 - "-" "curl/8.5.0" "id-1" "api" "10.1.0.9:8080"`,
			want: logstats.Entry{Time: at("2024-10-10 13:55:36"), CustomerID: "b2", Method: "GET", Path: "/api/v1/customers/b2", Status: 503, Latency: ms(5)}},
		{name: "ErrNoResponse", line: `[2024-10-10T13:55:36.000Z] "GET /api/v1/customers/b2 HTTP/1.1" 0 DC 0 0 5 - "-" "curl/8.5.0" "id-1" "api" "-"`, err: logstats.ErrInvalidStatus},
		{name: "OtherPath", line: `[2024-10-10T13:55:36.000Z] "GET /healthz HTTP/1.1" 200 - 0 2 0 - "-" "kube-probe" "id-2" "api" "-"`, err: logstats.ErrUnattributed},
	}},
	{format: "envoy", customer: "REQ(x-api-key)", cases: []formatCase{
		{name: "ErrNoHeaderInDefault", line: `[2024-10-10T13:55:36.000Z] "GET /a HTTP/1.1" 200 - 0 2 0 - "-" "-" "-" "-" "-"`, err: logstats.ErrInvalidSelector},
	}},
	{format: `envoy:[%START_TIME%] "%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%" %RESPONSE_CODE% %DURATION% "%REQ(X-API-KEY)%"\n`, customer: "REQ(X-Api-Key)", cases: []formatCase{
		{name: "HeaderCustomer", line: `[2024-10-10T13:55:36.123Z] "PUT /v2/x HTTP/1.1" 200 17 "k-1"`,
			want: logstats.Entry{Time: at("2024-10-10 13:55:36.123"), CustomerID: "k-1", Method: "PUT", Path: "/v2/x", Status: 200, Latency: ms(17)}},
	}},
	{format: "alb", customer: "query:api_key", cases: []formatCase{
		{name: "HTTP", line: `http 2018-07-02T22:23:00.186641Z app/my-loadbalancer/50dc6c495c0c9188 192.168.131.39:2817 10.0.0.1:80 0.000 0.001 0.000 200 200 34 366 "GET http://www.example.com:80/v1/customers/c9/x?api_key=k1 HTTP/1.1" "curl/7.46.0" - - arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/my-targets/73e2d6bc24d8a067 "Root=1-58337262-36d228ad5d99923122bbe354" "-" "-" 0 2018-07-02T22:22:48.364000Z "forward" "-" "-" "10.0.0.1:80" "200" "-" "-"`,
			want: logstats.Entry{Time: at("2018-07-02 22:23:00.186641"), CustomerID: "k1", Method: "GET", Path: "/v1/customers/c9/x", Status: 200, Latency: ms(1)}},
		{name: "H2Sum", line: `h2 2018-07-02T22:23:00.186641Z app/my-loadbalancer/50dc6c495c0c9188 10.0.1.252:48160 10.0.0.66:9000 0.000123 0.0025 0.000004 201 201 5 257 "POST https://10.0.2.105:773/v1/o?api_key=k2 HTTP/2.0" "curl/7.46.0" ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/my-targets/73e2d6bc24d8a067 "Root=1-58337327-72bd00b0343d75b906739c42" "-" "-" 1 2018-07-02T22:22:48.364000Z "redirect" "https://example.com:80/" "-" "10.0.0.66:9000" "201" "-" "-"`,
			want: logstats.Entry{Time: at("2018-07-02 22:23:00.186641"), CustomerID: "k2", Method: "POST", Path: "/v1/o", Status: 201, Latency: us(2627)}},
		{name: "NotDispatched", line: `http 2024-10-10T13:55:36.000000Z app/lb/1 1.2.3.4:5 - -1 -1 -1 460 - 34 0 "GET http://a.example.com:80/x?api_key=k3 HTTP/1.1" "curl" - - - "Root=1" "-" "-" 0 2024-10-10T13:55:36.000000Z "-" "-" "-" "-" "-" "-" "-"`,
			want: logstats.Entry{Time: at("2024-10-10 13:55:36"), CustomerID: "k3", Method: "GET", Path: "/x", Status: 460, Latency: logstats.NoLatency}},
		{name: "ErrLatency", line: `http 2024-10-10T13:55:36.000000Z app/lb/1 1.2.3.4:5 - x -1 -1 200 - 34 0 "GET http://a.example.com:80/x?api_key=k3 HTTP/1.1" "curl"`, err: logstats.ErrInvalidLatency},
		{name: "ErrTruncated", line: `http 2024-10-10T13:55:36.000000Z app/lb/1 1.2.3.4:5 - 0.1 0.1 0.1 200 - 34 0 "GET http://a.example.com:80/x?api_key=k3 HTTP/1.1`, err: logstats.ErrFieldCount},
	}},
	{format: "caddy", cases: []formatCase{
		{name: "Access", line: `{"level":"info","ts":1646861401.5241024,"logger":"http.log.access","msg":"handled request","request":{"remote_ip":"127.0.0.1","remote_port":"41342","client_ip":"127.0.0.1","proto":"HTTP/2.0","method":"GET","host":"localhost","uri":"/v1/orders?page=2","headers":{"User-Agent":["curl/7.82.0"],"Accept":["*/*"],"Accept-Encoding":["gzip, deflate, br"]},"tls":{"resumed":false,"version":772,"cipher_suite":4865,"proto":"h2","server_name":"example.com"}},"bytes_read":0,"user_id":"alice","duration":0.000929675,"size":10900,"status":200,"resp_headers":{"Server":["Caddy"],"Content-Type":["text/html; charset=utf-8"]}}`,
			want: logstats.Entry{Time: at("2022-03-09 21:30:01.5241024"), CustomerID: "alice", Method: "GET", Path: "/v1/orders", Status: 200, Latency: us(930)}},
		{name: "NoUser", line: `{"level":"info","ts":1646861401,"request":{"method":"GET","uri":"/"},"user_id":"","duration":0.5,"status":404}`, err: logstats.ErrUnattributed},
		{name: "Escapes", line: `{"ts":1646861401,"request":{"method":"POST","uri":"/caf\u00e9/\"q\""},"user_id":"b\u00f6b","duration":1.5e-05,"status":201}`,
			want: logstats.Entry{Time: at("2022-03-09 21:30:01"), CustomerID: "böb", Method: "POST", Path: `/café/"q"`, Status: 201, Latency: us(15)}},
		{name: "ErrNoStatus", line: `{"ts":1646861401,"request":{"method":"GET","uri":"/"},"user_id":"a","duration":0.5}`, err: logstats.ErrFieldCount, reason: `line has no "status"`},
		{name: "ErrNotJSON", line: `{"ts":1646861401,"request":{"method":"GET","uri":"/"`, err: logstats.ErrFieldCount, reason: "not one whole JSON object"},
		{name: "ErrTime", line: `{"ts":"yesterday","request":{"method":"GET","uri":"/"},"user_id":"a","duration":0.5,"status":200}`, err: logstats.ErrInvalidTime},
	}},
	{format: "caddy", customer: "request.headers.X-Api-Key", cases: []formatCase{
		{name: "HeaderCustomer", line: `{"ts":1646861401.25,"request":{"method":"GET","uri":"/a","headers":{"X-Api-Key":["k9"]}},"duration":0.25,"status":200}`,
			want: logstats.Entry{Time: at("2022-03-09 21:30:01.25"), CustomerID: "k9", Method: "GET", Path: "/a", Status: 200, Latency: ms(250)}},
	}},
	{format: "jsonl", cases: []formatCase{
		{name: "Defaults", line: `{"time":"2024-10-10T13:55:36.5+02:00","customer_id":"c1","method":"GET","path":"/x?y=1","status":200,"latency":0.1234567}`,
			want: logstats.Entry{Time: at("2024-10-10 11:55:36.5"), CustomerID: "c1", Method: "GET", Path: "/x", Status: 200, Latency: us(123457)}},
		{name: "UnixAndStringStatus", line: ` {"time":1728568536,"customer_id":"c1","path":"/x","status":"503","latency":2}`,
			want: logstats.Entry{Time: at("2024-10-10 13:55:36"), CustomerID: "c1", Path: "/x", Status: 503, Latency: 2 * time.Second}},
		{name: "NoCustomer", line: `{"time":1728568536,"path":"/x","status":200,"latency":2}`, err: logstats.ErrUnattributed},
		{name: "NullCustomer", line: `{"time":1728568536,"customer_id":null,"path":"/x","status":200,"latency":2}`, err: logstats.ErrUnattributed},
		{name: "ErrNotObject", line: `[1,2,3]`, err: logstats.ErrFieldCount},
		{name: "ErrCut", line: `{"time":1728568536,"customer_id":"c","path":"/x","status":200,"latency":2,"extra":{"a":1`, err: logstats.ErrFieldCount, reason: "not one whole JSON object"},
		{name: "ErrTrailing", line: `{"time":1728568536,"customer_id":"c","path":"/x","status":200,"latency":2} garbage`, err: logstats.ErrFieldCount, reason: "not one whole JSON object"},
		{name: "ErrPathSpace", line: `{"time":1728568536,"customer_id":"c","path":"/a b","status":200,"latency":2}`, err: logstats.ErrInvalidPath, reason: "whitespace"},
		{name: "ErrLatency", line: `{"time":1728568536,"customer_id":"c","path":"/x","status":200,"latency":"fast"}`, err: logstats.ErrInvalidLatency},
		{name: "DashMethodIsNone", line: `{"time":1728568536,"customer_id":"c","method":"-","path":"/x","status":200,"latency":2}`,
			want: logstats.Entry{Time: at("2024-10-10 13:55:36"), CustomerID: "c", Path: "/x", Status: 200, Latency: 2 * time.Second}},
		{name: "ErrMethodSpace", line: `{"time":1728568536,"customer_id":"c","method":"GE T","path":"/x","status":200,"latency":2}`, err: logstats.ErrInvalidMethod, reason: "not an HTTP token"},
		{name: "ErrMethodLong", line: `{"time":1728568536,"customer_id":"c","method":"` + strings.Repeat("M", 33) + `","path":"/x","status":200,"latency":2}`, err: logstats.ErrInvalidMethod, reason: "more than the limit of 32"},
	}},
	{format: "jsonl:time=@timestamp:ms,customer=user.id,path=http.path,status=http.status,latency=took:us", cases: []formatCase{
		{name: "WholeFloatMicros", line: `{"@timestamp":1728568536250,"user":{"id":"u-7"},"http.path":"/v1/a","http":{"status":204},"took":1500.0}`,
			want: logstats.Entry{Time: at("2024-10-10 13:55:36.25"), CustomerID: "u-7", Path: "/v1/a", Status: 204, Latency: us(1500)}},
		{name: "Fields", line: `{"@timestamp":1728568536250,"user":{"id":"u-7","name":"x"},"http.path":"/v1/a","http":{"status":204},"took":1500}`,
			want: logstats.Entry{Time: at("2024-10-10 13:55:36.25"), CustomerID: "u-7", Path: "/v1/a", Status: 204, Latency: us(1500)}},
		{name: "CustomerNumber", line: `{"@timestamp":1728568536250,"user":{"id":42},"http.path":"/v1/a","http":{"status":204},"took":1}`,
			want: logstats.Entry{Time: at("2024-10-10 13:55:36.25"), CustomerID: "42", Path: "/v1/a", Status: 204, Latency: us(1)}},
	}},
	{format: jsonlDuration, cases: []formatCase{
		{name: "Micro", line: `{"ts":"2024-10-10T13:55:36Z","user":"u1","path":"/a","status":200,"took":"125µs"}`,
			want: logstats.Entry{Time: at("2024-10-10 13:55:36"), CustomerID: "u1", Path: "/a", Status: 200, Latency: us(125)}},
		{name: "MicroASCII", line: `{"ts":"2024-10-10T13:55:36Z","user":"u1","path":"/a","status":200,"took":"125us"}`,
			want: logstats.Entry{Time: at("2024-10-10 13:55:36"), CustomerID: "u1", Path: "/a", Status: 200, Latency: us(125)}},
		{name: "MicroEscaped", line: `{"ts":"2024-10-10T13:55:36Z","user":"u1","path":"/a","status":200,"took":"1.5\u00b5s"}`,
			want: logstats.Entry{Time: at("2024-10-10 13:55:36"), CustomerID: "u1", Path: "/a", Status: 200, Latency: us(2)}},
		{name: "Millis", line: `{"ts":"2024-10-10T13:55:36Z","user":"u1","path":"/a","status":200,"took":"3ms"}`,
			want: logstats.Entry{Time: at("2024-10-10 13:55:36"), CustomerID: "u1", Path: "/a", Status: 200, Latency: ms(3)}},
		{name: "FractionOfMillis", line: `{"ts":"2024-10-10T13:55:36Z","user":"u1","path":"/a","status":200,"took":"3.123456ms"}`,
			want: logstats.Entry{Time: at("2024-10-10 13:55:36"), CustomerID: "u1", Path: "/a", Status: 200, Latency: us(3123)}},
		{name: "Seconds", line: `{"ts":"2024-10-10T13:55:36Z","user":"u1","path":"/a","status":200,"took":"1.2s"}`,
			want: logstats.Entry{Time: at("2024-10-10 13:55:36"), CustomerID: "u1", Path: "/a", Status: 200, Latency: ms(1200)}},
		{name: "MinutesSeconds", line: `{"ts":"2024-10-10T13:55:36Z","user":"u1","path":"/a","status":200,"took":"1m2.5s"}`,
			want: logstats.Entry{Time: at("2024-10-10 13:55:36"), CustomerID: "u1", Path: "/a", Status: 200, Latency: ms(62500)}},
		{name: "Hour", line: `{"ts":"2024-10-10T13:55:36Z","user":"u1","path":"/a","status":200,"took":"1h"}`,
			want: logstats.Entry{Time: at("2024-10-10 13:55:36"), CustomerID: "u1", Path: "/a", Status: 200, Latency: time.Hour}},
		{name: "NanosRoundHalfUp", line: `{"ts":"2024-10-10T13:55:36Z","user":"u1","path":"/a","status":200,"took":"1.0000005s"}`,
			want: logstats.Entry{Time: at("2024-10-10 13:55:36"), CustomerID: "u1", Path: "/a", Status: 200, Latency: us(1000001)}},
		{name: "NanosRoundDown", line: `{"ts":"2024-10-10T13:55:36Z","user":"u1","path":"/a","status":200,"took":"499ns"}`,
			want: logstats.Entry{Time: at("2024-10-10 13:55:36"), CustomerID: "u1", Path: "/a", Status: 200, Latency: 0}},
		{name: "Zero", line: `{"ts":"2024-10-10T13:55:36Z","user":"u1","path":"/a","status":200,"took":"0s"}`,
			want: logstats.Entry{Time: at("2024-10-10 13:55:36"), CustomerID: "u1", Path: "/a", Status: 200, Latency: 0}},
		{name: "Max", line: `{"ts":"2024-10-10T13:55:36Z","user":"u1","path":"/a","status":200,"took":"23h59m60s"}`,
			want: logstats.Entry{Time: at("2024-10-10 13:55:36"), CustomerID: "u1", Path: "/a", Status: 200, Latency: 24 * time.Hour}},
		{name: "ErrOver24h", line: `{"ts":"2024-10-10T13:55:36Z","user":"u1","path":"/a","status":200,"took":"24h0m0.0000005s"}`, err: logstats.ErrInvalidLatency, reason: "more than 24 hours"},
		{name: "ErrHuge", line: `{"ts":"2024-10-10T13:55:36Z","user":"u1","path":"/a","status":200,"took":"99999999999999999999h"}`, err: logstats.ErrInvalidLatency, reason: "more than 24 hours"},
		{name: "ErrSubNanosecond", line: `{"ts":"2024-10-10T13:55:36Z","user":"u1","path":"/a","status":200,"took":"1.5ns"}`, err: logstats.ErrInvalidLatency, reason: "not a whole number of nanoseconds"},
		{name: "ErrNegative", line: `{"ts":"2024-10-10T13:55:36Z","user":"u1","path":"/a","status":200,"took":"-3ms"}`, err: logstats.ErrInvalidLatency, reason: "negative"},
		{name: "ErrNoUnit", line: `{"ts":"2024-10-10T13:55:36Z","user":"u1","path":"/a","status":200,"took":"3"}`, err: logstats.ErrInvalidLatency, reason: "not a Go duration"},
		{name: "ErrUnknownUnit", line: `{"ts":"2024-10-10T13:55:36Z","user":"u1","path":"/a","status":200,"took":"3d"}`, err: logstats.ErrInvalidLatency, reason: "not a Go duration"},
		{name: "ErrNumber", line: `{"ts":"2024-10-10T13:55:36Z","user":"u1","path":"/a","status":200,"took":3}`, err: logstats.ErrInvalidLatency, reason: "not a Go duration string"},
	}},
	{format: "haproxy", customer: "hr", cases: []formatCase{
		{name: "Syslog", line: `Feb  6 12:14:14 localhost haproxy[14389]: 10.0.1.2:33317 [06/Feb/2009:12:14:14.655] http-in static/srv1 10/0/30/69/109 200 2750 - - ---- 1/1/1/1/0 0/0 {1wt.eu} {} "GET /index.html HTTP/1.1"`,
			want: logstats.Entry{Time: at("2009-02-06 12:14:14.655"), CustomerID: "1wt.eu", Method: "GET", Path: "/index.html", Status: 200, Latency: ms(109)}},
		{name: "NoPrefixLogasap", line: `127.0.0.1:39759 [09/Dec/2013:12:59:46.633] loadbalancer default/instance8 0/51536/1/48082/+99627 200 83285 - - ---- 87/87/87/1/0 0/67 {77.24.148.74} "GET / HTTP/1.1"`,
			want: logstats.Entry{Time: at("2013-12-09 12:59:46.633"), CustomerID: "77.24.148.74", Method: "GET", Path: "/", Status: 200, Latency: ms(99627)}},
		{name: "Httpslog", line: `Feb  6 12:14:14 localhost haproxy[14389]: 10.0.1.2:33317 [06/Feb/2009:12:14:14.655] https-in static/srv1 10/0/30/69/109 200 2750 - - ---- 1/1/1/1/0 0/0 {1wt.eu} {} "GET /index.html HTTP/1.1" 0/0/0/0/0 1wt.eu/TLSv1.3/TLS_AES_256_GCM_SHA384`,
			want: logstats.Entry{Time: at("2009-02-06 12:14:14.655"), CustomerID: "1wt.eu", Method: "GET", Path: "/index.html", Status: 200, Latency: ms(109)}},
		{name: "AbsoluteTargetNoMillis", line: `Aug  9 20:26:09 localhost haproxy[2022]: 127.0.0.1:34014 [09/Aug/2004:20:26:09] proxy-out proxy-out/cache1 0/0/0/162/+162 200 +350 - - ---- 0/0/0/0/0 0/0 {fr.adserver.yahoo.co||http://fr.f416.mail.} {|864|private||} "GET http://fr.adserver.yahoo.com/"`,
			want: logstats.Entry{Time: at("2004-08-09 20:26:09"), CustomerID: "fr.adserver.yahoo.co", Method: "GET", Path: "/", Status: 200, Latency: ms(162)}},
		{name: "QueryDropped", line: `Jul 30 09:03:52 home.host haproxy[32450]: 1.2.3.4:38862 [30/Jul/2018:09:03:52.726] incoming~ docs_microservice/docs 0/0/1/0/2 304 168 - - ---- 6/6/0/0/0 0/0 {docs.example.internal||} {|||} "GET http://192.168.0.12:8080/serv/login.php?lang=en&profile=2 HTTP/1.1"`,
			want: logstats.Entry{Time: at("2018-07-30 09:03:52.726"), CustomerID: "docs.example.internal", Method: "GET", Path: "/serv/login.php", Status: 304, Latency: ms(2)}},
		{name: "NoCapture", line: `2015-08-26T02:09:48+02:00 localhost haproxy[14389]: 5.196.2.38:39527 [03/Nov/2015:06:25:25.105] services~ def/api 4599/0/0/428/5027 304 320 - - ---- 1/1/0/1/0 0/0 "GET /component---src-pages-index-js-4b15624544f97cf0bb8f.js HTTP/1.1"`, err: logstats.ErrUnattributed},
		{name: "ErrBadReq", line: `Jul 18 17:05:30 localhost haproxy[8247]: 188.223.50.7:51940 [18/Jul/2011:17:05:24.339] http_proxy_ads http_proxy_ads/<NOSRV> -1/-1/-1/-1/6001 408 212 - - cR-- 100/89/0/0/0 0/0 "<BADREQ>"`, err: logstats.ErrInvalidPath, reason: `request "<BADREQ>" is not a request line`},
		{name: "ErrNoStatus", line: `haproxy[18113]: 127.0.0.1:34548 [15/Oct/2003:15:18:55.798] px-http px-http/<NOSRV> -1/-1/-1/-1/8490 -1 0 - - CR-- 2/2/2/0/0 0/0 ""`, err: logstats.ErrInvalidStatus, reason: `status "-1"`},
		{name: "ErrEmptyRequest", line: `haproxy[18113]: 127.0.0.1:34549 [15/Oct/2003:15:19:06.103] px-http px-http/<NOSRV> -1/-1/-1/-1/50001 408 0 - - cR-- 2/2/2/0/0 0/0 ""`, err: logstats.ErrInvalidPath, reason: "not a request line"},
		{name: "ErrTCPLog", line: `haproxy[18989]: 127.0.0.1:34550 [15/Oct/2003:15:24:28.312] px-tcp px-tcp/srv1 0/0/5007 0 cD 0/0/0/0/0 0/0`, err: logstats.ErrFieldCount, reason: `timers "0/0/5007"`},
		{name: "ErrNotARequest", line: `Dec  3 18:27:14 localhost haproxy[6103]: 127.0.0.1:56059 [03/Dec/2012:17:35:10.380] frt/f1: Connection error during SSL handshake`, err: logstats.ErrFieldCount},
		{name: "NoTotalTime", line: `haproxy[18113]: 127.0.0.1:34548 [15/Oct/2003:15:18:55.798] px-http px-http/<NOSRV> -1/-1/-1/-1/-1 400 0 - - CR-- 2/2/2/0/0 0/0 {k} "GET / HTTP/1.1"`,
			want: logstats.Entry{Time: at("2003-10-15 15:18:55.798"), CustomerID: "k", Method: "GET", Path: "/", Status: 400, Latency: logstats.NoLatency}},
		{name: "ErrCutShort", line: `Jul 31 22:20:22 loadbalancer haproxy[1190]: 203.0.113.54:59968 [31/Jul/2017:22:20:22.447] loadbalancer default/instance8 135/0/1/19/156 200 1015 - - --VR 8/8/0/0/0 0/0 {k} "GET /path/to/request/that/exceeds`, err: logstats.ErrInvalidPath, reason: "cut short"},
		{name: "ErrDate", line: `haproxy[674]: 127.0.0.1:33318 [31/Feb/2003:08:31:57.130] px-http px-http/srv1 6559/0/7/147/6723 200 243 - - ---- 5/3/3/1/0 0/0 {k} "HEAD / HTTP/1.0"`, err: logstats.ErrInvalidTime},
	}},
	{format: "haproxy", customer: "hr:3", cases: []formatCase{
		{name: "ThirdHeader", line: `Aug  9 20:30:46 localhost haproxy[2022]: 127.0.0.1:34028 [09/Aug/2004:20:30:46] proxy-out proxy-out/cache1 0/0/2/126/+128 301 +223 - - ---- 0/0/0/0/0 0/0 {www.sytadin.equipement.gouv.fr||http://trafic.1wt.eu/} {Apache|230|||http://www.sytadin.} "GET http://www.sytadin.equipement.gouv.fr/ HTTP/1.1"`,
			want: logstats.Entry{Time: at("2004-08-09 20:30:46"), CustomerID: "http://trafic.1wt.eu/", Method: "GET", Path: "/", Status: 301, Latency: ms(128)}},
		{name: "EmptyHeader", line: `Aug  9 20:30:46 localhost haproxy[2022]: 127.0.0.1:34020 [09/Aug/2004:20:30:46] proxy-out proxy-out/cache1 0/0/0/182/+182 200 +279 - - ---- 0/0/0/0/0 0/0 {w.ods.org||} {Formilux/0.1.8|3495|||} "GET http://trafic.1wt.eu/ HTTP/1.1"`, err: logstats.ErrUnattributed},
	}},
	{format: "haproxy", customerDefault: "lb", cases: []formatCase{
		{name: "RunsOfSpaces", line: `<30>Jun 27 21:43:42 haproxy[22021]: 8.6.7.10:55480 [27/Jun/2019:21:42:38.916] public_ssl~ be_http/srva 0/0/0/-1/63387    504 194 - - sH-- 15/13/10/0/0 0/0 "PATCH /api/upload/4ddad61736a6 HTTP/1.1"`,
			want: logstats.Entry{Time: at("2019-06-27 21:42:38.916"), CustomerID: "lb", Method: "PATCH", Path: "/api/upload/4ddad61736a6", Status: 504, Latency: ms(63387)}},
		{name: "Connect", line: `Nov  4 08:32:18 debian10 haproxy[3666]: 127.0.0.1:34500 [04/Nov/2020:08:32:18.194] samplefrontend backendnodes/node1 0/0/0/0/0 405 501 - - ---- 1/1/0/1/0 0/0 "CONNECT localhost:8080 HTTP/1.1"`,
			want: logstats.Entry{Time: at("2020-11-04 08:32:18.194"), CustomerID: "lb", Method: "CONNECT", Path: "localhost:8080", Status: 405, Latency: 0}},
	}},
	{format: "haproxy", customer: "http_x_api_key", cases: []formatCase{
		{name: "ErrNotAHeader", line: `x`, err: logstats.ErrInvalidSelector},
	}},
	{format: "traefik", cases: []formatCase{
		{name: "User", line: `10.0.0.1 - Client [10/Nov/2009:23:00:00 +0000] "GET /foo http" 123 132 "referer" "agent" - "foo" "http://10.0.0.2/toto" 123000ms`,
			want: logstats.Entry{Time: at("2009-11-10 23:00:00"), CustomerID: "Client", Method: "GET", Path: "/foo", Status: 123, Latency: ms(123000)}},
		{name: "Offset", line: `10.0.0.1 - Client [10/Nov/2009:14:00:00 -0900] "GET /foo http" 123 132 "referer" "agent" - "foo" "http://10.0.0.2/toto" 123000ms`,
			want: logstats.Entry{Time: at("2009-11-10 23:00:00"), CustomerID: "Client", Method: "GET", Path: "/foo", Status: 123, Latency: ms(123000)}},
		{name: "Docker", line: `192.168.1.10 - alice [10/Oct/2023:13:55:36 +0000] "GET /api/v1/users?page=2 HTTP/1.1" 200 1234 "-" "curl/7.68.0" 42 "api@docker" "http://172.17.0.3:8080" 12ms`,
			want: logstats.Entry{Time: at("2023-10-10 13:55:36"), CustomerID: "alice", Method: "GET", Path: "/api/v1/users", Status: 200, Latency: ms(12)}},
		{name: "RouterWithSpaceDashURL", line: `127.0.0.1 - bob [09/Mar/2018:10:51:32 +0000] "GET / HTTP/1.1" 401 17 "-" "Go-http-client/1.1" 1 "testRouter with space" - 0ms`,
			want: logstats.Entry{Time: at("2018-03-09 10:51:32"), CustomerID: "bob", Method: "GET", Path: "/", Status: 401}},
		{name: "EscapedQuotes", line: `10.0.0.1 - carol [10/Nov/2009:23:00:00 +0000] "POST /v1/x HTTP/1.1" 201 0 "-" "foo \" bar" 1 "a \" router" "http://127.0.0.1:8080" 1ms`,
			want: logstats.Entry{Time: at("2009-11-10 23:00:00"), CustomerID: "carol", Method: "POST", Path: "/v1/x", Status: 201, Latency: ms(1)}},
		{name: "NoUser", line: `111.111.133.18 - - [27/Sep/2018:18:25:09 +0000] "GET / HTTP/1.1" 200 1022 "-" "Scalyr-monitor; https://www.scalyr.com/help/monitors" 1234 "frontend" "http://192.168.10.10:8080" 2ms`, err: logstats.ErrUnattributed},
		{name: "ErrNoResponse", line: `10.0.0.2 - u [08/Jan/2023:12:28:57 +0000] "GET / HTTP/1.0" - - "-" "-" 746 "-" "-" 0ms`, err: logstats.ErrInvalidStatus},
		{name: "ErrNginxLine", line: `10.0.0.1 - c [10/Oct/2024:13:55:36 +0000] "GET /a HTTP/1.1" 200 9 "-" "-" 0.001`, err: logstats.ErrFieldCount, reason: "ms"},
		{name: "ErrFractionalDuration", line: `10.0.0.1 - c [10/Oct/2024:13:55:36 +0000] "GET /a HTTP/1.1" 200 9 "-" "-" 1 "r" "u" 1.5ms`, err: logstats.ErrFieldCount},
		{name: "ErrNoRouter", line: `10.0.0.1 - c [10/Oct/2024:13:55:36 +0000] "GET /a HTTP/1.1" 200 9 "-" "-" 12ms`, err: logstats.ErrFieldCount},
		{name: "ErrTime", line: `10.0.0.1 - c [10/Oct/2024:25:55:36 +0000] "GET /a HTTP/1.1" 200 9 "-" "-" 1 "r" "u" 1ms`, err: logstats.ErrInvalidTime},
	}},
	{format: "traefik", customer: "query:api_key", cases: []formatCase{
		{name: "QueryCustomer", line: `192.168.1.10 - - [10/Oct/2023:13:55:36 +0000] "GET /api/v1/users?api_key=k1 HTTP/1.1" 200 1234 "-" "curl/7.68.0" 42 "api@docker" "http://172.17.0.3:8080" 12ms`,
			want: logstats.Entry{Time: at("2023-10-10 13:55:36"), CustomerID: "k1", Method: "GET", Path: "/api/v1/users", Status: 200, Latency: ms(12)}},
	}},
	{format: "logstats", cases: []formatCase{
		{name: "Logstats", line: `2024-10-10 13:55:36 cust_1 /a?b=1 200 0.25`,
			want: logstats.Entry{Time: at("2024-10-10 13:55:36"), CustomerID: "cust_1", Path: "/a?b=1", Status: 200, Latency: ms(250)}},
		{name: "DashIsACustomer", line: `2024-10-10 13:55:36 - /a 200 0.25`,
			want: logstats.Entry{Time: at("2024-10-10 13:55:36"), CustomerID: "-", Path: "/a", Status: 200, Latency: ms(250)}},
	}},
	// The servers' default logs, without a request time: Apache's
	// documented examples of its combined and common formats, and nginx's
	// combined, which has the same fields.
	{format: "combined", cases: []formatCase{
		{name: "ApacheDocs", line: `127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326 "http://www.example.com/start.html" "Mozilla/4.08 [en] (Win98; I ;Nav)"`,
			want: logstats.Entry{Time: at("2000-10-10 20:55:36"), CustomerID: "frank", Method: "GET", Path: "/apache_pb.gif", Status: 200, Latency: logstats.NoLatency}},
		{name: "Nginx", line: `203.0.113.7 - cust_42 [10/Oct/2024:13:55:36 +0000] "POST /v1/orders?x=1 HTTP/1.1" 503 0 "-" "curl/8.5.0"`,
			want: logstats.Entry{Time: at("2024-10-10 13:55:36"), CustomerID: "cust_42", Method: "POST", Path: "/v1/orders", Status: 503, Latency: logstats.NoLatency}},
		{name: "NoUser", line: `203.0.113.7 - - [10/Oct/2024:13:55:36 +0000] "GET / HTTP/1.1" 200 612 "-" "Mozilla/5.0"`, err: logstats.ErrUnattributed},
		{name: "ErrStatus", line: `203.0.113.7 - c [10/Oct/2024:13:55:36 +0000] "GET / HTTP/1.1" 99 612 "-" "Mozilla/5.0"`, err: logstats.ErrInvalidStatus},
	}},
	{format: "common", cases: []formatCase{
		{name: "ApacheDocs", line: `127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326`,
			want: logstats.Entry{Time: at("2000-10-10 20:55:36"), CustomerID: "frank", Method: "GET", Path: "/apache_pb.gif", Status: 200, Latency: logstats.NoLatency}},
		{name: "NoBytes", line: `192.0.2.1 - api_k1 [06/Dec/2026:10:00:00 +0000] "DELETE /v1/items/7 HTTP/1.1" 204 -`,
			want: logstats.Entry{Time: at("2026-12-06 10:00:00"), CustomerID: "api_k1", Method: "DELETE", Path: "/v1/items/7", Status: 204, Latency: logstats.NoLatency}},
		{name: "ErrTime", line: `192.0.2.1 - c [06/Dec/2026:25:00:00 +0000] "GET /a HTTP/1.1" 200 1`, err: logstats.ErrInvalidTime},
	}},
}

// formatConfig returns the ParseConfig of the table's format and selector.
func formatConfig(t testing.TB, tab formatTable) logstats.ParseConfig {
	t.Helper()
	f, err := logstats.ParseFormat(tab.format)
	if err != nil {
		t.Fatalf("ParseFormat(%q): %v", tab.format, err)
	}
	sel, err := logstats.ParseCustomerSelector(tab.customer)
	if err != nil {
		t.Fatalf("ParseCustomerSelector(%q): %v", tab.customer, err)
	}
	return logstats.ParseConfig{Format: f, Customer: sel, CustomerDefault: tab.customerDefault}
}

// newFormatParser returns a Parser of the table's format and selector.
func newFormatParser(t testing.TB, tab formatTable, r io.Reader) *logstats.Parser {
	t.Helper()
	return mustParser(t, r, formatConfig(t, tab))
}

func checkCase(t *testing.T, tc formatCase, e logstats.Entry, err error, line int) {
	t.Helper()
	if tc.err == nil {
		if err != nil {
			t.Fatalf("%s: %v", tc.line, err)
		}
		if !e.Time.Equal(tc.want.Time) || e.CustomerID != tc.want.CustomerID || e.Method != tc.want.Method || e.Path != tc.want.Path || e.Status != tc.want.Status || e.Latency != tc.want.Latency {
			t.Fatalf("%s:\n got %+v\nwant %+v", tc.line, e, tc.want)
		}
		return
	}
	if !errors.Is(err, tc.err) {
		t.Fatalf("%s: error %v, want %v", tc.line, err, tc.err)
	}
	var perr *logstats.ParseError
	if tc.err != logstats.ErrUnattributed {
		if !errors.As(err, &perr) || perr.Line != line {
			t.Fatalf("%s: error %v, want a *ParseError of line %d", tc.line, err, line)
		}
		if !strings.Contains(perr.Reason, tc.reason) {
			t.Fatalf("%s: reason %q, want it to contain %q", tc.line, perr.Reason, tc.reason)
		}
	}
}

// TestFormats parses every table line alone (Parse), then each table as one
// log (Next, with line numbers), as CRLF and gzip too.
func TestFormats(t *testing.T) {
	for _, tab := range formatTables {
		t.Run(tab.format, func(t *testing.T) {
			if tab.cases[0].err == logstats.ErrInvalidSelector {
				// A selector the format cannot serve: NewParser refuses it.
				if _, err := logstats.NewParser(nil, formatConfig(t, tab)); !errors.Is(err, logstats.ErrInvalidSelector) {
					t.Fatalf("NewParser: %v, want ErrInvalidSelector", err)
				}
				return
			}
			for _, tc := range tab.cases {
				t.Run(tc.name, func(t *testing.T) {
					e, err := newFormatParser(t, tab, nil).Parse([]byte(tc.line))
					checkCase(t, tc, e, err, 0)
				})
			}
			var text strings.Builder
			for _, tc := range tab.cases {
				text.WriteString(tc.line + "\n")
			}
			var gz bytes.Buffer
			zw := gzip.NewWriter(&gz)
			zw.Write([]byte(strings.ReplaceAll(text.String(), "\n", "\r\n")))
			zw.Close()
			for name, input := range map[string][]byte{"plain": []byte(text.String()), "crlf+gzip": gz.Bytes()} {
				t.Run(name, func(t *testing.T) {
					p := newFormatParser(t, tab, bytes.NewReader(input))
					unattributed := int64(0)
					for i, tc := range tab.cases {
						if tc.err == logstats.ErrUnattributed {
							unattributed++
							continue // Next skips it, and counts it
						}
						e, err := p.Next()
						checkCase(t, tc, e, err, i+1)
					}
					if _, err := p.Next(); err != io.EOF {
						t.Fatalf("after the last line: %v, want io.EOF", err)
					}
					if p.Unattributed() != unattributed {
						t.Fatalf("Unattributed()=%d, want %d", p.Unattributed(), unattributed)
					}
				})
			}
		})
	}
}

func TestParseFormat(t *testing.T) {
	for _, s := range []string{"", "auto", "logstats", "nginx", "apache", "nginx:$time_local $request $status $request_time", "apache:%t %r %s %D"} {
		f, err := logstats.ParseFormat(s)
		if err != nil {
			t.Fatalf("ParseFormat(%q): %v", s, err)
		}
		if want := map[string]string{"": "auto"}[s]; want != "" && f.String() != want || want == "" && f.String() != s {
			t.Fatalf("ParseFormat(%q).String()=%q", s, f.String())
		}
	}
	for _, tc := range []struct{ spec, reason string }{
		{"ngnix", "want auto, one of logstats, nginx, apache"},
		{"nginx:$remote_addr $status", "it has no time, nor request path"},
		{"envoy:[%START_TIME(%Y/%m/%d)%] %REQ(:METHOD)% %REQ(:PATH)% %RESPONSE_CODE% %DURATION%", "with a format is not read"},
		{"nginx:$time_local $request$status $request_time", "request and status follow each other at column 21"},
		{"nginx:log_format x '$time_local $request", "unterminated quote ' at column 14"},
		{"nginx:log_format x escape=json '{\"t\":\"$msec\"}'", "it has no request path, nor status"},
		{"apache:%t %r %>s %{", `"%{" at column 11 has no closing }`},
	} {
		_, err := logstats.ParseFormat(tc.spec)
		if !errors.Is(err, logstats.ErrUnknownFormat) || logstats.KindOf(err) != logstats.KindInvalid || !strings.Contains(err.Error(), tc.reason) {
			t.Errorf("ParseFormat(%q): %v, want ErrUnknownFormat saying %q", tc.spec, err, tc.reason)
		}
	}
}

func TestParseCustomerSelector(t *testing.T) {
	for _, s := range []string{"", "remote_user", "$http_x_api_key", "%u", "%{X-Customer}i", "path:/v1/customers/{}/", "path:/*/c/{}", "query:api_key"} {
		sel, err := logstats.ParseCustomerSelector(s)
		if err != nil {
			t.Fatalf("ParseCustomerSelector(%q): %v", s, err)
		}
		if want := strings.TrimPrefix(s, "$"); sel.String() != want {
			t.Fatalf("String()=%q, want %q", sel.String(), want)
		}
	}
	for _, s := range []string{"path:v1/{}", "path:/v1/", "path:/{}/{}", "path:/a{}/", "query:", "query:a&b", "remote user"} {
		if _, err := logstats.ParseCustomerSelector(s); !errors.Is(err, logstats.ErrInvalidSelector) {
			t.Errorf("ParseCustomerSelector(%q): %v, want ErrInvalidSelector", s, err)
		}
	}
	// A field the format does not have is refused when the Parser is made,
	// naming the fields it has.
	_, err := logstats.NewParser(strings.NewReader("x\n"), logstats.ParseConfig{
		Format: must(logstats.ParseFormat("nginx")), Customer: must(logstats.ParseCustomerSelector("http_x_api_key"))})
	if !errors.Is(err, logstats.ErrInvalidSelector) || !strings.Contains(err.Error(), "its fields: remote_addr remote_user time_local") {
		t.Fatalf("NewParser with a missing field: %v", err)
	}
	_, err = logstats.NewParser(strings.NewReader("x\n"), logstats.ParseConfig{
		Format: must(logstats.ParseFormat("logstats")), Customer: must(logstats.ParseCustomerSelector("remote_user"))})
	if !errors.Is(err, logstats.ErrInvalidSelector) {
		t.Fatalf("logstats with a field selector: %v", err)
	}
}

// TestCustomerDefault loads unattributed lines under the default customer.
func TestCustomerDefault(t *testing.T) {
	p := mustParser(t, strings.NewReader(`10.0.0.1 - - [10/Oct/2024:13:55:36 +0000] "GET /a HTTP/1.1" 200 9 "-" "-" 0.001`+"\n"),
		logstats.ParseConfig{CustomerDefault: "anonymous"})
	e, err := p.Next()
	if err != nil || e.CustomerID != "anonymous" || p.Detected().String() != "nginx" {
		t.Fatalf("Next=%+v, %v; detected %v", e, err, p.Detected())
	}
	if _, err := logstats.NewParser(strings.NewReader("x\n"), logstats.ParseConfig{CustomerDefault: "has space"}); !errors.Is(err, logstats.ErrInvalidCustomer) {
		t.Fatalf("an invalid default customer: %v", err)
	}
}

// TestCustomerDefault_EveryFormat: a default customer alone is enough for
// every format, those without a customer field too (envoy, alb, haproxy, a
// pasted format without a user), given or detected: a line whose selector
// finds no customer is the default's, one that has its own keeps it.
func TestCustomerDefault_EveryFormat(t *testing.T) {
	for _, tc := range []struct {
		format, line, want string
	}{
		{"logstats", `2024-10-10 13:55:36 c7 /a 200 0.25`, "c7"},
		{"nginx", `10.0.0.1 - - [10/Oct/2024:13:55:36 +0000] "GET /a HTTP/1.1" 200 9 "-" "-" 0.001`, "acme"},
		{"nginx", `10.0.0.1 - u1 [10/Oct/2024:13:55:36 +0000] "GET /a HTTP/1.1" 200 9 "-" "-" 0.001`, "u1"},
		{"apache", `192.0.2.1 - - [10/Oct/2024:13:55:36 -0700] "GET / HTTP/1.1" 200 33 "-" "-" 5`, "acme"},
		{"traefik", `111.111.133.18 - - [27/Sep/2018:18:25:09 +0000] "GET / HTTP/1.1" 200 1022 "-" "Scalyr-monitor; https://www.scalyr.com/help/monitors" 1234 "frontend" "http://192.168.10.10:8080" 2ms`, "acme"},
		{"envoy", `[2016-04-15T20:17:00.310Z] "POST /api/v1/locations HTTP/2" 204 - 154 0 226 100 "10.0.35.28" "nsq2http" "cc21d9b0-cf5c-432b-8c7e-98aeb7988cd2" "locations" "tcp://10.0.2.1:80"`, "acme"},
		{"alb", `http 2018-07-02T22:23:00.186641Z app/my-loadbalancer/50dc6c495c0c9188 192.168.131.39:2817 10.0.0.1:80 0.000 0.001 0.000 200 200 34 366 "GET http://www.example.com:80/ HTTP/1.1" "curl/7.46.0" - - arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/my-targets/73e2d6bc24d8a067 "Root=1-58337262-36d228ad5d99923122bbe354" "-" "-" 0 2018-07-02T22:22:48.364000Z "forward" "-" "-" "10.0.0.1:80" "200" "-" "-"`, "acme"},
		{"haproxy", `Feb  6 12:14:14 localhost haproxy[14389]: 10.0.1.2:33317 [06/Feb/2009:12:14:14.655] http-in static/srv1 10/0/30/69/109 200 2750 - - ---- 1/1/1/1/0 0/0 {1wt.eu} {} "GET /index.html HTTP/1.1"`, "acme"},
		{"caddy", `{"level":"info","ts":1646861401,"request":{"method":"GET","uri":"/"},"user_id":"","duration":0.5,"status":404}`, "acme"},
		{"jsonl", `{"time":1728568536,"path":"/x","status":200,"latency":2}`, "acme"},
		{`nginx:[$time_local] "$request" $status $request_time`, `[10/Oct/2024:13:55:36 +0000] "GET /a HTTP/1.1" 200 0.005`, "acme"},
		{`apache:%t "%r" %>s %D`, `[10/Oct/2024:13:55:36 +0000] "GET /a HTTP/1.1" 200 5`, "acme"},
		{`envoy:[%START_TIME%] "%REQ(:METHOD)% %REQ(:PATH)% %PROTOCOL%" %RESPONSE_CODE% %DURATION%`, `[2024-10-10T13:55:36.123Z] "PUT /v2/x HTTP/1.1" 200 17`, "acme"},
	} {
		for _, format := range []string{tc.format, "auto"} {
			if format == "auto" && strings.Contains(tc.format, ":") {
				continue // a format string is never detected
			}
			t.Run(tc.format+"/"+format, func(t *testing.T) {
				cfg := logstats.ParseConfig{Format: must(logstats.ParseFormat(format)), CustomerDefault: "acme"}
				p, err := logstats.NewParser(strings.NewReader(tc.line+"\n"), cfg)
				if err != nil {
					t.Fatalf("NewParser with only a default customer: %v", err)
				}
				e, err := p.Next()
				if err != nil || e.CustomerID != tc.want {
					t.Fatalf("Next()=%+v, %v; want customer %s", e, err, tc.want)
				}
				if name, _, _ := strings.Cut(tc.format, ":"); p.Detected().String() != tc.format && !strings.HasPrefix(p.Detected().String(), name+":") {
					t.Fatalf("detected %v, want %s", p.Detected(), tc.format)
				}
			})
		}
		// Without the default, a format without a customer field still
		// needs to be told where the customer is.
		if tc.want == "acme" && (tc.format == "envoy" || tc.format == "alb" || tc.format == "haproxy" || strings.Contains(tc.format, ":")) {
			_, err := logstats.NewParser(nil, logstats.ParseConfig{Format: must(logstats.ParseFormat(tc.format))})
			if !errors.Is(err, logstats.ErrInvalidSelector) {
				t.Errorf("%s without a selector nor a default: %v, want ErrInvalidSelector", tc.format, err)
			}
		}
	}
}

// TestHAProxy_Timezone: HAProxy's accept date has no offset, so it is read
// in the ParseConfig's Location.
func TestHAProxy_Timezone(t *testing.T) {
	line := `haproxy[674]: 127.0.0.1:33318 [15/Oct/2003:08:31:57.130] px-http px-http/srv1 6559/0/7/147/6723 200 243 - - ---- 5/3/3/1/0 0/0 "HEAD / HTTP/1.0"`
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Skip(err)
	}
	for _, tc := range []struct {
		loc  *time.Location
		want string
	}{
		{nil, "2003-10-15 08:31:57.13"},
		{paris, "2003-10-15 06:31:57.13"}, // CEST, UTC+2
		{time.FixedZone("UTC-5", -5*3600), "2003-10-15 13:31:57.13"},
	} {
		p := mustParser(t, nil, logstats.ParseConfig{Format: must(logstats.ParseFormat("haproxy")), CustomerDefault: "c", Location: tc.loc})
		e, err := p.Parse([]byte(line))
		if err != nil || !e.Time.Equal(at(tc.want)) || e.Latency != ms(6723) {
			t.Fatalf("in %v: %+v, %v; want time %s UTC, latency 6.723s", tc.loc, e, err, tc.want)
		}
	}
}

// TestFormats_Testdata reads the real lines of testdata/haproxy.log and
// testdata/traefik.log, detecting their format: HAProxy's TCP and error
// lines, and requests without a response, are malformed, the others load.
// TestFormats_EchoDuration reads the line Echo's Logger middleware docs show
// (testdata/echo.log): its "latency" is nanoseconds, its "latency_human" a
// Go duration string, which the duration unit reads exactly (14.743µs, half
// away from zero to whole microseconds: 15µs), with a default customer, as
// the line names none.
func TestFormats_EchoDuration(t *testing.T) {
	f := must(logstats.ParseFormat("jsonl:time=time,path=uri,status=status,latency=latency_human:duration"))
	p := mustParser(t, bytes.NewReader(must(os.ReadFile("testdata/echo.log"))), logstats.ParseConfig{Format: f, CustomerDefault: "my_service"})
	e, err := p.Next()
	if err != nil {
		t.Fatal(err)
	}
	want := logstats.Entry{Time: at("2017-01-12 16:58:07.372015644"), CustomerID: "my_service", Method: "GET", Path: "/", Status: 200, Latency: 15 * time.Microsecond}
	if !reflect.DeepEqual(e, want) {
		t.Fatalf("got %+v, want %+v", e, want)
	}
}

func TestFormats_Testdata(t *testing.T) {
	for _, tc := range []struct {
		file, format     string
		valid, malformed int
	}{
		{"haproxy.log", "haproxy", 17, 6},
		{"traefik.log", "traefik", 8, 2},
	} {
		t.Run(tc.format, func(t *testing.T) {
			data := must(os.ReadFile("testdata/" + tc.file))
			p := mustParser(t, bytes.NewReader(data), logstats.ParseConfig{CustomerDefault: "acme"})
			valid, malformed := 0, 0
			for {
				_, err := p.Next()
				if err == io.EOF {
					break
				}
				var perr *logstats.ParseError
				switch {
				case errors.As(err, &perr):
					malformed++
				case err != nil:
					t.Fatal(err)
				default:
					valid++
				}
			}
			if p.Detected().String() != tc.format || valid != tc.valid || malformed != tc.malformed {
				t.Fatalf("detected %v, %d valid and %d malformed lines; want %s, %d and %d", p.Detected(), valid, malformed, tc.format, tc.valid, tc.malformed)
			}
		})
	}
}

// TestLoad_Formats loads each built-in table as a log, detecting its
// format, and checks what the load reports and what the stats count.
func TestLoad_Formats(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, db *testdb.DB) {
		for _, name := range []string{"nginx", "apache", "jsonl"} {
			t.Run(name, func(t *testing.T) {
				db := db.Fresh(t)
				var text strings.Builder
				var valid, unattributed, malformed int64
				perCustomer := map[string]int64{}
				var wantRaw []string // customer, method and path of each request
				for _, tab := range formatTables {
					if tab.format != name || tab.customer != "" {
						continue
					}
					for _, tc := range tab.cases {
						text.WriteString(tc.line + "\n")
						switch tc.err {
						case nil:
							valid++
							perCustomer[tc.want.CustomerID]++
							wantRaw = append(wantRaw, fmt.Sprintf("%s %q %s", tc.want.CustomerID, tc.want.Method, tc.want.Path))
						case logstats.ErrUnattributed:
							unattributed++
						default:
							malformed++
						}
					}
				}
				res := mustLoad(t, newIngester(db, 3), name+".log", text.String())
				if res.Format != name || res.Inserted != valid || res.Unattributed != unattributed || res.Malformed != malformed {
					t.Fatalf("load result %+v, want format %s, %d inserted, %d unattributed, %d malformed", res, name, valid, unattributed, malformed)
				}
				stats := logstats.NewStatsService(db.DB)
				for customer, n := range perCustomer {
					st, err := stats.FindStats(context.Background(), customer, logstats.StatsFilter{})
					if err != nil || st.Stats.TotalRequests != n {
						t.Fatalf("stats of %s: %+v, %v; want %d requests", customer, st, err, n)
					}
				}
				var gotRaw []string
				for _, r := range exportAll(t, db.DB) {
					gotRaw = append(gotRaw, fmt.Sprintf("%s %q %s", r.CustomerID, r.Method, r.Path))
				}
				slices.Sort(gotRaw)
				slices.Sort(wantRaw)
				if !slices.Equal(gotRaw, wantRaw) {
					t.Fatalf("raw requests (customer, method, path):\n%s\nwant\n%s", strings.Join(gotRaw, "\n"), strings.Join(wantRaw, "\n"))
				}
			})
		}
	})
}

// TestFormats_RoundTrip renders random requests in each format with
// examples/loggen's writer and parses them back, with the format given and
// detected: time, customer, method, path, status and latency come back (the
// latency at the format's resolution: milliseconds for nginx), and no
// latency as none.
func TestFormats_RoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for _, name := range loggen.Formats {
		t.Run(name, func(t *testing.T) {
			for i := range 2000 {
				r := loggen.Request{
					Time:     time.Unix(rng.Int64N(253402300799), 0).UTC(),
					Customer: fmt.Sprintf("c%d_%c", rng.IntN(1000), "αbé"[rng.IntN(2)]),
					Method:   []string{"GET", "POST", "PATCH"}[rng.IntN(3)],
					Path:     "/v" + strconv.Itoa(rng.IntN(3)) + "/" + strings.Repeat("x", rng.IntN(40)),
					Status:   100 + rng.IntN(500),
					Latency:  time.Duration(rng.Int64N(int64(logstats.MaxLatency/time.Microsecond))) * time.Microsecond,
					Addr:     "192.0.2." + strconv.Itoa(rng.IntN(256)),
					Bytes:    rng.IntN(1 << 20),
				}
				switch {
				case name == "combined" || i%7 == 0 && name != "traefik":
					r.Latency = loggen.NoLatency // written as the format writes none
				case name == "nginx" || name == "envoy" || name == "alb" || name == "haproxy" || name == "traefik":
					r.Latency = r.Latency.Truncate(time.Millisecond)
				}
				if name != "logstats" && i%3 == 0 {
					r.Path += "?q=" + strconv.Itoa(i)
				}
				line, err := loggen.Append(nil, name, r)
				if err != nil {
					t.Fatal(err)
				}
				want := logstats.Entry{Time: r.Time, CustomerID: r.Customer, Method: r.Method, Path: strings.Split(r.Path, "?")[0], Status: r.Status, Latency: r.Latency}
				if name == "logstats" {
					want.Method = ""
				}
				for _, spec := range []string{name, "auto"} {
					tab := formatTable{format: spec}
					switch name {
					case "envoy", "alb":
						tab.customer = "query:api_key" // as loggen writes them
					case "haproxy":
						tab.customer = "hr"
					}
					p := newFormatParser(t, tab, nil)
					e, err := p.Parse(line)
					checkCase(t, formatCase{line: string(line), want: want}, e, err, 0)
				}
			}
		})
	}
}

// TestLoad_WrongFormat loads a log in a format it is not in: the load fails
// with a *WrongFormatError naming the formats that fit, and records
// nothing.
func TestLoad_WrongFormat(t *testing.T) {
	nginxLog, err := os.ReadFile("testdata/nginx.log")
	if err != nil {
		t.Fatal(err)
	}
	testdb.ForEach(t, func(t *testing.T, db *testdb.DB) {
		for _, tc := range []struct {
			format, text, want, fits string
		}{
			{"apache", string(nginxLog), "they read as nginx. Nothing was loaded", "nginx"},
			{"logstats", string(nginxLog[:2000]), "they read as nginx. Nothing was loaded", "nginx"},
			{"nginx", "2024-10-01 10:00:00 c /a 200 0.1\n", "they read as logstats. Nothing was loaded", "logstats"},
			{"auto", "garbage\n\nmore garbage\n", "no built-in format reads them either", ""},
		} {
			ing := newIngester(db, 100)
			ing.Format = must(logstats.ParseFormat(tc.format))
			res, err := ing.Load(context.Background(), "x.log", strings.NewReader(tc.text), logstats.LoadOptions{})
			if !errors.Is(err, logstats.ErrWrongFormat) || logstats.KindOf(err) != logstats.KindWrongFormat || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("format %s: %v, want ErrWrongFormat saying %q", tc.format, err, tc.want)
			}
			var wf *logstats.WrongFormatError
			if !errors.As(err, &wf) || wf.Format.String() != tc.format || wf.NeedsCustomer || wf.First == nil ||
				tc.fits == "" && len(wf.Fits) != 0 || tc.fits != "" && (len(wf.Fits) != 1 || wf.Fits[0].String() != tc.fits) {
				t.Fatalf("format %s: %#v, want a WrongFormatError that fits %q", tc.format, wf, tc.fits)
			}
			if res.Inserted != 0 || res.Malformed == 0 || len(res.Errors) == 0 {
				t.Fatalf("-format %s: result %+v, want malformed lines and none inserted", tc.format, res)
			}
		}
		var n int
		if err := db.DB.QueryRow(`SELECT COUNT(*) FROM logstats_sources`).Scan(&n); err != nil || n != 0 {
			t.Fatalf("%d sources recorded (%v), want none", n, err)
		}
	})
}

// TestLoad_ReadingChanged reloads a source with another customer selector,
// format or default customer: refused, since it would count differently;
// the same reading, given or detected, goes on.
func TestLoad_ReadingChanged(t *testing.T) {
	lines := strings.SplitAfter(string(must(os.ReadFile("testdata/nginx.log"))), "\n")
	first, all := strings.Join(lines[:100], ""), strings.Join(lines, "")
	testdb.ForEach(t, func(t *testing.T, db *testdb.DB) {
		mustLoad(t, newIngester(db, 30), "nginx.log", first)
		for _, tc := range []struct {
			format, customer, customerDefault string
		}{
			{"nginx", "path:/api/{}/", ""},
			{"nginx", "", "anonymous"},
			{`nginx:$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" $upstream_response_time`, "", ""},
		} {
			ing := newIngester(db, 30)
			ing.Format, ing.Customer, ing.CustomerDefault = must(logstats.ParseFormat(tc.format)), must(logstats.ParseCustomerSelector(tc.customer)), tc.customerDefault
			_, err := ing.Load(context.Background(), "nginx.log", strings.NewReader(all), logstats.LoadOptions{})
			var rc *logstats.ReadingChangedError
			if !errors.Is(err, logstats.ErrReadingChanged) || logstats.KindOf(err) != logstats.KindConflict ||
				!strings.Contains(err.Error(), "was loaded reading format nginx, customer remote_user") || !errors.As(err, &rc) ||
				rc.Source != "nginx.log" || rc.Format != "nginx" || rc.Customer != "remote_user" || rc.CustomerDefault != "" {
				t.Fatalf("reload as %+v: %v, want a ReadingChangedError naming the recorded reading", tc, err)
			}
		}
		// Other spellings of the same reading load: the built-in's format
		// string pasted (bare, or as nginx.conf has it), the default
		// customer named.
		for i, tc := range []struct{ format, customer string }{
			{"nginx", "remote_user"},
			{`nginx:$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" $request_time`, ""},
			{`nginx:log_format timed '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" $request_time';`, "remote_user"},
			{"nginx:log_format timed escape=default\n  \"$remote_addr - $remote_user [$time_local] \\\"$request\\\" \" # the request\n  '$status $body_bytes_sent \"$http_referer\" \"$http_user_agent\" $request_time';", ""},
		} {
			ing := newIngester(db, 30)
			ing.Format, ing.Customer = must(logstats.ParseFormat(tc.format)), must(logstats.ParseCustomerSelector(tc.customer))
			res, err := ing.Load(context.Background(), "nginx.log", strings.NewReader(all), logstats.LoadOptions{})
			switch {
			case err != nil:
				t.Fatalf("reload as %+v, the same reading: %v", tc, err)
			case i == 0 && (res.SkippedAlreadyLoaded != 100 || res.Inserted+res.Malformed != int64(len(lines)-1-100)):
				t.Fatalf("reload with the same reading: %+v", res)
			case i > 0 && res.Inserted != 0:
				t.Fatalf("reload as %+v after the whole log was loaded: %+v", tc, res)
			}
		}
		// A source recorded before formats existed has no row: it was read
		// in the logstats format.
		sample := string(must(os.ReadFile("testdata/api_requests.log")))
		mustLoad(t, newIngester(db, 500), "api.log", sample)
		if _, err := db.DB.Exec(`DELETE FROM logstats_source_formats WHERE format = 'logstats'`); err != nil {
			t.Fatal(err)
		}
		if res := mustLoad(t, newIngester(db, 500), "api.log", sample); res.SkippedAlreadyLoaded != 2000 || res.Format != "logstats" {
			t.Fatalf("reload of a source without a recorded format: %+v", res)
		}
	})
}

// TestLoad_WrongFormatNamesEnvoy: a log of a format without a customer field
// is named, with what it needs.
func TestLoad_WrongFormatNamesEnvoy(t *testing.T) {
	db := testdb.Open(t, logstats.DialectSQLite)
	line := formatTables[0].cases[0].line
	for _, tab := range formatTables {
		if tab.format == "envoy" {
			line = tab.cases[0].line
			break
		}
	}
	_, err := newIngester(db, 10).Load(context.Background(), "e.log", strings.NewReader(line+"\n"), logstats.LoadOptions{})
	var wf *logstats.WrongFormatError
	if !errors.As(err, &wf) || len(wf.Fits) == 0 || wf.Fits[0].String() != "envoy" || !wf.NeedsCustomer ||
		!strings.Contains(err.Error(), "they read as envoy (envoy has no customer field: say where the customer is)") {
		t.Fatalf("auto load of an Envoy log without a customer selector: %v", err)
	}
}

// TestLoad_SelectorKeepsSource: a selector under which the first line's
// customer is malformed still finds the same source, so the reading check
// refuses it instead of loading the log a second time as a new source.
func TestLoad_SelectorKeepsSource(t *testing.T) {
	text := `10.0.0.1 - a [10/Oct/2024:13:55:36 +0000] "GET /x?k=%zz HTTP/1.1" 200 9 "-" "-" 0.002
10.0.0.1 - b [10/Oct/2024:13:55:37 +0000] "GET /x?k=c2 HTTP/1.1" 200 9 "-" "-" 0.002
`
	testdb.ForEach(t, func(t *testing.T, db *testdb.DB) {
		mustLoad(t, newIngester(db, 10), "a.log", text)
		ing := newIngester(db, 10)
		ing.Customer = must(logstats.ParseCustomerSelector("query:k"))
		if _, err := ing.Load(context.Background(), "a.log", strings.NewReader(text), logstats.LoadOptions{}); !errors.Is(err, logstats.ErrReadingChanged) {
			t.Fatalf("reload with a selector that makes line 1 malformed: %v, want ErrReadingChanged", err)
		}
	})
}

// TestParseSettings builds ParseConfigs from text, and names the setting
// that cannot be used.
func TestParseSettings(t *testing.T) {
	cfg, err := logstats.ParseSettings{Fields: "customer=user", Customer: "query:k", CustomerDefault: "anon"}.Config()
	if err != nil || cfg.Format.String() != "jsonl:customer=user" || cfg.Customer.String() != "query:k" || cfg.CustomerDefault != "anon" {
		t.Fatalf("Config()=%+v, %v", cfg, err)
	}
	for _, tc := range []struct {
		set     logstats.ParseSettings
		setting string
		kind    error
	}{
		{logstats.ParseSettings{Format: "ngnix"}, "Format", logstats.ErrUnknownFormat},
		{logstats.ParseSettings{Format: "nginx", Fields: "time=ts"}, "Fields", logstats.ErrUnknownFormat},
		{logstats.ParseSettings{Fields: "when=ts"}, "Fields", logstats.ErrUnknownFormat},
		{logstats.ParseSettings{Customer: "path:nope"}, "Customer", logstats.ErrInvalidSelector},
		{logstats.ParseSettings{CustomerDefault: "has space"}, "CustomerDefault", logstats.ErrInvalidCustomer},
	} {
		_, err := tc.set.Config()
		var serr *logstats.SettingError
		if !errors.As(err, &serr) || serr.Setting != tc.setting || !errors.Is(err, tc.kind) || logstats.KindOf(err) != logstats.KindInvalid {
			t.Errorf("%+v: %v, want a SettingError of %s wrapping %v", tc.set, err, tc.setting, tc.kind)
		}
	}
}
