package logstats_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/logstats/logstats"
)

// TestCheckFile compares CheckFile, with the file cut into 1 to 7 parts,
// with one Parser reading it whole: the same counts and the same malformed
// lines with the same line numbers.
func TestCheckFile(t *testing.T) {
	base := genLog(t, 3000, 11, 0.02)
	long := "2024-10-01 00:00:00 c /" + strings.Repeat("x", logstats.MaxLineBytes) + " 200 0.1\n"
	logs := map[string]string{
		"generated":        base,
		"blank and CRLF":   "\n\n" + strings.ReplaceAll(base[:2000], "\n", "\r\n") + "\n \n" + base[2000:],
		"no final newline": strings.TrimSuffix(base, "\n"),
		"overlong lines":   base[:1000] + long + base[1000:5000] + long + long + base[5000:],
		"one line":         "2024-10-01 00:00:00 c /p 200 0.1\n",
		"empty":            "",
		"only malformed":   "x\ny\nz\n",
		"tabs and spaces":  strings.ReplaceAll(base, " ", " \t "),
	}
	dir := t.TempDir()
	for name, text := range logs {
		t.Run(name, func(t *testing.T) {
			want := parseWhole(t, text)
			path := filepath.Join(dir, strings.ReplaceAll(name, " ", "_"))
			if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
				t.Fatal(err)
			}
			for workers := 1; workers <= 7; workers++ {
				got, err := logstats.CheckFile(context.Background(), path, logstats.CheckOptions{Workers: workers, MaxErrors: 1000})
				if err != nil {
					t.Fatalf("%d workers: %v", workers, err)
				}
				checkSameResult(t, got, want)
			}
		})
	}
	t.Run("gzip", func(t *testing.T) {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		zw.Write([]byte(base))
		zw.Close()
		path := filepath.Join(dir, "log.gz")
		os.WriteFile(path, buf.Bytes(), 0o644)
		got, err := logstats.CheckFile(context.Background(), path, logstats.CheckOptions{Workers: 4, MaxErrors: 1000})
		if err != nil {
			t.Fatal(err)
		}
		checkSameResult(t, got, parseWhole(t, base))
	})
	t.Run("MaxErrors", func(t *testing.T) {
		path := filepath.Join(dir, "generated")
		got, err := logstats.CheckFile(context.Background(), path, logstats.CheckOptions{Workers: 3, MaxErrors: 5})
		if err != nil {
			t.Fatal(err)
		}
		want := parseWhole(t, base)
		if len(got.Errors) != 5 || got.Malformed != want.Malformed {
			t.Fatalf("%d errors listed of %d malformed, want 5 of %d", len(got.Errors), got.Malformed, want.Malformed)
		}
		for i, e := range got.Errors {
			if e.Error() != want.Errors[i].Error() {
				t.Fatalf("error %d = %q, want %q", i, e, want.Errors[i])
			}
		}
	})
	t.Run("missing file", func(t *testing.T) {
		if _, err := logstats.CheckFile(context.Background(), filepath.Join(dir, "nope"), logstats.CheckOptions{}); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("err=%v, want os.ErrNotExist", err)
		}
	})
}

// parseWhole reads text with one Parser.
func parseWhole(t *testing.T, text string) *logstats.CheckResult {
	t.Helper()
	p := mustParser(t, strings.NewReader(text), logstats.ParseConfig{})
	res := &logstats.CheckResult{}
	for {
		_, err := p.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		var perr *logstats.ParseError
		switch {
		case errors.As(err, &perr):
			res.Malformed++
			res.Errors = append(res.Errors, perr)
		case err != nil:
			t.Fatal(err)
		default:
			res.Requests++
		}
	}
	res.Lines = int64(p.Line())
	res.Blank = res.Lines - res.Requests - res.Malformed // Next skips them
	res.Bytes = int64(len(text))
	return res
}

func checkSameResult(t *testing.T, got, want *logstats.CheckResult) {
	t.Helper()
	if got.Lines != want.Lines || got.Requests != want.Requests || got.Malformed != want.Malformed || len(got.Errors) != len(want.Errors) ||
		got.Blank != want.Blank || got.Bytes != want.Bytes {
		t.Fatalf("got %d lines, %d requests, %d malformed (%d listed), %d blank, %d bytes; want %d, %d, %d (%d), %d, %d",
			got.Lines, got.Requests, got.Malformed, len(got.Errors), got.Blank, got.Bytes,
			want.Lines, want.Requests, want.Malformed, len(want.Errors), want.Blank, want.Bytes)
	}
	for i := range got.Errors {
		if got.Errors[i].Error() != want.Errors[i].Error() {
			t.Fatalf("error %d = %q, want %q", i, got.Errors[i], want.Errors[i])
		}
	}
}
