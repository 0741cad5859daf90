package logstats_test

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/logstats/logstats"
	"github.com/logstats/logstats/internal/testdb"
)

// TestDimensions: each kind of selector finds its value in each family of
// formats; a selector that finds nothing gives the empty value.
func TestDimensions(t *testing.T) {
	nginxFormat := `nginx:$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent $request_time "$http_x_region"`
	apacheFormat := `apache:%h %l %u %t "%r" %>s %b %D "%{X-Region}i"`
	for _, tc := range []struct {
		name, format string
		dims         []string
		line         string
		want         []string
	}{
		{"NginxHeader", nginxFormat, []string{"region=http_x_region", "tier=query:tier", "api=path:/{}/"},
			`10.0.0.1 - c1 [10/Oct/2024:13:55:36 +0000] "GET /v1/a?tier=gold HTTP/1.1" 200 12 0.123 "eu-west"`, []string{"eu-west", "gold", "v1"}},
		{"NginxDash", nginxFormat, []string{"region=$http_x_region", "tier=query:tier"},
			`10.0.0.1 - c1 [10/Oct/2024:13:55:36 +0000] "GET /v1/a HTTP/1.1" 200 12 0.123 "-"`, []string{"", ""}},
		{"NginxTheCustomersField", nginxFormat, []string{"user=remote_user", "code=status", "addr=remote_addr"},
			`10.0.0.1 - c1 [10/Oct/2024:13:55:36 +0000] "GET /v1/a HTTP/1.1" 503 12 0.123 "eu"`, []string{"c1", "503", "10.0.0.1"}},
		{"NginxPercentDecoded", nginxFormat, []string{"tier=query:tier", "who=path:/v1/users/{}"},
			`10.0.0.1 - c1 [10/Oct/2024:13:55:36 +0000] "GET /v1/users/J%C3%BCrgen?tier=g%6Fld HTTP/1.1" 200 12 0.123 "eu"`, []string{"gold", "Jürgen"}},
		{"ApacheHeaderAnyCase", apacheFormat, []string{"region=%{x-region}i"},
			`10.0.0.1 - c1 [10/Oct/2024:13:55:36 +0000] "GET /a HTTP/1.1" 200 12 1234 "us-east"`, []string{"us-east"}},
		{"JSONKeys", "jsonl", []string{"region=meta.region", "n=n", "flag=ok", "gone=nothere"},
			`{"time":"2024-10-10T13:55:36Z","customer_id":"c1","path":"/a","status":200,"latency":0.1,"meta":{"region":"e\u0075"},"n":5,"ok":true}`, []string{"eu", "5", "true", ""}},
		{"CaddyHeaderList", "caddy", []string{"agent=request.headers.User-Agent"},
			`{"ts":1727961152,"request":{"method":"PUT","uri":"/a","headers":{"User-Agent":["loggen/1.0","x"]}},"user_id":"c1","duration":0.092,"status":200}`, []string{"loggen/1.0"}},
		{"HAProxyCapturedHeader", "haproxy", []string{"host=hr", "none=hr:2"},
			`Feb  6 12:14:14 localhost haproxy[14389]: 10.0.1.2:33317 [06/Feb/2009:12:14:14.655] http-in static/srv1 10/0/30/69/109 200 2750 - - ---- 1/1/1/1/0 0/0 {1wt.eu} {} "GET /index.html HTTP/1.1"`, []string{"1wt.eu", ""}},
		{"LogstatsQuery", "logstats", []string{"tier=query:tier"},
			`2024-10-10 13:55:36 c1 /v1/a?tier=gold 200 0.1`, []string{"gold"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := logstats.ParseFormat(tc.format)
			if err != nil {
				t.Fatal(err)
			}
			cfg := logstats.ParseConfig{Format: f, Dimensions: mustDimensions(t, tc.dims)}
			if tc.format == "haproxy" {
				cfg.CustomerDefault = "c1"
			}
			p, err := logstats.NewParser(nil, cfg)
			if err != nil {
				t.Fatal(err)
			}
			e, err := p.Parse([]byte(tc.line))
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(e.Dimensions, tc.want) {
				t.Fatalf("Dimensions = %q, want %q", e.Dimensions, tc.want)
			}
		})
	}
}

// TestDimensions_NoneKept: without dimensions an entry has none (nil).
func TestDimensions_NoneKept(t *testing.T) {
	e, err := logstats.ParseLine("2024-10-10 13:55:36 c1 /v1/a?tier=gold 200 0.1")
	if err != nil || e.Dimensions != nil {
		t.Fatalf("ParseLine: %+v, %v; want no dimensions", e, err)
	}
}

// TestDimensions_Invalid: what a -dimension, a format and a line's value
// refuse, and what they say.
func TestDimensions_Invalid(t *testing.T) {
	for _, tc := range []struct {
		list []string
		want string
	}{
		{[]string{"region"}, "want NAME=SELECTOR"},
		{[]string{"Region=http_x_region"}, "lowercase identifier"},
		{[]string{"1x=http_x_region"}, "lowercase identifier"},
		{[]string{"status=http_x_region"}, "built-in key"},
		{[]string{"from=query:from"}, "built-in key or a query parameter"},
		{[]string{"region="}, "the selector is empty"},
		{[]string{"region=path:nope"}, "path pattern"},
		{[]string{"region=query:a\x01"}, "control character"},
		{[]string{"a=query:a", "a=query:b"}, "named twice"},
		{[]string{"a=query:a", "b=query:b", "c=query:c", "d=query:d", "e=query:e"}, "more than the limit of 4"},
		{[]string{strings.Repeat("a", 65) + "=query:a"}, "want 1 to 64 bytes"},
	} {
		_, err := logstats.ParseDimensions(tc.list)
		if err == nil || !strings.Contains(err.Error(), tc.want) || logstats.KindOf(err) != logstats.KindInvalid {
			t.Errorf("ParseDimensions(%q) = %v, want a KindInvalid error saying %q", tc.list, err, tc.want)
		}
		if err != nil && !errors.Is(err, logstats.ErrInvalidDimension) && !errors.Is(err, logstats.ErrInvalidSelector) {
			t.Errorf("ParseDimensions(%q) = %v, want ErrInvalidDimension or ErrInvalidSelector", tc.list, err)
		}
	}

	// Selectors a format cannot serve are refused before any line.
	for _, tc := range []struct{ format, dim, want string }{
		{"nginx", "region=http_x_region", "no field http_x_region for dimension region"},
		{"logstats", "region=http_x_region", "the logstats format has no field"},
		{"haproxy", "region=http_x_region", "captured request header"},
	} {
		f, err := logstats.ParseFormat(tc.format)
		if err != nil {
			t.Fatal(err)
		}
		_, err = logstats.NewParser(nil, logstats.ParseConfig{Format: f, CustomerDefault: "c1", Dimensions: mustDimensions(t, []string{tc.dim})})
		if !errors.Is(err, logstats.ErrInvalidDimension) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("NewParser(%s, %s) = %v, want ErrInvalidDimension saying %q", tc.format, tc.dim, err, tc.want)
		}
	}

	// A value that cannot be kept as it is is cleaned, and its request
	// kept: a header must not drop requests from the stats.
	f, err := logstats.ParseFormat("jsonl")
	if err != nil {
		t.Fatal(err)
	}
	p, err := logstats.NewParser(nil, logstats.ParseConfig{Format: f, Dimensions: mustDimensions(t, []string{"region=region", "tier=query:tier"})})
	if err != nil {
		t.Fatal(err)
	}
	line := func(region, path string) string {
		return `{"time":"2024-10-10T13:55:36Z","customer_id":"c1","path":"` + path + `","status":200,"latency":0.1,"region":"` + region + `"}`
	}
	long := strings.Repeat("é", 600) // 1,200 bytes
	for _, tc := range []struct {
		line string
		want []string
	}{
		{line(`e\u0001u`, "/a"), []string{"e\uFFFDu", ""}},
		{line(long, "/a"), []string{strings.Repeat("é", 512), ""}},
		{line("eu", "/a?tier=%zz"), []string{"eu", "%zz"}},
		{line("eu", "/a?tier=caf%E9"), []string{"eu", "caf\uFFFD"}},
		{line("eu", "/a?tier=a%0Ab"), []string{"eu", "a\uFFFDb"}},
	} {
		e, err := p.Parse([]byte(tc.line))
		if err != nil || !slices.Equal(e.Dimensions, tc.want) {
			t.Errorf("Parse(%.80s) = %q, %v; want %q", tc.line, e.Dimensions, err, tc.want)
		}
	}
}

// TestDimensions_Settings: ParseSettings reads dimensions, and a
// SettingError names the setting.
func TestDimensions_Settings(t *testing.T) {
	cfg, err := logstats.ParseSettings{Format: "nginx", Dimensions: []string{"tier=query:tier", "who=remote_user"}}.Config()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, d := range cfg.Dimensions {
		got = append(got, d.String())
	}
	if want := []string{"tier=query:tier", "who=remote_user"}; !slices.Equal(got, want) {
		t.Fatalf("Dimensions = %q, want %q", got, want)
	}
	_, err = logstats.ParseSettings{Dimensions: []string{"Bad=x"}}.Config()
	var serr *logstats.SettingError
	if !errors.As(err, &serr) || serr.Setting != "Dimensions" {
		t.Fatalf("Config with a bad dimension: %v, want a SettingError of Dimensions", err)
	}
}

// TestDimensions_Loads: on every backend and raw mode that keeps
// requests, a load keeps each request's dimensions (the export gives them
// back with their names), the ledger records them (Sources), a load of the
// same source with other dimensions is refused naming the recorded ones,
// and Verify finds the database consistent.
func TestDimensions_Loads(t *testing.T) {
	ctx := context.Background()
	text := breakdownLog(t, 600, 7)
	want := parseEntriesAs(t, text, testDims)
	testdb.ForEach(t, func(t *testing.T, base *testdb.DB) {
		forEachRawMode(t, []logstats.RawMode{logstats.RawBlocks, logstats.RawRows}, func(t *testing.T, mode logstats.RawMode) {
			db := base.Fresh(t)
			ing := newIngester(db, 97)
			ing.Raw, ing.Dimensions = mode, mustDimensions(t, testDims)
			mustLoad(t, ing, "a.log", text)

			other := newIngester(db, 97)
			other.Raw, other.Dimensions = mode, mustDimensions(t, testDims[1:])
			_, err := other.Load(ctx, "a.log", strings.NewReader(text), logstats.LoadOptions{})
			var rc *logstats.ReadingChangedError
			if !errors.As(err, &rc) || !slices.Equal(rc.Dimensions, testDims) || !strings.Contains(err.Error(), "dimensions region=query:region addr=remote_addr") {
				t.Fatalf("a load with other dimensions: %v, want a ReadingChangedError naming %q", err, testDims)
			}
			res, err := ing.Load(ctx, "a.log", strings.NewReader(text), logstats.LoadOptions{})
			if err != nil || res.Inserted != 0 {
				t.Fatalf("a load with the same dimensions: %+v, %v; want nothing new", res, err)
			}

			sources, err := ing.FindSources(ctx)
			if err != nil || len(sources) != 1 || !slices.Equal(sources[0].Dimensions, testDims) {
				t.Fatalf("FindSources: %+v, %v; want one source with dimensions %q", sources, err, testDims)
			}

			key := func(e logstats.Entry) string {
				return strings.Join(append([]string{e.CustomerID, e.Time.UTC().Format(time.RFC3339Nano), e.Path, strconv.Itoa(e.Status)}, e.Dimensions...), "|")
			}
			var wantKeys, gotKeys []string
			for _, e := range want {
				wantKeys = append(wantKeys, key(e))
			}
			for _, customer := range []string{"c1", "c2", "c3"} {
				for r, err := range logstats.Requests(ctx, db.DB, customer, logstats.RequestFilter{}) {
					if err != nil {
						t.Fatal(err)
					}
					if !slices.Equal(r.DimensionNames, dimOrder) {
						t.Fatalf("request's DimensionNames %q, want %q", r.DimensionNames, dimOrder)
					}
					gotKeys = append(gotKeys, key(r.Entry))
				}
			}
			slices.Sort(wantKeys)
			slices.Sort(gotKeys)
			if !slices.Equal(gotKeys, wantKeys) {
				t.Fatalf("the export holds %d requests, want %d the same as parsed", len(gotKeys), len(wantKeys))
			}
			if regions := strings.Count(strings.Join(gotKeys, "\n"), "|eu|"); regions == 0 {
				t.Fatal("no request has region eu: the log tests nothing")
			}
			rep, err := logstats.Verify(ctx, db.DB, logstats.VerifyOptions{})
			if err != nil || !rep.OK() {
				t.Fatalf("Verify: %+v, %v", rep, err)
			}
		})
	})
}

// TestDimensions_SameReading: a load of a source with its dimensions
// spelt otherwise but reading the same (a header's name in another case,
// "$" before an nginx variable) is no other reading.
func TestDimensions_SameReading(t *testing.T) {
	db := testdb.Open(t, logstats.DialectSQLite)
	f, err := logstats.ParseFormat(`apache:%h %l %u %t "%r" %>s %b %D "%{X-Region}i"`)
	if err != nil {
		t.Fatal(err)
	}
	text := "10.0.0.1 - c1 [10/Oct/2024:13:55:36 +0000] \"GET /a HTTP/1.1\" 200 12 1234 \"eu\"\n"
	for i, dims := range [][]string{{"region=%{X-Region}i"}, {"region=%{x-region}i"}, {"where=%{x-region}i"}} {
		ing := newIngester(db, 10)
		ing.Format, ing.Dimensions = f, mustDimensions(t, dims)
		_, err := ing.Load(context.Background(), "a.log", strings.NewReader(text), logstats.LoadOptions{})
		if refused := errors.Is(err, logstats.ErrReadingChanged); refused != (i == 2) || err != nil && !refused {
			t.Fatalf("load with %q: %v; want it refused only under another name", dims, err)
		}
	}
}
