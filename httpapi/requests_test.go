package httpapi_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/logstats/logstats"
	"github.com/logstats/logstats/httpapi"
	"github.com/logstats/logstats/internal/loggen"
	"github.com/logstats/logstats/internal/testdb"
)

// exportKeys are the keys of an exported request, in their order, and the
// columns of the CSV's header line.
var exportKeys = []string{"time", "customer_id", "method", "path", "status", "latency"}

// exportTime is an exported time: RFC 3339 in UTC with six fractional digits.
var exportTime = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$`)

// exportRow is a request as the tests compare them: the time as exported,
// the customer, method, path, status, and the latency in microseconds or
// "none".
type exportRow [6]string

func rowOf(e logstats.Entry) exportRow {
	latency := "none"
	if e.Timed() {
		latency = strconv.FormatInt(e.Latency.Microseconds(), 10)
	}
	return exportRow{e.Time.UTC().Format("2006-01-02T15:04:05.000000Z"), e.CustomerID, e.Method, e.Path, strconv.Itoa(e.Status), latency}
}

// latencyRow returns the latency of a row from the seconds exported.
func latencyRow(t *testing.T, seconds string) string {
	t.Helper()
	if strings.ContainsAny(seconds, "eE+") {
		t.Fatalf("latency %q: want a plain decimal", seconds)
	}
	if _, frac, ok := strings.Cut(seconds, "."); ok && len(frac) > 6 {
		t.Fatalf("latency %q: more than microseconds", seconds)
	}
	d, err := time.ParseDuration(seconds + "s")
	if err != nil || d < 0 {
		t.Fatalf("latency %q: %v", seconds, err)
	}
	return strconv.FormatInt(d.Microseconds(), 10)
}

// parseNDJSON reads an export as NDJSON: each line whole, one object with
// the keys of exportKeys in their order.
func parseNDJSON(t *testing.T, body []byte) []exportRow {
	t.Helper()
	if len(body) > 0 && body[len(body)-1] != '\n' {
		t.Fatalf("the export's last line is not whole: %.200q", body[max(0, len(body)-200):])
	}
	var rows []exportRow
	for line := range bytes.Lines(body) {
		dec := json.NewDecoder(bytes.NewReader(line))
		dec.UseNumber()
		if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
			t.Fatalf("line %d: not an object: %q", len(rows)+1, line)
		}
		var row exportRow
		var keys []string
		for dec.More() {
			tok, err := dec.Token()
			if err != nil {
				t.Fatalf("line %d: %v: %q", len(rows)+1, err, line)
			}
			key, _ := tok.(string)
			keys = append(keys, key)
			var v any
			if err := dec.Decode(&v); err != nil {
				t.Fatalf("line %d: %v: %q", len(rows)+1, err, line)
			}
			i := slices.Index(exportKeys, key)
			switch v := v.(type) {
			case string:
				if i < 0 || i > 3 {
					t.Fatalf("line %d: %s is a string: %q", len(rows)+1, key, line)
				}
				row[i] = v
			case json.Number:
				switch key {
				case "status":
					if _, err := strconv.Atoi(v.String()); err != nil {
						t.Fatalf("line %d: status %s", len(rows)+1, v)
					}
					row[4] = v.String()
				case "latency":
					row[5] = latencyRow(t, v.String())
				default:
					t.Fatalf("line %d: %s is a number: %q", len(rows)+1, key, line)
				}
			case nil:
				if key != "latency" {
					t.Fatalf("line %d: %s is null: %q", len(rows)+1, key, line)
				}
				row[5] = "none"
			default:
				t.Fatalf("line %d: %s is %T: %q", len(rows)+1, key, v, line)
			}
		}
		if !slices.Equal(keys, exportKeys) {
			t.Fatalf("line %d: keys %v, want %v in that order", len(rows)+1, keys, exportKeys)
		}
		if _, err := dec.Token(); err != nil || dec.More() {
			t.Fatalf("line %d: more than one object: %q", len(rows)+1, line)
		}
		if !exportTime.MatchString(row[0]) {
			t.Fatalf("line %d: time %q, want RFC 3339 in UTC with 6 fractional digits", len(rows)+1, row[0])
		}
		rows = append(rows, row)
	}
	return rows
}

// parseCSV reads an export as CSV: the header line, then a record a
// request.
func parseCSV(t *testing.T, body []byte) []exportRow {
	t.Helper()
	records, err := csv.NewReader(bytes.NewReader(body)).ReadAll()
	if err != nil {
		t.Fatalf("the export is not CSV: %v", err)
	}
	if len(records) == 0 || !slices.Equal(records[0], exportKeys) {
		t.Fatalf("the CSV's header line: %.300q, want %q", records, exportKeys)
	}
	var rows []exportRow
	for i, rec := range records[1:] {
		row := exportRow(rec)
		if !exportTime.MatchString(row[0]) {
			t.Fatalf("record %d: time %q, want RFC 3339 in UTC with 6 fractional digits", i+1, row[0])
		}
		if row[5] == "" {
			row[5] = "none"
		} else {
			row[5] = latencyRow(t, row[5])
		}
		rows = append(rows, row)
	}
	return rows
}

// parseEntries returns the requests of a log as the Ingester reads them (the
// same ParseConfig): its malformed and unattributed lines left out.
func parseEntries(t *testing.T, text string) []logstats.Entry {
	t.Helper()
	p, err := logstats.NewParser(strings.NewReader(text), logstats.ParseConfig{})
	if err != nil {
		t.Fatal(err)
	}
	var entries []logstats.Entry
	for {
		e, err := p.Next()
		var perr *logstats.ParseError
		switch {
		case errors.As(err, &perr):
			continue
		case err == io.EOF:
			return entries
		case err != nil:
			t.Fatal(err)
		}
		entries = append(entries, e)
	}
}

// loadedSource is a log loaded for the tests: its id (Source.ID) and its
// requests as parseEntries reads them.
type loadedSource struct {
	id      int64
	entries []logstats.Entry
}

// wantExport returns what an export of customer on the days [from, to] must
// hold, of the sources loaded (in the order of sources, which is the
// order they were loaded): by (UTC) day, then by source, then as in the
// source.
func wantExport(sources []loadedSource, customer string, from logstats.Date, to *logstats.Date) []exportRow {
	type request struct {
		day    logstats.Date
		source int64
		e      logstats.Entry
	}
	var rs []request
	for _, src := range sources {
		for _, e := range src.entries {
			day := logstats.DateOf(e.Time)
			if e.CustomerID == customer && !day.Before(from) && (to == nil || !to.Before(day)) {
				rs = append(rs, request{day, src.id, e})
			}
		}
	}
	sort.SliceStable(rs, func(i, j int) bool { return rs[i].day.Before(rs[j].day) })
	rows := make([]exportRow, len(rs))
	for i, r := range rs {
		rows[i] = rowOf(r.e)
	}
	return rows
}

// checkRows fails at the first request where got and want differ.
func checkRows(t *testing.T, what string, got, want []exportRow) {
	t.Helper()
	for i := range min(len(got), len(want)) {
		if got[i] != want[i] {
			t.Fatalf("%s: request %d of %d is %q, want %q", what, i+1, len(want), got[i], want[i])
		}
	}
	if len(got) != len(want) {
		t.Fatalf("%s: %d requests, want %d", what, len(got), len(want))
	}
}

// requestsPath is the export's path for a customer id, escaped as
// customerPath escapes it.
func requestsPath(id string) string {
	return strings.TrimSuffix(customerPath(id), "stats/") + "requests"
}

// exportJSONLLog is a jsonl log for the export's property test: times with
// microseconds (some at a day's first and last microsecond), latencies of
// microseconds, zero or none, and customers and paths that JSON must escape
// and CSV must quote.
func exportJSONLLog(t *testing.T, seed uint64, n int) string {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 42))
	start := time.Date(2024, 10, 1, 0, 0, 0, 0, time.UTC)
	customers := []string{"cust_1", "cust_2", `q,"u"/é`}
	paths := []string{"/api/v1/users", "/a,b", `/q"x`, "/é/ü", "/<tag>&x", "/api/v1/orders/123", "/x;y=1"}
	methods := []string{"GET", "POST", "DELETE", "PATCH"}
	var b []byte
	for range n {
		at := start.Add(time.Duration(rng.Int64N(4*86400e6)) * time.Microsecond)
		switch rng.IntN(20) {
		case 0:
			at = at.Truncate(24 * time.Hour)
		case 1:
			at = at.Truncate(24 * time.Hour).Add(24*time.Hour - time.Microsecond)
		}
		latency := time.Duration(rng.Int64N(5e6)) * time.Microsecond
		switch rng.IntN(20) {
		case 0, 1, 2:
			latency = loggen.NoLatency
		case 3:
			latency = 0
		}
		r := loggen.Request{Time: at, Customer: customers[rng.IntN(len(customers))], Method: methods[rng.IntN(len(methods))],
			Path: paths[rng.IntN(len(paths))], Status: 100 + rng.IntN(500), Latency: latency}
		var err error
		if b, err = loggen.Append(b, "jsonl", r); err != nil {
			t.Fatal(err)
		}
		b = append(b, '\n')
	}
	return string(b)
}

// TestRequests_Export is the export's property: what GET
// /customers/{id}/requests returns, as NDJSON and as CSV, is what was
// loaded, request for request (time to the microsecond, customer, method,
// path, status, latency or none), ordered by day, then by source (its id,
// not the order of the loads), then as in the source; for every customer,
// over every day and over a range that cuts days; in raw modes blocks and
// rows.
func TestRequests_Export(t *testing.T) {
	rounds := []struct {
		raw    logstats.RawMode
		format string // of the first log, loggen's
	}{
		{logstats.RawBlocks, "logstats"},
		{logstats.RawRows, "nginx"},
		{logstats.RawBlocks, "combined"}, // no latencies at all
	}
	testdb.ForEach(t, func(t *testing.T, db *testdb.DB) {
		for i, round := range rounds {
			t.Run(fmt.Sprintf("%s_%s", round.raw, round.format), func(t *testing.T) {
				if i > 0 {
					db = db.Fresh(t)
				}
				seed := uint64(i + 1)
				cfg := loggen.DefaultConfig()
				cfg.Lines, cfg.Customers, cfg.Days, cfg.Seed, cfg.Format = 1500, 3, 4, seed, round.format
				cfg.UntimedRate, cfg.MalformedRate = 0.15, 0.02
				var first bytes.Buffer
				if err := loggen.Write(&first, cfg); err != nil {
					t.Fatal(err)
				}
				logs := []string{first.String(), exportJSONLLog(t, seed, 600)}
				ing := testdb.NewIngester(db, 300) // blocks of many batches
				ing.Raw = round.raw
				var sources []loadedSource
				customers := map[string]bool{}
				for j, text := range logs {
					name := fmt.Sprintf("source%d.log", j)
					testdb.MustLoad(t, ing, name, text)
					src := loadedSource{id: testdb.SourceNamed(t, ing, name).ID, entries: parseEntries(t, text)}
					sources = append(sources, src)
					for _, e := range src.entries {
						customers[e.CustomerID] = true
					}
				}
				if len(customers) != 4 {
					t.Fatalf("the logs have %d customers, want the 4 of the generators", len(customers))
				}
				s := newTestServer(t, db, httpapi.Options{})
				day := func(s string) logstats.Date { d, _ := logstats.ParseDate(s); return d }
				cut := day("2024-10-03")
				ranges := []struct {
					query    string
					from     logstats.Date
					to       *logstats.Date
					nonEmpty bool
				}{
					{"from=2024-09-30", day("2024-09-30"), nil, true},
					{"from=2024-10-02&to=2024-10-03", day("2024-10-02"), &cut, true},
					{"from=2024-10-03&to=2024-10-03", cut, &cut, true},
					{"from=2024-11-01", day("2024-11-01"), nil, false},
				}
				for id := range customers {
					for _, rg := range ranges {
						want := wantExport(sources, id, rg.from, rg.to)
						if rg.nonEmpty && len(want) == 0 {
							t.Fatalf("%s %s: nothing to export; the generators changed", id, rg.query)
						}
						for _, format := range []string{"", "&format=ndjson", "&format=csv"} {
							path := requestsPath(id) + "?" + rg.query + format
							resp, body := get(t, s.URL+path)
							if resp.StatusCode != 200 {
								t.Fatalf("GET %s: %d %s", path, resp.StatusCode, body)
							}
							ctype := resp.Header.Get("Content-Type")
							var got []exportRow
							if format == "&format=csv" {
								if ctype != "text/csv; charset=utf-8" {
									t.Fatalf("GET %s: Content-Type %q", path, ctype)
								}
								got = parseCSV(t, body)
							} else {
								if ctype != "application/x-ndjson" {
									t.Fatalf("GET %s: Content-Type %q", path, ctype)
								}
								got = parseNDJSON(t, body)
							}
							checkRows(t, "GET "+path, got, want)
						}
					}
				}
			})
		}
	})
}

// TestRequests_Head checks that HEAD answers as GET would, without a body.
func TestRequests_Head(t *testing.T) {
	db := testdb.Open(t, logstats.DialectSQLite)
	s := newTestServer(t, db, httpapi.Options{})
	s.load(t)
	for _, tc := range []struct{ query, ctype string }{
		{"from=2024-10-01", "application/x-ndjson"},
		{"from=2024-10-01&format=csv", "text/csv; charset=utf-8"},
		{"from=2030-01-01", "application/x-ndjson"},
	} {
		req, _ := http.NewRequest("HEAD", s.URL+"/customers/cust_1/requests?"+tc.query, nil)
		resp, err := s.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != tc.ctype {
			t.Fatalf("HEAD ?%s: %d %q, want 200 %q", tc.query, resp.StatusCode, resp.Header.Get("Content-Type"), tc.ctype)
		}
	}
}

// TestRequests_RawNone checks the answer of a database that keeps no raw
// requests (raw mode none): 409 with a JSON error that says so, for either
// format and for HEAD, while its stats answer.
func TestRequests_RawNone(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, db *testdb.DB) {
		ing := testdb.NewIngester(db, logstats.DefaultBatchLines)
		ing.Raw = logstats.RawNone
		testdb.MustLoad(t, ing, "none.log", "2024-10-03 10:00:00 cust_1 /x 200 0.1\n")
		s := newTestServer(t, db, httpapi.Options{})
		for _, query := range []string{"from=2024-10-01", "from=2024-10-01&format=csv", "from=2030-01-01&to=2030-01-02"} {
			status, body, _ := s.do(t, "GET", "/customers/cust_1/requests?"+query, nil)
			msg, _ := body["error"].(string)
			if status != 409 || !strings.Contains(msg, "keeps no raw requests") || !strings.Contains(msg, "raw mode none") {
				t.Fatalf("GET ?%s under raw mode none: %d %q, want 409 saying the database keeps no raw requests (raw mode none)", query, status, msg)
			}
		}
		if status, _, _ := s.do(t, "HEAD", "/customers/cust_1/requests?from=2024-10-01", nil); status != 409 {
			t.Fatalf("HEAD under raw mode none: %d, want 409", status)
		}
		if status, body, _ := s.do(t, "GET", "/customers/cust_1/stats?from=2024-10-01", nil); status != 200 {
			t.Fatalf("stats under raw mode none: %d %v", status, body)
		}
	})
}

// requestsFunc is a function as an httpapi.Requests.
type requestsFunc func(ctx context.Context, customerID string, f logstats.RequestFilter) iter.Seq2[logstats.Request, error]

func (fn requestsFunc) Requests(ctx context.Context, customerID string, f logstats.RequestFilter) iter.Seq2[logstats.Request, error] {
	return fn(ctx, customerID, f)
}

// failingRequests yields n requests, then err.
func failingRequests(n int, err error) httpapi.Requests {
	return requestsFunc(func(ctx context.Context, customerID string, f logstats.RequestFilter) iter.Seq2[logstats.Request, error] {
		return func(yield func(logstats.Request, error) bool) {
			at := time.Date(2024, 10, 1, 0, 0, 0, 0, time.UTC)
			for i := range n {
				e := logstats.Entry{Time: at.Add(time.Duration(i) * time.Second), CustomerID: customerID, Method: "GET", Path: "/x", Status: 200, Latency: time.Millisecond}
				if !yield(logstats.Request{Entry: e}, nil) {
					return
				}
			}
			yield(logstats.Request{}, err)
		}
	})
}

// TestRequests_Failure checks what an error of the database does to an
// export: before any byte was sent, an answer as any other's (a 500 here,
// its details logged); after, whole lines, then a response cut short (the
// client reads an unexpected EOF, not an export that looks complete), the
// error logged.
func TestRequests_Failure(t *testing.T) {
	boom := errors.New("boom: the database fell over")
	for _, tc := range []struct {
		name   string
		n      int
		format string
	}{
		{"ErrFirst", 0, "ndjson"},
		{"ErrBeforeTheFirstFlush", 10, "csv"},
		{"ErrAfterStart", 5000, "ndjson"},
		{"ErrAfterStartCSV", 5000, "csv"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			logs := &testdb.SyncBuffer{}
			h := httpapi.NewHandler(httpapi.Deps{Logger: slog.New(slog.NewTextHandler(logs, nil)), Requests: failingRequests(tc.n, boom)}, httpapi.Options{})
			srv := httptest.NewServer(h)
			defer srv.Close()
			resp, err := srv.Client().Get(srv.URL + "/customers/cust_1/requests?from=2024-10-01&format=" + tc.format)
			if err != nil {
				t.Fatal(err)
			}
			body, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if tc.n < 1024 {
				if resp.StatusCode != 500 || err != nil || string(body) != "{\"error\":\"internal error; the server log has the details\"}\n" {
					t.Fatalf("an error before the first flush: %d %s (%v), want the 500 of an internal error", resp.StatusCode, body, err)
				}
				if !strings.Contains(logs.String(), "boom") {
					t.Fatalf("the error is not logged: %s", logs)
				}
				return
			}
			if resp.StatusCode != 200 || !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Fatalf("an error after the export started: %d, read error %v, want 200 and an unexpected EOF", resp.StatusCode, err)
			}
			var rows []exportRow
			if tc.format == "csv" {
				rows = parseCSV(t, body)
			} else {
				rows = parseNDJSON(t, body)
			}
			if len(rows) != tc.n {
				t.Fatalf("%d whole requests before the cut, want the %d yielded", len(rows), tc.n)
			}
			for _, want := range []string{"export failed after it started", "boom", "cut_short=true"} {
				if !strings.Contains(logs.String(), want) {
					t.Fatalf("the logs do not say %q: %s", want, logs)
				}
			}
		})
	}
}

// TestRequests_Streams checks that a large export (200,000 requests) is
// streamed: its first line reaches the client while the database's iterator
// is held in the middle of the export, and the whole export then arrives.
func TestRequests_Streams(t *testing.T) {
	if testing.Short() {
		t.Skip("loads 200,000 requests")
	}
	const n, holdAt = 200_000, 20 * 1024
	testdb.ForEach(t, func(t *testing.T, db *testdb.DB) {
		cfg := loggen.DefaultConfig()
		cfg.Lines, cfg.Customers, cfg.Days, cfg.UntimedRate = n, 1, 3, 0.1
		var log bytes.Buffer
		if err := loggen.Write(&log, cfg); err != nil {
			t.Fatal(err)
		}
		if res := testdb.MustLoad(t, testdb.NewIngester(db, logstats.DefaultBatchLines), "big.log", log.String()); res.Inserted != n {
			t.Fatalf("loaded %d requests, want %d", res.Inserted, n)
		}
		// The iterator stops after holdAt requests until the client has
		// read the first line, or for a minute at most: then the test fails.
		release := make(chan struct{})
		var yielded atomic.Int64
		var heldTooLong atomic.Bool
		held := requestsFunc(func(ctx context.Context, customerID string, f logstats.RequestFilter) iter.Seq2[logstats.Request, error] {
			return func(yield func(logstats.Request, error) bool) {
				for r, err := range logstats.Requests(ctx, db.DB, customerID, f) {
					if yielded.Add(1) == holdAt {
						select {
						case <-release:
						case <-time.After(time.Minute):
							heldTooLong.Store(true)
						}
					}
					if !yield(r, err) {
						return
					}
				}
			}
		})
		srv := httptest.NewServer(httpapi.NewHandler(httpapi.Deps{DB: db.DB, Requests: held}, httpapi.Options{}))
		defer srv.Close()
		resp, err := srv.Client().Get(srv.URL + "/customers/cust_1/requests?from=2024-10-01")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		br := bufio.NewReader(resp.Body)
		first, err := br.ReadBytes('\n')
		if err != nil {
			t.Fatal(err)
		}
		if heldTooLong.Load() || yielded.Load() > holdAt {
			t.Fatalf("the first line arrived after %d requests were read (held at %d: %v): the export is not streamed", yielded.Load(), holdAt, heldTooLong.Load())
		}
		close(release)
		rest, err := io.ReadAll(br)
		if err != nil {
			t.Fatal(err)
		}
		rows := parseNDJSON(t, append(first, rest...))
		if len(rows) != n || yielded.Load() != n {
			t.Fatalf("exported %d requests (%d yielded), want %d", len(rows), yielded.Load(), n)
		}
	})
}

// TestRequests_CustomerEscaped checks that a customer id that a URL must
// escape reads its own requests.
func TestRequests_CustomerEscaped(t *testing.T) {
	db := testdb.Open(t, logstats.DialectSQLite)
	id := `a/b?c#d%e."f",g`
	line := fmt.Sprintf(`{"time":"2024-10-01T10:00:00.123456Z","customer_id":%q,"method":"GET","path":"/x","status":201,"latency":null}`+"\n", id)
	testdb.MustLoad(t, testdb.NewIngester(db, logstats.DefaultBatchLines), "odd.jsonl", line)
	s := newTestServer(t, db, httpapi.Options{})
	resp, body := get(t, s.URL+requestsPath(id)+"?from=2024-10-01&format=csv")
	want := "time,customer_id,method,path,status,latency\n2024-10-01T10:00:00.123456Z,\"a/b?c#d%e.\"\"f\"\",g\",GET,/x,201,\n"
	if resp.StatusCode != 200 || string(body) != want {
		t.Fatalf("GET %s: %d %q, want %q", requestsPath(id), resp.StatusCode, body, want)
	}
	if u, _ := url.Parse(requestsPath(id)); u.Path != "/customers/"+id+"/requests" {
		t.Fatalf("requestsPath(%q) = %s", id, requestsPath(id))
	}
}

// TestRequests_Dimensions: an export holds each request's dimensions by
// name (SPEC §10): NDJSON a key each of its source's, CSV a column each of
// the database's, empty where a source lacks one. A source loaded with a
// dimension is refused with others, and the advice's query loads it.
func TestRequests_Dimensions(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, db *testdb.DB) {
		s := newTestServer(t, db, httpapi.Options{})
		loads := []struct{ query, body string }{
			{"source=a.log&dimension=tier%3Dquery%3Atier", "2024-10-03 10:00:00 cust_1 /x?tier=gold 200 0.1\n2024-10-03 10:00:01 cust_1 /y 200 0.2\n"},
			{"source=b.log", "2024-10-03 11:00:00 cust_1 /z 200 0.3\n"},
		}
		for _, l := range loads {
			if status, body, _ := s.do(t, "POST", "/load?"+l.query, strings.NewReader(l.body), "Content-Type", "text/plain"); status != 200 {
				t.Fatalf("POST /load?%s: %d %v", l.query, status, body)
			}
		}
		_, ndjson, _ := s.doRaw(t, "GET", "/customers/cust_1/requests?from=2024-10-03", "")
		wantNDJSON := `{"time":"2024-10-03T10:00:00.000000Z","customer_id":"cust_1","method":"","path":"/x?tier=gold","status":200,"latency":0.1,"tier":"gold"}
{"time":"2024-10-03T10:00:01.000000Z","customer_id":"cust_1","method":"","path":"/y","status":200,"latency":0.2,"tier":""}
{"time":"2024-10-03T11:00:00.000000Z","customer_id":"cust_1","method":"","path":"/z","status":200,"latency":0.3}
`
		if string(ndjson) != wantNDJSON {
			t.Fatalf("NDJSON export:\n%s\nwant\n%s", ndjson, wantNDJSON)
		}
		_, csvBody, _ := s.doRaw(t, "GET", "/customers/cust_1/requests?from=2024-10-03&format=csv", "")
		wantCSV := "time,customer_id,method,path,status,latency,tier\n" +
			"2024-10-03T10:00:00.000000Z,cust_1,,/x?tier=gold,200,0.1,gold\n" +
			"2024-10-03T10:00:01.000000Z,cust_1,,/y,200,0.2,\n" +
			"2024-10-03T11:00:00.000000Z,cust_1,,/z,200,0.3,\n"
		if string(csvBody) != wantCSV {
			t.Fatalf("CSV export:\n%s\nwant\n%s", csvBody, wantCSV)
		}

		// b.log again with a dimension: refused, and the advice's query,
		// which says to load it without, loads it.
		status, body, _ := s.do(t, "POST", "/load?source=b.log&dimension=tier%3Dquery%3Atier", strings.NewReader(loads[1].body), "Content-Type", "text/plain")
		msg, _ := body["error"].(string)
		_, query, found := strings.Cut(msg, "load it with ?")
		if status != 409 || !found || !strings.Contains(query, "dimension=") {
			t.Fatalf("a load with another dimension: %d %q, want 409 with advice naming dimension=", status, msg)
		}
		if status, body, _ := s.do(t, "POST", "/load?source=b.log&"+query, strings.NewReader(loads[1].body), "Content-Type", "text/plain"); status != 200 {
			t.Fatalf("the advice's query %q: %d %v", query, status, body)
		}
	})
}
