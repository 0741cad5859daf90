package logstats

import (
	"slices"
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
	} {
		f.Add([]byte(s), false)
		f.Add([]byte(s), true)
	}
	f.Fuzz(func(t *testing.T, line []byte, zoned bool) {
		loc := time.UTC
		if zoned {
			loc = time.FixedZone("UTC-12", -12*3600)
		}
		var fast fields
		if !parseLogstatsFast(line, loc, &fast) {
			return
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
		if !fast.time.Equal(slow.time) || fast.time.Location() != slow.time.Location() ||
			!slices.Equal(fast.customer, slow.customer) || !slices.Equal(fast.target, slow.target) ||
			fast.status != slow.status || fast.latency != slow.latency || fast.method != nil || fast.query != nil {
			t.Fatalf("%q: fast %+v, field by field %+v", line, fast, slow)
		}
	})
}
