package logstats_test

import (
	"context"
	"errors"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode"

	"github.com/logstats/logstats"
	"github.com/logstats/logstats/internal/testdb"
)

// quoted finds the Go-quoted strings of a reason.
var quoted = regexp.MustCompile(`"(?:[^"\\]|\\.)*"`)

// checkWithoutInput checks that perr.WithoutInput quotes nothing of line
// that perr's reason quotes (punctuation aside, which may be the format's
// own text), and keeps the line number and kind; it reports whether the
// reason quoted the line.
func checkWithoutInput(t *testing.T, line string, perr *logstats.ParseError) bool {
	t.Helper()
	hidden := perr.WithoutInput()
	if hidden.Line != perr.Line || !errors.Is(hidden, perr.Err) || !errors.Is(hidden, logstats.ErrMalformedLine) {
		t.Fatalf("%q: WithoutInput()=%+v lost the line number or the kind of %+v", line, hidden, perr)
	}
	quotesInput := false
	for _, q := range quoted.FindAllString(perr.Reason, -1) {
		v, err := strconv.Unquote(q)
		v = strings.TrimSuffix(v, "...") // truncated long fields
		if err != nil || v == "" || !strings.Contains(line, v) {
			continue // the format's own text, not the line's
		}
		if !strings.ContainsFunc(v, unicode.IsLetter) && !strings.ContainsFunc(v, unicode.IsDigit) {
			continue // punctuation: it may be the format's text as well
		}
		quotesInput = true
		if strings.Contains(hidden.Reason, q) {
			t.Fatalf("%q: WithoutInput().Reason=%q still quotes %s", line, hidden.Reason, q)
		}
	}
	return quotesInput
}

// TestParseError_WithoutInput runs every malformed line of the fixture
// tables through WithoutInput: no value of the line may remain quoted.
func TestParseError_WithoutInput(t *testing.T) {
	hidden := 0
	for _, tt := range parseFixtures {
		if tt.wantErr == nil {
			continue
		}
		_, err := logstats.ParseLine(tt.line)
		var perr *logstats.ParseError
		if !errors.As(err, &perr) {
			t.Fatalf("%s: %v, want a *ParseError", tt.name, err)
		}
		if checkWithoutInput(t, tt.line, perr) {
			hidden++
		}
	}
	for _, tab := range formatTables {
		for _, tc := range tab.cases {
			if tc.err == nil || tc.err == logstats.ErrUnattributed || tc.err == logstats.ErrInvalidSelector {
				continue
			}
			_, err := newFormatParser(t, tab, nil).Parse([]byte(tc.line))
			var perr *logstats.ParseError
			if errors.As(err, &perr) && checkWithoutInput(t, tc.line, perr) {
				hidden++
			}
		}
	}
	if hidden < 20 {
		t.Fatalf("only %d reasons quoted their line; the tables must exercise WithoutInput", hidden)
	}
	t.Logf("%d reasons quoted their line; WithoutInput left each value out", hidden)
}

// TestWithoutInput_CraftedFormat is the probe that read a secret file back
// through POST /load: a format of the caller's choosing that reads a field
// of the secret as the status, so that the reason quotes it. WithoutInput
// of the load's error and of its malformed lines quotes none of the file.
func TestWithoutInput_CraftedFormat(t *testing.T) {
	const secret = "hunter2-the-password"
	db := testdb.Open(t, logstats.DialectSQLite)
	ing := logstats.NewIngester(db.DB)
	f, err := logstats.ParseFormat("nginx:$remote_user=$status $request_method $request_uri $time_iso8601 $request_time")
	if err != nil {
		t.Fatal(err)
	}
	cfg := ing.ParseConfig
	cfg.Format = f
	for _, strict := range []bool{false, true} {
		res, err := ing.Load(context.Background(), "secret.txt", strings.NewReader("admin="+secret+" GET /x 2024-10-01T00:00:00+00:00 0.1\n"), logstats.LoadOptions{Parse: &cfg, Strict: strict})
		if err == nil {
			t.Fatalf("strict=%v: the secret loaded: %+v", strict, res)
		}
		if !strings.Contains(err.Error(), secret) {
			t.Fatalf("strict=%v: the error %q does not quote the field; the test no longer shows the leak", strict, err)
		}
		hidden := logstats.WithoutInput(err)
		if strings.Contains(hidden.Error(), secret) || logstats.KindOf(hidden) != logstats.KindOf(err) || !errors.Is(hidden, logstats.ErrWrongFormat) {
			t.Fatalf("strict=%v: WithoutInput(%q)=%q (kind %v)", strict, err, hidden, logstats.KindOf(hidden))
		}
		for _, e := range res.Errors {
			if r := e.WithoutInput().Reason; strings.Contains(r, secret) {
				t.Fatalf("strict=%v: malformed line reason %q quotes the secret", strict, r)
			}
		}
	}
}
