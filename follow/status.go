package follow

import (
	"slices"
	"strings"
)

// FileStatus is what a Follower knows of one followed file.
type FileStatus struct {
	Path string `json:"path"`
	// Size is the file's size at the last round; Committed how much of it
	// is loaded (a Checkpoint's offset; for a compressed file, its size once
	// loaded).
	Size      int64 `json:"size"`
	Committed int64 `json:"committed"`
	// LagBytes is what is not committed yet, a last line still without its
	// newline included; LagSeconds how long the oldest of it has waited.
	LagBytes     int64   `json:"lag_bytes"`
	LagSeconds   float64 `json:"lag_seconds"`
	Lines        int64   `json:"lines"`
	Inserted     int64   `json:"inserted"`
	Malformed    int64   `json:"malformed"`
	Unattributed int64   `json:"unattributed"`
	Compressed   bool    `json:"compressed,omitempty"`
	// CopyOf, when set, names the file this one is a rotated copy of
	// (copytruncate): it stops before what was loaded from that file, so
	// it adds nothing.
	CopyOf string `json:"copy_of,omitempty"`
	// Error is the last load's error, until a load of the file succeeds.
	Error string `json:"error,omitempty"`
	// RefusedBytes, when the file's load was refused (Error says why) and
	// waits for the file to change, is how many of its bytes are not
	// loaded.
	RefusedBytes int64 `json:"refused_bytes,omitempty"`
}

// Status returns the state of every file the Follower tracks, by path, and
// its totals.
func (f *Follower) Status() ([]FileStatus, Totals) {
	now := f.now()
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]FileStatus, 0, len(f.files))
	total := f.total
	for _, t := range f.files {
		s := t.pub
		if !t.pubBehind.IsZero() {
			s.LagSeconds = now.Sub(t.pubBehind).Seconds()
		}
		if s.RefusedBytes > 0 {
			total.RefusedBytes += s.RefusedBytes
			total.RefusedFiles++
		}
		out = append(out, s)
	}
	slices.SortFunc(out, func(a, b FileStatus) int { return strings.Compare(a.Path, b.Path) })
	return out, total
}

// publish makes t's state, which only the round's goroutine changes, what
// Status shows.
func (f *Follower) publish(t *tracked) {
	s := FileStatus{Path: t.path, Size: t.size, Compressed: t.gzip, CopyOf: t.copyOf}
	switch {
	case t.cp != nil:
		s.Committed = t.cp.Offset
	case t.copyOf != "", t.gzip && t.lastErr == nil:
		s.Committed = t.loaded
	}
	if !t.gzip {
		s.LagBytes = max(0, t.size-s.Committed)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if t.lastErr != nil {
		s.Error = t.lastErr.Error()
	}
	if t.err != nil {
		s.RefusedBytes = max(0, t.size-s.Committed)
	}
	s.Lines, s.Inserted, s.Malformed, s.Unattributed = t.lines, t.inserted, t.malformed, t.unattached
	t.pub, t.pubBehind = s, t.behind
}
