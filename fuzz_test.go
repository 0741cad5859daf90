package logstats_test

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"os"
	"testing"

	"github.com/logstats/logstats"
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
		e, err := logstats.NewParser(nil).Parse(line)
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
		p := logstats.NewParser(bytes.NewReader(data))
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
