package logstats

import (
	"slices"
	"testing"
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
