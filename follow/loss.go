package follow

import (
	"context"
	"time"
)

// A loss is a span of a source's bytes that a rotation took away from the
// file the Follower was reading before it had committed them
// (copytruncate). A rotated copy that the globs match brings them back; if
// none has brought the source's ledger that far after LossGrace, the bytes
// are counted as lost.
type loss struct {
	source     int64
	from, upTo int64 // the bytes [from, upTo) of the source were seen, not committed
	file       string
	since      time.Time
}

// settleLosses counts the losses whose grace has passed and that the
// ledger does not cover.
func (f *Follower) settleLosses(ctx context.Context) {
	f.mu.Lock()
	var due []*loss
	kept := f.losses[:0]
	for _, l := range f.losses {
		if f.now().Sub(l.since) >= durationOr(f.LossGrace, DefaultLossGrace) {
			due = append(due, l)
		} else {
			kept = append(kept, l)
		}
	}
	f.losses = kept
	f.mu.Unlock()
	for _, l := range due {
		offset, _, err := f.Ingester.Committed(ctx, l.source)
		if err != nil {
			f.mu.Lock()
			l.since = f.now() // try again later
			f.losses = append(f.losses, l)
			f.mu.Unlock()
			continue
		}
		if offset >= l.upTo {
			continue
		}
		lost := l.upTo - max(offset, l.from)
		f.log().Warn("lines lost to a rotation", "file", l.file, "bytes", lost,
			"hint", "the file was truncated before it was read to its end, and no file the globs match holds the rest; include the rotated names in the globs (access.log*)")
		f.mu.Lock()
		f.total.LostBytes += lost
		f.mu.Unlock()
	}
}
