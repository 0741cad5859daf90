package logstats

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// FuzzSplitFields checks the fast field splitter against the byte-at-a-time
// one, which treats spaces and tabs alike.
func FuzzSplitFields(f *testing.F) {
	for _, s := range []string{"", " ", "a", " a  b\t", "2024-10-01 00:00:00 c /p 200 0.1", "a\tb c", "\t\t", "a b c d e f g h", "  x  "} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		var fast, slow [6][]byte
		n, m := splitFields(line, &fast), splitFieldsSlow(line, &slow)
		if n != m {
			t.Fatalf("%q: %d fields, the slow splitter says %d", line, n, m)
		}
		for i := range min(n, 6) {
			if !slices.Equal(fast[i], slow[i]) {
				t.Fatalf("%q: field %d is %q, the slow splitter says %q", line, i, fast[i], slow[i])
			}
		}
	})
}

// FuzzParseLogstatsFast checks the one-pass parser of the logstats format's
// usual lines against the field-by-field one: every line it takes, the
// other reads the same.
func FuzzParseLogstatsFast(f *testing.F) {
	for _, s := range []string{
		"2024-10-03 14:22:05 cust_17 /api/v1/resource2 404 1.234",
		"2024-02-29 00:00:00 c /x 599 0.1234565",
		"2024-10-03 14:22:05 c /x 200 86400.000000",
		"2024-10-03 14:22:05 c /x 200 86400.0000005",
		"2024-10-03 14:22:05 - /\v 100 -",
		"2023-02-29 14:22:05 c /x 200 1",
		"0001-01-01 00:00:00 c /x 200 00000.99999949",
		"2024-10-03 14:22:05 c /x\t 200 1",
		"2024-10-03 14:22:05 c /x 200 1 ",
		"2024-10-13 23:59:59 c /x 200 1.",
		"2024-11-03 14:22:05 c /x 200 99999.5",
		"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00 14:22:05 c /x 200 1",
	} {
		f.Add([]byte(s), false)
		f.Add([]byte(s), true)
	}
	f.Fuzz(func(t *testing.T, line []byte, zoned bool) {
		loc := time.UTC
		if zoned {
			loc = time.FixedZone("UTC-12", -12*3600)
		}
		// Twice, the second time with its date cached; after a line of
		// another day, whose date may share its entry.
		p := &logstatsParser{loc: loc}
		var fast, again fields
		p.parseFast([]byte("2024-10-03 14:22:05 c /x 200 1"), &fast)
		if !p.parseFast(line, &fast) {
			return
		}
		if !p.parseFast(line, &again) || !sameFields(fast, again) {
			t.Fatalf("%q: %+v, then %+v", line, fast, again)
		}
		var field [6][]byte
		if n := splitFields(line, &field); n != 6 {
			t.Fatalf("%q: the fast parser took a line of %d fields", line, n)
		}
		// The field-by-field parser, without the fast path in front.
		var slow fields
		if perr := parseLogstatsFields(line, loc, &slow); perr != nil {
			t.Fatalf("%q: the fast parser took a line that is malformed: %v", line, perr)
		}
		if !sameFields(fast, slow) {
			t.Fatalf("%q: fast %+v, field by field %+v", line, fast, slow)
		}
	})
}

func sameFields(a, b fields) bool {
	return a.time.Equal(b.time) && a.time.Location() == b.time.Location() &&
		slices.Equal(a.customer, b.customer) && slices.Equal(a.method, b.method) && slices.Equal(a.target, b.target) &&
		slices.Equal(a.query, b.query) && a.status == b.status && a.latency == b.latency
}

// FuzzWordScans checks the word-at-a-time scans of parseFast against a
// byte at a time.
func FuzzWordScans(f *testing.F) {
	for _, s := range []string{"", "cust_1 ", "abcdefgh\x7f", "/api/v1/resource2 200", "/a\tb", strings.Repeat("p", 70) + " x", "caf\xc3\xa9 x"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		printable := len(b)
		for i := len(b) - 1; i >= 0; i-- {
			if b[i] < 0x21 || b[i] >= 0x7f {
				printable = i
			}
		}
		if got := printableEnd(b); got != printable {
			t.Fatalf("printableEnd(%q)=%d, want %d", b, got, printable)
		}
		end := fieldEnd(b)
		if end < 0 || end > len(b) || slices.ContainsFunc(b[:end], isSep) || (end < len(b) && b[end] >= 0x21) {
			t.Fatalf("fieldEnd(%q)=%d: not the end of a field", b, end)
		}
	})
}
