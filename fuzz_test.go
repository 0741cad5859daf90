package logstats_test

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"os"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/logstats/logstats"
	"github.com/logstats/logstats/internal/testdb"
)

// addSeeds adds every fixture line and every line of testdata/api_requests.log.
func addSeeds(f *testing.F) {
	for _, tt := range parseFixtures {
		f.Add([]byte(tt.line))
	}
	data, err := os.ReadFile("testdata/api_requests.log")
	if err != nil {
		f.Fatal(err)
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for i := 0; sc.Scan(); i++ {
		if i%50 == 0 || !bytes.HasPrefix(sc.Bytes(), []byte("2024-")) {
			f.Add(bytes.Clone(sc.Bytes()))
		}
	}
}

// FuzzParse checks that any line either fails with a *ParseError or parses
// to an entry whose formatted line parses back to the same entry.
func FuzzParse(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, line []byte) {
		p := mustParser(t, nil, logstats.ParseConfig{Format: must(logstats.ParseFormat("logstats"))})
		e, err := p.Parse(line)
		if err != nil {
			var perr *logstats.ParseError
			if !errors.As(err, &perr) || perr.Reason == "" || !errors.Is(err, logstats.ErrMalformedLine) {
				t.Fatalf("Parse(%q) error %v is not a *ParseError with a reason", line, err)
			}
			return
		}
		formatted := e.String()
		again, err := logstats.ParseLine(formatted)
		if err != nil {
			t.Fatalf("Parse(%q) = %+v, but its formatted line %q does not parse: %v", line, e, formatted, err)
		}
		if !again.Time.Equal(e.Time) || again.CustomerID != e.CustomerID || again.Path != e.Path ||
			again.Status != e.Status || again.Latency != e.Latency || again.String() != formatted {
			t.Fatalf("round trip of %q: %+v, then %+v", line, e, again)
		}
	})
}

// FuzzParser feeds arbitrary bytes to a Parser as a stream: it must end in
// io.EOF or a read error, never panic, number lines in order and consume
// every byte of plain input.
func FuzzParser(f *testing.F) {
	addSeeds(f)
	f.Add([]byte("2024-10-03 14:22:05 c /a 200 1\r\n\n\n2024-10-03 14:22:05 c /a 200 1"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p := mustParser(t, bytes.NewReader(data), logstats.ParseConfig{Format: must(logstats.ParseFormat("logstats"))})
		last := 0
		for {
			_, err := p.Next()
			if err == io.EOF {
				break
			}
			var perr *logstats.ParseError
			if err != nil && !errors.As(err, &perr) {
				if len(data) >= 2 && data[0] == 0x1f && data[1] == 0x8b {
					return // a corrupt gzip stream is a read error
				}
				t.Fatalf("Next: %v", err)
			}
			if p.Line() <= last {
				t.Fatalf("line numbers went from %d to %d", last, p.Line())
			}
			last = p.Line()
		}
		if len(data) >= 2 && data[0] == 0x1f && data[1] == 0x8b {
			return
		}
		if p.Offset() != int64(len(data)) {
			t.Fatalf("consumed %d of %d bytes", p.Offset(), len(data))
		}
	})
}

// FuzzLoad loads arbitrary input through the whole load path into SQLite.
// Any input must either load, or be refused as changed (two inputs can
// share a first line) or as corrupt gzip; the counts must add up; loading it
// again must add nothing; and the rollups must agree with the raw rows.
func FuzzLoad(f *testing.F) {
	addSeeds(f)
	f.Add([]byte("2024-10-03 14:22:05 c /a 200 1\n\x00\xff\xfe\n2024-10-03 14:22:05 c /a 500 0.5"))
	var z bytes.Buffer
	zw := gzip.NewWriter(&z)
	zw.Write([]byte("2024-10-03 14:22:05 gz /a 200 1\nbad\n"))
	zw.Close()
	f.Add(z.Bytes())
	db := testdb.Open(f, logstats.DialectSQLite)
	ing := logstats.NewIngester(db.DB)
	ing.BatchLines = 3
	f.Fuzz(func(t *testing.T, data []byte) {
		ctx := context.Background()
		res, err := ing.Load(ctx, "fuzz", bytes.NewReader(data), logstats.LoadOptions{})
		if errors.Is(err, logstats.ErrSourceChanged) || errors.Is(err, logstats.ErrCorruptInput) || errors.Is(err, logstats.ErrAmbiguousFormat) || errors.Is(err, logstats.ErrWrongFormat) {
			return
		}
		if err != nil {
			t.Fatalf("Load: %v", err)
		}
		if res.Lines != res.SkippedAlreadyLoaded+res.Inserted+res.Malformed+res.Blank+res.Unattributed {
			t.Fatalf("counts do not add up: %+v", res)
		}
		again, err := ing.Load(ctx, "fuzz", bytes.NewReader(data), logstats.LoadOptions{})
		if err != nil || again.Inserted != 0 {
			t.Fatalf("second load of the same input: %+v, %v", again, err)
		}
		var rolled int64
		raw := testdb.RawRequests(t, db.DB)
		if err := db.QueryRow(`SELECT COALESCE(SUM(total), 0) FROM logstats_rollups`).Scan(&rolled); err != nil {
			t.Fatal(err)
		}
		if raw != rolled {
			t.Fatalf("%d raw rows but rollups count %d", raw, rolled)
		}
	})
}

// FuzzFormats parses any line in every format, detection included: it
// either fails with a *ParseError (or has no customer, or, detecting, fits
// two formats differently), or gives an entry within the limits of SPEC §2.
// The seeds are every line of format_test.go's tables and of the real
// HAProxy and Traefik logs in testdata/.
func FuzzFormats(f *testing.F) {
	addSeeds(f)
	for _, tab := range formatTables {
		for _, tc := range tab.cases {
			f.Add([]byte(tc.line))
		}
	}
	for _, file := range []string{"testdata/haproxy.log", "testdata/traefik.log"} {
		for line := range bytes.Lines(must(os.ReadFile(file))) {
			f.Add(bytes.TrimSuffix(line, []byte("\n")))
		}
	}
	specs := []string{"auto"}
	for _, tab := range formatTables {
		specs = append(specs, tab.format)
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		for _, spec := range specs {
			format, err := logstats.ParseFormat(spec)
			if err != nil {
				t.Fatal(err)
			}
			for i, customer := range []string{"", "path:/v1/customers/{}/", "query:api_key", "hr", "", "", "", ""} {
				// Dimensions of every kind: those of the last rounds are
				// fields that some formats have.
				dims := fuzzDimensions[i%2]
				if i >= 4 {
					dims = fuzzFieldDimensions[i-4 : i-3]
				}
				p, err := logstats.NewParser(nil, logstats.ParseConfig{Format: format, Customer: must(logstats.ParseCustomerSelector(customer)), Dimensions: dims})
				if errors.Is(err, logstats.ErrInvalidSelector) || errors.Is(err, logstats.ErrInvalidDimension) {
					continue // a format without the default's field: a setting, not a line, is wrong
				}
				if err != nil {
					t.Fatal(err)
				}
				e, err := p.Parse(line)
				var perr *logstats.ParseError
				switch {
				case errors.As(err, &perr):
					if perr.Reason == "" || !errors.Is(err, logstats.ErrMalformedLine) {
						t.Fatalf("%s: Parse(%q): %v has no reason", spec, line, err)
					}
					continue
				case errors.Is(err, logstats.ErrUnattributed), errors.Is(err, logstats.ErrAmbiguousFormat) && format.IsAuto():
					continue
				case err != nil:
					t.Fatalf("%s: Parse(%q): %v", spec, line, err)
				}
				if logstats.ValidCustomerID(e.CustomerID) != nil || e.Path == "" || len(e.Path) > logstats.MaxPathBytes ||
					e.Status < 100 || e.Status > 599 || (e.Latency < 0 && e.Latency != logstats.NoLatency) || e.Latency > logstats.MaxLatency || e.Latency%time.Microsecond != 0 ||
					e.Time.UTC().Year() < 1 || e.Time.UTC().Year() > 9999 {
					t.Fatalf("%s: Parse(%q) = %+v, outside the limits", spec, line, e)
				}
				if len(e.Dimensions) != len(dims) {
					t.Fatalf("%s: Parse(%q) has %d dimensions, want %d", spec, line, len(e.Dimensions), len(dims))
				}
				for _, v := range e.Dimensions {
					if len(v) > logstats.MaxDimensionValueBytes || !utf8.ValidString(v) || strings.ContainsFunc(v, unicode.IsControl) {
						t.Fatalf("%s: Parse(%q) has the dimension value %q, outside the limits", spec, line, v)
					}
				}
			}
		}
	})
}

// The dimensions FuzzFormats reads: none, or path: and query: ones, which
// every format serves; then fields that some formats have.
var (
	fuzzDimensions      = [2][]logstats.Dimension{nil, must(logstats.ParseDimensions([]string{"tier=query:tier", "api=path:/{}/", "who=query:api_key"}))}
	fuzzFieldDimensions = must(logstats.ParseDimensions([]string{"a=remote_addr", "b=http_x_region", "c=hr:2", "d=request.uri"}))
)

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
