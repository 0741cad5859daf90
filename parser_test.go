package logstats_test

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/logstats/logstats"
)

func utc(s string) time.Time {
	t, err := time.Parse("2006-01-02 15:04:05.999999999", s)
	if err != nil {
		panic(err)
	}
	return t
}

func us(n int64) time.Duration { return time.Duration(n) * time.Microsecond }

// parseFixtures are real log lines and what they parse to. Fed to a Parser as
// one stream, fixture i is line i+1, so the malformed cases also assert their
// line numbers. TestParse, TestParser_LineNumbers, BenchmarkParse and FuzzParse
// all use this table.
var parseFixtures = []struct {
	name    string
	line    string
	want    logstats.Entry
	wantErr error  // kind of error; nil for a valid line
	reason  string // exact reason for a malformed line
}{
	{name: "OK", line: "2024-10-03 14:22:05 cust_17 /api/v1/resource2 404 1.234",
		want: logstats.Entry{Time: utc("2024-10-03 14:22:05"), CustomerID: "cust_17", Path: "/api/v1/resource2", Status: 404, Latency: us(1234000)}},
	{name: "OKTabs", line: "2024-10-03\t14:22:05\tcust_1\t/a\t200\t0.5",
		want: logstats.Entry{Time: utc("2024-10-03 14:22:05"), CustomerID: "cust_1", Path: "/a", Status: 200, Latency: us(500000)}},
	{name: "OKRunsOfSpaces", line: "  2024-10-03   14:22:05 \t cust_1  /a    200  0.123  ",
		want: logstats.Entry{Time: utc("2024-10-03 14:22:05"), CustomerID: "cust_1", Path: "/a", Status: 200, Latency: us(123000)}},
	{name: "OKCRLF", line: "2024-10-03 14:22:05 cust_1 /a 200 1\r",
		want: logstats.Entry{Time: utc("2024-10-03 14:22:05"), CustomerID: "cust_1", Path: "/a", Status: 200, Latency: us(1000000)}},
	{name: "OKFraction", line: "2024-10-03 14:22:05.250 cust_1 /a 301 0.000001",
		want: logstats.Entry{Time: utc("2024-10-03 14:22:05.25"), CustomerID: "cust_1", Path: "/a", Status: 301, Latency: us(1)}},
	{name: "OKNanoFraction", line: "2024-10-03 23:59:59.999999999 cust_1 /a 100 0",
		want: logstats.Entry{Time: utc("2024-10-03 23:59:59.999999999"), CustomerID: "cust_1", Path: "/a", Status: 100, Latency: 0}},
	{name: "OKLeapDay", line: "2024-02-29 00:00:00 c /x 599 0.123456",
		want: logstats.Entry{Time: utc("2024-02-29 00:00:00"), CustomerID: "c", Path: "/x", Status: 599, Latency: us(123456)}},
	{name: "OKRoundHalfUp", line: "2024-10-03 14:22:05 c /x 200 0.1234565",
		want: logstats.Entry{Time: utc("2024-10-03 14:22:05"), CustomerID: "c", Path: "/x", Status: 200, Latency: us(123457)}},
	{name: "OKRoundDown", line: "2024-10-03 14:22:05 c /x 200 0.12345649999",
		want: logstats.Entry{Time: utc("2024-10-03 14:22:05"), CustomerID: "c", Path: "/x", Status: 200, Latency: us(123456)}},
	{name: "OKRoundIntoSeconds", line: "2024-10-03 14:22:05 c /x 200 1.9999995",
		want: logstats.Entry{Time: utc("2024-10-03 14:22:05"), CustomerID: "c", Path: "/x", Status: 200, Latency: us(2000000)}},
	{name: "OKMaxLatency", line: "2024-10-03 14:22:05 c /x 200 86400.000000",
		want: logstats.Entry{Time: utc("2024-10-03 14:22:05"), CustomerID: "c", Path: "/x", Status: 200, Latency: 24 * time.Hour}},
	{name: "OKLeadingZeroStatus", line: "2024-10-03 14:22:05 c /x 0200 007",
		want: logstats.Entry{Time: utc("2024-10-03 14:22:05"), CustomerID: "c", Path: "/x", Status: 200, Latency: us(7000000)}},
	{name: "OKUnicodeCustomer", line: "2024-10-03 14:22:05 café/\"x\"%2F /ü?q=1 200 0.2",
		want: logstats.Entry{Time: utc("2024-10-03 14:22:05"), CustomerID: "café/\"x\"%2F", Path: "/ü?q=1", Status: 200, Latency: us(200000)}},
	{name: "OKLongestCustomer", line: "2024-10-03 14:22:05 " + strings.Repeat("c", 128) + " /x 200 1",
		want: logstats.Entry{Time: utc("2024-10-03 14:22:05"), CustomerID: strings.Repeat("c", 128), Path: "/x", Status: 200, Latency: us(1000000)}},
	{name: "OKLongestPath", line: "2024-10-03 14:22:05 c /" + strings.Repeat("p", 2047) + " 200 1",
		want: logstats.Entry{Time: utc("2024-10-03 14:22:05"), CustomerID: "c", Path: "/" + strings.Repeat("p", 2047), Status: 200, Latency: us(1000000)}},

	{name: "ErrTooFewFields", line: "2024-10-03 14:22:05 cust_1 /a 200",
		wantErr: logstats.ErrFieldCount, reason: "expected 6 fields (date time customer path status latency), got 5"},
	{name: "ErrTooManyFields", line: "2024-10-03 14:22:05 cust_1 /a 200 1.0 extra",
		wantErr: logstats.ErrFieldCount, reason: "expected 6 fields (date time customer path status latency), got 7"},
	{name: "ErrOneField", line: "garbage",
		wantErr: logstats.ErrFieldCount, reason: "expected 6 fields (date time customer path status latency), got 1"},
	{name: "ErrDateFormat", line: "03/10/2024 14:22:05 cust_1 /a 200 1",
		wantErr: logstats.ErrInvalidDate, reason: `date "03/10/2024" is not a real calendar date (want YYYY-MM-DD)`},
	{name: "ErrDateNotReal", line: "2023-02-29 14:22:05 cust_1 /a 200 1",
		wantErr: logstats.ErrInvalidDate, reason: `date "2023-02-29" is not a real calendar date (want YYYY-MM-DD)`},
	{name: "ErrDateMonth13", line: "2024-13-01 14:22:05 cust_1 /a 200 1",
		wantErr: logstats.ErrInvalidDate, reason: `date "2024-13-01" is not a real calendar date (want YYYY-MM-DD)`},
	{name: "ErrDateApril31", line: "2024-04-31 14:22:05 cust_1 /a 200 1",
		wantErr: logstats.ErrInvalidDate, reason: `date "2024-04-31" is not a real calendar date (want YYYY-MM-DD)`},
	{name: "ErrDateYearZero", line: "0000-01-01 14:22:05 cust_1 /a 200 1",
		wantErr: logstats.ErrInvalidDate, reason: `date "0000-01-01" is not a real calendar date (want YYYY-MM-DD)`},
	{name: "ErrTimeHour", line: "2024-10-03 24:00:00 cust_1 /a 200 1",
		wantErr: logstats.ErrInvalidTime, reason: `time "24:00:00" is not a valid time of day (want HH:MM:SS or HH:MM:SS.fraction)`},
	{name: "ErrTimeLeapSecond", line: "2024-10-03 23:59:60 cust_1 /a 200 1",
		wantErr: logstats.ErrInvalidTime, reason: `time "23:59:60" is not a valid time of day (want HH:MM:SS or HH:MM:SS.fraction)`},
	{name: "ErrTimeShort", line: "2024-10-03 1:22:05 cust_1 /a 200 1",
		wantErr: logstats.ErrInvalidTime, reason: `time "1:22:05" is not a valid time of day (want HH:MM:SS or HH:MM:SS.fraction)`},
	{name: "ErrTimeEmptyFraction", line: "2024-10-03 14:22:05. cust_1 /a 200 1",
		wantErr: logstats.ErrInvalidTime, reason: `time "14:22:05." is not a valid time of day (want HH:MM:SS or HH:MM:SS.fraction)`},
	{name: "ErrTimeZone", line: "2024-10-03 14:22:05Z cust_1 /a 200 1",
		wantErr: logstats.ErrInvalidTime, reason: `time "14:22:05Z" is not a valid time of day (want HH:MM:SS or HH:MM:SS.fraction)`},
	{name: "ErrCustomerTooLong", line: "2024-10-03 14:22:05 " + strings.Repeat("c", 129) + " /a 200 1",
		wantErr: logstats.ErrInvalidCustomer, reason: "customer id is 129 bytes long, more than the limit of 128"},
	{name: "ErrCustomerNotUTF8", line: "2024-10-03 14:22:05 cust\xff /a 200 1",
		wantErr: logstats.ErrInvalidCustomer, reason: `customer id "cust\xff" is not valid UTF-8`},
	{name: "ErrCustomerWhitespace", line: "2024-10-03 14:22:05 cust\u00a0x /a 200 1",
		wantErr: logstats.ErrInvalidCustomer, reason: `customer id "cust\u00a0x" contains whitespace`},
	{name: "ErrCustomerVerticalTab", line: "2024-10-03 14:22:05 cust\vx /a 200 1",
		wantErr: logstats.ErrInvalidCustomer, reason: `customer id "cust\vx" contains whitespace`},
	{name: "ErrCustomerControl", line: "2024-10-03 14:22:05 cust\x1b[31m /a 200 1",
		wantErr: logstats.ErrInvalidCustomer, reason: `customer id "cust\x1b[31m" contains a control character`},
	{name: "ErrCustomerC1Control", line: "2024-10-03 14:22:05 cust\u0085x /a 200 1",
		wantErr: logstats.ErrInvalidCustomer, reason: `customer id "cust\u0085x" contains whitespace`},
	{name: "ErrPathTooLong", line: "2024-10-03 14:22:05 c /" + strings.Repeat("p", 2048) + " 200 1",
		wantErr: logstats.ErrInvalidPath, reason: "path is 2049 bytes long, more than the limit of 2048"},
	{name: "ErrStatusNotInteger", line: "2024-10-03 14:22:05 cust_1 /a abc 1",
		wantErr: logstats.ErrInvalidStatus, reason: `status "abc" is not an integer`},
	{name: "ErrStatusDecimal", line: "2024-10-03 14:22:05 cust_1 /a 200.0 1",
		wantErr: logstats.ErrInvalidStatus, reason: `status "200.0" is not an integer`},
	{name: "ErrStatusTooHigh", line: "2024-10-03 14:22:05 cust_1 /a 600 1",
		wantErr: logstats.ErrInvalidStatus, reason: `status "600" is not between 100 and 599`},
	{name: "ErrStatusTooLow", line: "2024-10-03 14:22:05 cust_1 /a 99 1",
		wantErr: logstats.ErrInvalidStatus, reason: `status "99" is not between 100 and 599`},
	{name: "ErrStatusNegative", line: "2024-10-03 14:22:05 cust_1 /a -200 1",
		wantErr: logstats.ErrInvalidStatus, reason: `status "-200" is not between 100 and 599`},
	{name: "ErrStatusHuge", line: "2024-10-03 14:22:05 cust_1 /a 99999999999999999999 1",
		wantErr: logstats.ErrInvalidStatus, reason: `status "99999999999999999999" is not between 100 and 599`},
	{name: "ErrLatencyNegative", line: "2024-10-03 14:22:05 cust_1 /a 200 -0.5",
		wantErr: logstats.ErrInvalidLatency, reason: `latency "-0.5" is negative`},
	{name: "ErrLatencyWord", line: "2024-10-03 14:22:05 cust_1 /a 200 fast",
		wantErr: logstats.ErrInvalidLatency, reason: `latency "fast" is not a decimal number of seconds`},
	{name: "ErrLatencyExponent", line: "2024-10-03 14:22:05 cust_1 /a 200 1e-3",
		wantErr: logstats.ErrInvalidLatency, reason: `latency "1e-3" is not a decimal number of seconds`},
	{name: "ErrLatencyTrailingDot", line: "2024-10-03 14:22:05 cust_1 /a 200 1.",
		wantErr: logstats.ErrInvalidLatency, reason: `latency "1." is not a decimal number of seconds`},
	{name: "ErrLatencyLeadingDot", line: "2024-10-03 14:22:05 cust_1 /a 200 .5",
		wantErr: logstats.ErrInvalidLatency, reason: `latency ".5" is not a decimal number of seconds`},
	{name: "ErrLatencyUnit", line: "2024-10-03 14:22:05 cust_1 /a 200 12ms",
		wantErr: logstats.ErrInvalidLatency, reason: `latency "12ms" is not a decimal number of seconds`},
	{name: "ErrLatencyOver24h", line: "2024-10-03 14:22:05 cust_1 /a 200 86400.0000005",
		wantErr: logstats.ErrInvalidLatency, reason: `latency "86400.0000005" is more than 24 hours`},
	{name: "ErrLatencyHuge", line: "2024-10-03 14:22:05 cust_1 /a 200 123456789012345678901234567890",
		wantErr: logstats.ErrInvalidLatency, reason: `latency "123456789012345678901234567890" is more than 24 hours`},
	{name: "ErrLongFieldTruncatedInReason", line: "2024-10-03 14:22:05 cust_1 /a " + strings.Repeat("9x", 100) + " 1",
		wantErr: logstats.ErrInvalidStatus, reason: `status "` + strings.Repeat("9x", 32) + `..." is not an integer`},
}

func TestParse(t *testing.T) {
	for _, tt := range parseFixtures {
		t.Run(tt.name, func(t *testing.T) {
			got, err := logstats.ParseLine(tt.line)
			if tt.wantErr == nil {
				if err != nil {
					t.Fatalf("ParseLine(%q) error: %v", tt.line, err)
				}
				if !got.Time.Equal(tt.want.Time) || got.Time.Location() != time.UTC {
					t.Fatalf("Time=%v, want %v UTC", got.Time, tt.want.Time)
				}
				got.Time = tt.want.Time
				if !reflect.DeepEqual(got, tt.want) {
					t.Fatalf("ParseLine(%q)=%+v, want %+v", tt.line, got, tt.want)
				}
				return
			}
			var perr *logstats.ParseError
			if !errors.As(err, &perr) {
				t.Fatalf("ParseLine(%q) error=%v, want a *ParseError", tt.line, err)
			}
			if !errors.Is(err, tt.wantErr) || !errors.Is(err, logstats.ErrMalformedLine) {
				t.Fatalf("error %v is not %v and ErrMalformedLine", err, tt.wantErr)
			}
			if perr.Line != 0 || perr.Reason != tt.reason || err.Error() != tt.reason {
				t.Fatalf("error=%q (line %d), want %q (line 0)", err.Error(), perr.Line, tt.reason)
			}
		})
	}
}

// TestParser_LineNumbers feeds every fixture as one stream, with blank lines
// in between that must be skipped but counted.
func TestParser_LineNumbers(t *testing.T) {
	var log strings.Builder
	lineOf := make([]int, len(parseFixtures))
	n := 0
	for i, tt := range parseFixtures {
		if i%5 == 0 {
			log.WriteString(" \t\n")
			n++
		}
		log.WriteString(tt.line + "\n")
		n++
		lineOf[i] = n
	}
	p := mustParser(t, strings.NewReader(log.String()), logstats.ParseConfig{})
	for i, tt := range parseFixtures {
		got, err := p.Next()
		if p.Line() != lineOf[i] {
			t.Fatalf("%s: Line()=%d, want %d", tt.name, p.Line(), lineOf[i])
		}
		if tt.wantErr == nil {
			if err != nil || got.CustomerID != tt.want.CustomerID {
				t.Fatalf("%s: Next()=%+v, %v", tt.name, got, err)
			}
			continue
		}
		var perr *logstats.ParseError
		if !errors.As(err, &perr) || perr.Line != lineOf[i] || perr.Reason != tt.reason {
			t.Fatalf("%s: Next() error=%v, want line %d: %s", tt.name, err, lineOf[i], tt.reason)
		}
		if want := fmt.Sprintf("line %d: %s", lineOf[i], tt.reason); err.Error() != want {
			t.Fatalf("%s: error=%q, want %q", tt.name, err.Error(), want)
		}
	}
	if _, err := p.Next(); err != io.EOF {
		t.Fatalf("Next() at end = %v, want io.EOF", err)
	}
	if got, want := p.Offset(), int64(log.Len()); got != want {
		t.Fatalf("Offset()=%d, want %d", got, want)
	}
}

func TestParser_Stream(t *testing.T) {
	const valid = "2024-10-03 14:22:05 cust_1 /a 200 0.5"
	t.Run("OK", func(t *testing.T) {
		entries, errs := parseAll(t, strings.NewReader(valid+"\n"+valid+"\n"))
		if len(entries) != 2 || len(errs) != 0 {
			t.Fatalf("got %d entries, %v errors, want 2, none", len(entries), errs)
		}
	})
	t.Run("OKNoTrailingNewline", func(t *testing.T) {
		entries, errs := parseAll(t, strings.NewReader(valid+"\n"+valid))
		if len(entries) != 2 || len(errs) != 0 {
			t.Fatalf("got %d entries, %v errors, want 2, none", len(entries), errs)
		}
	})
	t.Run("OKEmpty", func(t *testing.T) {
		entries, errs := parseAll(t, strings.NewReader(""))
		if len(entries) != 0 || len(errs) != 0 {
			t.Fatalf("got %d entries, %v errors, want none", len(entries), errs)
		}
	})
	t.Run("OKCRLF", func(t *testing.T) {
		entries, errs := parseAll(t, strings.NewReader(valid+"\r\n\r\n"+valid+"\r\n"))
		if len(entries) != 2 || len(errs) != 0 {
			t.Fatalf("got %d entries, %v errors, want 2, none", len(entries), errs)
		}
	})
	t.Run("OKGzip", func(t *testing.T) {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		for range 1000 {
			fmt.Fprintln(zw, valid)
		}
		fmt.Fprintln(zw, "bad line")
		zw.Close()
		entries, errs := parseAll(t, &buf)
		if len(entries) != 1000 || len(errs) != 1 || errs[0].Line != 1001 {
			t.Fatalf("got %d entries, errors %v, want 1000 and line 1001", len(entries), errs)
		}
	})
	t.Run("OKGzipMultiMember", func(t *testing.T) {
		var buf bytes.Buffer
		for range 2 {
			zw := gzip.NewWriter(&buf)
			fmt.Fprintln(zw, valid)
			zw.Close()
		}
		entries, errs := parseAll(t, &buf)
		if len(entries) != 2 || len(errs) != 0 {
			t.Fatalf("got %d entries, %v errors, want 2, none", len(entries), errs)
		}
	})
	t.Run("ErrCorruptGzip", func(t *testing.T) {
		p := mustParser(t, strings.NewReader("\x1f\x8b\x08\x00garbage"), logstats.ParseConfig{})
		_, err := p.Next()
		var perr *logstats.ParseError
		if err == nil || err == io.EOF || errors.As(err, &perr) {
			t.Fatalf("Next()=%v, want a read error", err)
		}
	})
	t.Run("ErrReadFails", func(t *testing.T) {
		boom := errors.New("disk on fire")
		p := mustParser(t, io.MultiReader(strings.NewReader(valid+"\n"), errReader{boom}), logstats.ParseConfig{})
		if _, err := p.Next(); err != nil {
			t.Fatalf("first Next()=%v", err)
		}
		if _, err := p.Next(); !errors.Is(err, boom) {
			t.Fatalf("second Next()=%v, want %v", err, boom)
		}
	})
	t.Run("ErrLineTooLong", func(t *testing.T) {
		long := strings.Repeat("x", logstats.MaxLineBytes+1)
		entries, errs := parseAll(t, strings.NewReader(valid+"\n"+long+"\n"+valid+"\n"+long))
		if len(entries) != 2 || len(errs) != 2 {
			t.Fatalf("got %d entries, %v errors, want 2 and 2", len(entries), errs)
		}
		for i, line := range []int{2, 4} {
			want := fmt.Sprintf("line %d: line is 65537 bytes long, more than the limit of 65536", line)
			if errs[i].Error() != want || !errors.Is(errs[i], logstats.ErrLineTooLong) {
				t.Fatalf("error %d = %v, want %s", i, errs[i], want)
			}
		}
	})
	t.Run("OKLongestLine", func(t *testing.T) {
		pad := strings.Repeat(" ", logstats.MaxLineBytes-len(valid))
		entries, errs := parseAll(t, strings.NewReader(valid+pad+"\r\n"+valid+pad))
		if len(entries) != 2 || len(errs) != 0 {
			t.Fatalf("got %d entries, %v errors, want 2, none", len(entries), errs)
		}
	})
}

// TestParser_LongLineBoundedMemory reads a 64 MiB line and checks that the
// parser's allocations do not grow with it.
func TestParser_LongLineBoundedMemory(t *testing.T) {
	const size = 64 << 20
	r := io.MultiReader(
		strings.NewReader("2024-10-03 14:22:05 c /a 200 1\n"),
		io.LimitReader(repeatReader('x'), size),
		strings.NewReader("\n2024-10-03 14:22:05 c /a 200 1\n"),
	)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	entries, errs := parseAll(t, r)
	runtime.ReadMemStats(&after)
	if len(entries) != 2 || len(errs) != 1 || errs[0].Line != 2 {
		t.Fatalf("got %d entries, errors %v, want 2 and one on line 2", len(entries), errs)
	}
	if want := fmt.Sprintf("line 2: line is %d bytes long, more than the limit of 65536", size); errs[0].Error() != want {
		t.Fatalf("error=%v, want %s", errs[0], want)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 2<<20 {
		t.Fatalf("parsing a %d-byte line allocated %d bytes, want at most 2 MiB", size, alloc)
	}
}

// TestParser_NoAllocs checks the hot path: once a customer and path have been
// seen, a valid line costs no allocation.
func TestParser_NoAllocs(t *testing.T) {
	for _, name := range append(logstats.FormatNames(), jsonlDuration) {
		t.Run(name, func(t *testing.T) {
			tab, lines := formatLines(t, name)
			p := newFormatParser(t, tab, repeatLines(lines))
			checkNoAllocs(t, p)
		})
	}
}

// checkNoAllocs checks that p, reading valid lines, allocates nothing for
// a line once its intern tables are warm.
func checkNoAllocs(t *testing.T, p *logstats.Parser) {
	t.Helper()
	for range 1000 {
		if _, err := p.Next(); err != nil {
			t.Fatal(err)
		}
	}
	allocs := testing.AllocsPerRun(10000, func() {
		if _, err := p.Next(); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Fatalf("Next allocates %v times per valid line, want 0", allocs)
	}
}

// TestEntry_String checks that formatting a parsed entry gives a line that
// parses back to the same entry.
func TestEntry_String(t *testing.T) {
	for _, tt := range parseFixtures {
		if tt.wantErr != nil {
			continue
		}
		line := tt.want.String()
		got, err := logstats.ParseLine(line)
		if err != nil || !got.Time.Equal(tt.want.Time) {
			t.Fatalf("%s: ParseLine(%q)=%v, %v", tt.name, line, got, err)
		}
		got.Time = tt.want.Time
		if !reflect.DeepEqual(got, tt.want) {
			t.Fatalf("%s: round trip %q gave %+v, want %+v", tt.name, line, got, tt.want)
		}
	}
	if got, want := parseFixtures[0].want.String(), parseFixtures[0].line; got != want {
		t.Fatalf("String()=%q, want %q", got, want)
	}
}

func TestParser_Location(t *testing.T) {
	loc := time.FixedZone("UTC+2", 2*60*60)
	p := mustParser(t, strings.NewReader("2024-10-03 01:00:00 c /a 200 1\n"), logstats.ParseConfig{Location: loc})
	e, err := p.Next()
	if err != nil {
		t.Fatal(err)
	}
	if want := utc("2024-10-02 23:00:00"); !e.Time.Equal(want) {
		t.Fatalf("Time=%v, want %v", e.Time, want)
	}
	if got, want := logstats.DateOf(e.Time).String(), "2024-10-02"; got != want {
		t.Fatalf("UTC day=%s, want %s", got, want)
	}
	// Another Location is another Parser.
	p = mustParser(t, nil, logstats.ParseConfig{Location: time.UTC})
	if e, err := p.Parse([]byte("2024-10-03 01:00:00 c /a 200 1")); err != nil || !e.Time.Equal(utc("2024-10-03 01:00:00")) {
		t.Fatalf("after Location=UTC: Time=%v, %v", e.Time, err)
	}
	// Days are UTC days, which must be dates of years 0001-9999 too.
	for _, tc := range []struct {
		offset int
		line   string
	}{
		{14, "0001-01-01 01:00:00 c /a 200 1"},
		{-12, "9999-12-31 20:00:00 c /a 200 1"},
	} {
		p := mustParser(t, nil, logstats.ParseConfig{Location: time.FixedZone("x", tc.offset*60*60)})
		if _, err := p.Parse([]byte(tc.line)); !errors.Is(err, logstats.ErrInvalidDate) || !strings.Contains(err.Error(), "outside the years 0001-9999 in UTC") {
			t.Fatalf("Parse(%q) in UTC%+d: %v, want ErrInvalidDate", tc.line, tc.offset, err)
		}
	}
}

// BenchmarkParse parses the valid lines of each built-in format's table
// over and over: logstats from the parser's fixtures, the others from
// format_test.go's tables.
func BenchmarkParse(b *testing.B) {
	for _, name := range logstats.FormatNames() {
		b.Run(name, func(b *testing.B) {
			tab, lines := formatLines(b, name)
			size := 0
			for _, l := range lines {
				size += len(l) + 1
			}
			p := newFormatParser(b, tab, repeatLines(lines))
			b.SetBytes(int64(size / len(lines)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := p.Next(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// formatLines returns the first table of the built-in format name and its
// valid lines (for logstats, the parser's fixtures).
func formatLines(tb testing.TB, name string) (formatTable, []string) {
	if name == "logstats" {
		return formatTable{format: name}, validFixtureLines(tb)
	}
	for _, tab := range formatTables {
		if tab.format != name {
			continue
		}
		var lines []string
		for _, tc := range tab.cases {
			if tc.err == nil {
				lines = append(lines, tc.line)
			}
		}
		return tab, lines
	}
	tb.Fatalf("no table of format %s", name)
	return formatTable{}, nil
}

func validFixtureLines(tb testing.TB) []string {
	tb.Helper()
	var lines []string
	for _, tt := range parseFixtures {
		if tt.wantErr == nil {
			lines = append(lines, tt.line)
		}
	}
	return lines
}

func parseAll(t *testing.T, r io.Reader) ([]logstats.Entry, []*logstats.ParseError) {
	t.Helper()
	var entries []logstats.Entry
	var errs []*logstats.ParseError
	p := mustParser(t, r, logstats.ParseConfig{})
	for {
		e, err := p.Next()
		var perr *logstats.ParseError
		switch {
		case err == io.EOF:
			return entries, errs
		case errors.As(err, &perr):
			errs = append(errs, perr)
		case err != nil:
			t.Fatalf("Next(): %v", err)
		default:
			entries = append(entries, e)
		}
	}
}

type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }

// repeatReader is an endless stream of one byte.
type repeatReader byte

func (r repeatReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(r)
	}
	return len(p), nil
}

// repeatLines returns an endless stream of lines, without allocating per read.
func repeatLines(lines []string) io.Reader {
	data := []byte(strings.Join(lines, "\n") + "\n")
	return &cycleReader{data: data}
}

type cycleReader struct {
	data []byte
	off  int
}

func (r *cycleReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		k := copy(p[n:], r.data[r.off:])
		n += k
		r.off = (r.off + k) % len(r.data)
	}
	return n, nil
}
