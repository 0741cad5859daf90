package runner

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/logstats/logstats"
)

// Summary is what a run did, printed as one JSON object with -json.
type Summary struct {
	DryRun bool          `json:"dry_run"`
	Files  []FileSummary `json:"files"`
	Total  Totals        `json:"total"`
	Pruned *PruneSummary `json:"pruned,omitempty"`
	// Follow is what -follow did.
	Follow *FollowSummary `json:"follow,omitempty"`
	// Verify is what -verify found.
	Verify *logstats.VerifyReport `json:"verify,omitempty"`
	// CreatedKey is the key -create-key made, the key itself included.
	CreatedKey *CreatedKey `json:"created_key,omitempty"`
	// Keys are the keys -list-keys found.
	Keys []logstats.Key `json:"keys,omitempty"`
	// RevokedKey is the id of the key -revoke-key revoked.
	RevokedKey string `json:"revoked_key,omitempty"`
	// Sources are the sources -sources found.
	Sources []logstats.Source `json:"sources,omitempty"`
	// Forgotten is what -forget removed.
	Forgotten *logstats.ForgetResult `json:"forgotten,omitempty"`
	Error     string                 `json:"error,omitempty"`
}

// FileSummary is what a run did with one file: the load result, in the JSON
// shape POST /load answers with, and the file's name and time.
type FileSummary struct {
	File string `json:"file"`
	*logstats.LoadResult
	Valid   *int64  `json:"valid,omitempty"` // dry runs only
	Seconds float64 `json:"seconds"`
}

// Totals add up the files of a run.
type Totals struct {
	Files                int     `json:"files"`
	Lines                int64   `json:"lines"`
	Inserted             int64   `json:"inserted"`
	SkippedAlreadyLoaded int64   `json:"skipped_already_loaded"`
	Malformed            int64   `json:"malformed"`
	Unattributed         int64   `json:"unattributed"`
	Seconds              float64 `json:"seconds"`
	LinesPerSecond       int64   `json:"lines_per_second"`
}

// PruneSummary is what -prune-before deleted.
type PruneSummary struct {
	Before   string `json:"before"`
	Requests int64  `json:"requests"`
	Days     int64  `json:"days"`
}

// Print writes the summary: the total line of several files, or with asJSON
// the whole summary as one JSON object, err included.
func (s *Summary) Print(w io.Writer, asJSON bool, err error) {
	if err != nil {
		s.Error = err.Error()
	}
	t := &s.Total
	t.LinesPerSecond = int64(float64(t.Lines-t.SkippedAlreadyLoaded) / max(t.Seconds, 1e-9))
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetEscapeHTML(false)
		enc.Encode(s)
	} else if len(s.Files) > 1 {
		fmt.Fprintln(w, t.text(s.DryRun))
	}
}

// Add counts f in the totals and the list of files.
func (s *Summary) Add(f FileSummary) {
	s.Files = append(s.Files, f)
	t := &s.Total
	t.Files++
	t.Lines += f.Lines
	t.Inserted += f.Inserted
	t.SkippedAlreadyLoaded += f.SkippedAlreadyLoaded
	t.Malformed += f.Malformed
	t.Unattributed += f.Unattributed
	t.Seconds += f.Seconds
}

func (t Totals) text(dryRun bool) string {
	if dryRun {
		return fmt.Sprintf("total: %d files, %d lines, %d malformed, %d unattributed, parsed in %.3fs (%s lines/s)",
			t.Files, t.Lines, t.Malformed, t.Unattributed, t.Seconds, thousands(t.LinesPerSecond))
	}
	return fmt.Sprintf("total: %d files, %d lines, %d inserted, %d already loaded, %d malformed, %d unattributed in %.3fs (%s lines/s)",
		t.Files, t.Lines, t.Inserted, t.SkippedAlreadyLoaded, t.Malformed, t.Unattributed, t.Seconds, thousands(t.LinesPerSecond))
}

// thousands formats n with thousands separators: 1234567 -> "1,234,567".
func thousands(n int64) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0 && s[i-1] != '-'; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
