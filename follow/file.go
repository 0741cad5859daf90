package follow

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/logstats/logstats"
)

// tracked is a file the Follower knows: one inode, whatever its name now.
type tracked struct {
	id     fileID
	path   string // its name at the last scan that found it
	opened time.Time
	file   *os.File // nil while closed (idle, or not openable)
	gzip   bool     // compressed: loaded whole, once per size

	cp      *logstats.Checkpoint // where the next round goes on from; nil: load it whole
	source  int64                // the source its lines are in, once known
	size    int64                // its size at the last round
	loaded  int64                // size it had when last loaded without error
	pending int64                // a last line without a newline, waiting for it
	head    []byte               // its first bytes, to notice a rewrite
	tail    []byte               // the bytes before cp.Offset, to notice a rewrite
	marks   []mark               // its recent checkpoints, to recognise its copies
	copyOf  string               // a rotated copy of this file, whose loads went further

	grew    time.Time     // when it last grew
	behind  time.Time     // since when it has bytes not committed; zero: none
	gone    bool          // no longer matched by the globs
	err     error         // the last load's error that waits for the file to change
	lastErr error         // the last load's error, cleared by a load that succeeds
	retryAt time.Time     // after another error, when to try again
	backoff time.Duration // the wait before that retry
	// What Status shows, set by publish under the Follower's lock.
	pub       FileStatus
	pubBehind time.Time

	lines      int64
	inserted   int64
	malformed  int64
	unattached int64
}

// edgeBytes is how much of a file's start and of the bytes before its
// checkpoint a round compares, to notice a file rewritten in place.
const edgeBytes = 256

// scan matches the globs and starts tracking new files. It returns the
// sizes of the files found, by id.
func (f *Follower) scan() map[fileID]int64 {
	seen := make(map[fileID]int64)
	var paths []string
	for _, g := range f.Globs {
		m, _ := filepath.Glob(g) // patterns were checked by Run
		paths = append(paths, m...)
	}
	slices.Sort(paths)
	paths = slices.Compact(paths)
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil || !fi.Mode().IsRegular() {
			continue
		}
		id := idOf(p, fi)
		if _, dup := seen[id]; dup {
			continue // a hard link, or two globs
		}
		seen[id] = fi.Size()
		f.mu.Lock()
		t := f.files[id]
		if t != nil && t.file == nil && !t.sameFile(p) {
			// Its inode was freed and given to another file (a closed file
			// deleted, another created): that file is new to us.
			f.log().Info("a new file with a known inode", "file", p)
			if t.cp != nil {
				f.mayHaveLostLocked(t, t.size)
			}
			t = nil
		}
		if t == nil {
			t = &tracked{id: id, path: p, opened: f.now(), gzip: isGzip(p)}
			// Shown until its first round publishes it: nothing committed.
			t.pub = FileStatus{Path: p, Size: fi.Size(), Compressed: t.gzip}
			if !t.gzip {
				t.pub.LagBytes = fi.Size()
			}
			f.files[id] = t
		} else if t.path != p {
			f.log().Info("rotated", "from", t.path, "to", p)
			t.path = p
		}
		t.gone = false
		f.mu.Unlock()
	}
	f.mu.Lock()
	for id, t := range f.files {
		if _, ok := seen[id]; !ok && !t.gone {
			t.gone = true
			f.log().Info("no longer matched", "file", t.path)
		}
	}
	f.mu.Unlock()
	return seen
}

// sameFile reports whether the file at p, which has t's inode, still
// starts with the bytes t started with: a file t no longer holds open may
// have been deleted, and its inode reused.
func (t *tracked) sameFile(p string) bool {
	if t.head == nil {
		return true // nothing read yet to compare with
	}
	file, err := os.Open(p)
	if err != nil {
		return false
	}
	defer file.Close()
	return bytes.Equal(readAt(file, 0, int64(len(t.head))), t.head)
}

// isGzip reports whether the file at p starts with gzip's magic bytes.
func isGzip(p string) bool {
	file, err := os.Open(p)
	if err != nil {
		return false
	}
	defer file.Close()
	return sniffGzip(file)
}

// sniffGzip reports whether file starts with gzip's magic bytes.
func sniffGzip(file *os.File) bool {
	return logstats.IsGzip(readAt(file, 0, 2))
}

// advance loads what t gained since the last round.
func (f *Follower) advance(ctx context.Context, t *tracked, scanned int64) {
	now := f.now()
	if t.file == nil {
		switch {
		case t.gone:
			f.forget(t)
			return
		case t.err != nil && scanned == t.size,
			t.gzip && scanned == t.loaded,
			t.copyOf != "" && scanned == t.loaded,
			t.cp != nil && scanned == t.size && t.size == t.cp.Offset+t.pending:
			return // closed, and unchanged since
		}
		file, err := os.Open(t.path)
		if errors.Is(err, fs.ErrNotExist) {
			return // renamed or deleted since the scan; the next scan finds it, or finds it gone
		}
		if err != nil {
			f.fail(t, err)
			return
		}
		if fi, err := file.Stat(); err != nil || idOf(t.path, fi) != t.id {
			file.Close() // replaced since the scan; the next scan finds it
			return
		}
		t.file = file
	}
	fi, err := t.file.Stat()
	if err != nil {
		f.fail(t, err)
		return
	}
	size, prev := fi.Size(), t.size
	if size != prev {
		t.grew, t.err, t.copyOf = now, nil, ""
	}
	t.size = size
	if t.err != nil || now.Before(t.retryAt) {
		f.closeIdle(t, now) // failed: wait for a change, or for the retry
		return
	}
	if t.loaded == 0 && t.cp == nil && !t.gzip {
		// Seen empty (a compressed copy being written, say): sniff again.
		t.gzip = sniffGzip(t.file)
	}
	if t.gzip {
		if size != t.loaded {
			f.load(ctx, t, nil)
		}
		f.closeIdle(t, now)
		return
	}
	if t.cp != nil && (size < t.cp.Offset || !f.unchanged(t)) {
		f.truncated(t, size, prev)
	}
	committed := int64(0)
	if t.cp != nil {
		committed = t.cp.Offset
	}
	if t.copyOf == "" && (size > committed+t.pending || t.cp == nil && size != t.loaded) {
		if t.behind.IsZero() {
			t.behind = now
		}
		f.load(ctx, t, t.cp)
	}
	if t.cp != nil && t.size <= t.cp.Offset+t.pending || t.cp == nil && t.size == t.loaded && t.lastErr == nil {
		// Caught up, or loaded without a checkpoint to go on from (nothing
		// but blank lines yet, say): nothing waits.
		t.behind = time.Time{}
	}
	f.closeIdle(t, now)
}

// load runs one Load of t: from cp, or, when cp is nil, of the whole file.
func (f *Follower) load(ctx context.Context, t *tracked, cp *logstats.Checkpoint) {
	start, seek := int64(0), int64(0)
	var in io.Reader = t.file
	if cp != nil {
		// Read from the bytes before the checkpoint, which must not have
		// changed.
		start, seek = cp.Offset, cp.Offset-int64(len(t.tail))
		in = &tailCheck{r: t.file, want: t.tail, buf: &f.checkBuf}
	}
	if _, err := t.file.Seek(seek, io.SeekStart); err != nil {
		f.fail(t, err)
		return
	}
	if f.ring == nil {
		f.ring = make([]byte, recordBytes)
	}
	rec := newRecorder(in, start, f.ring, t.file, t.head)
	res, err := f.Ingester.Load(ctx, t.path, rec, logstats.LoadOptions{Growing: !t.gzip, From: cp})
	f.log().Debug("loaded", "file", t.path, "from", start, "resumed", cp != nil, "size", t.size,
		"lines", res.Lines, "inserted", res.Inserted, "pending", res.PendingBytes, "err", err)
	if errors.Is(err, errRewritten) {
		f.count(t, res, err)
		if cp == nil && t.cp == nil {
			// Rewritten while read from its start: what the load committed
			// was read before (the check follows each read); the next round
			// loads what it holds now.
			t.head, t.tail, t.loaded = nil, nil, 0
			return
		}
		f.truncated(t, t.size, t.size)
		f.load(ctx, t, nil)
		return
	}
	if errors.Is(err, logstats.ErrCheckpointStale) {
		// Another load went on with this source (a rotated copy of it, or
		// another process): load the whole file, which skips what is in.
		t.cp = nil
		f.load(ctx, t, nil)
		return
	}
	f.count(t, res, err)
	if res != nil {
		for _, e := range res.Errors {
			f.log().Warn("malformed line", "file", t.path, "line", e.Line, "reason", e.Reason)
		}
		if n := int64(len(res.Errors)); res.Malformed > n {
			f.log().Warn("more malformed lines not shown", "file", t.path, "shown", n, "malformed", res.Malformed)
		}
	}
	// The bytes that tell this file from a rotation's new content are taken
	// from what the load read, not read again: by now the file may have
	// been truncated and written again.
	if start == 0 {
		t.head = rec.head
	}
	if err != nil {
		if ctx.Err() != nil {
			return
		}
		if cp == nil && errors.Is(err, logstats.ErrSourceChanged) {
			if of, ok := f.copyOf(t); ok {
				f.log().Info("a rotated copy of lines already loaded", "file", t.path, "copy of", of, "size", t.size)
				t.copyOf, t.loaded, t.pending, t.lastErr, t.backoff, t.retryAt = of, t.size, 0, nil, 0, time.Time{}
				return
			}
		}
		f.fail(t, err)
		return
	}
	t.loaded, t.pending, t.lastErr, t.backoff, t.retryAt = t.size, res.PendingBytes, nil, 0, time.Time{}
	next := res.Checkpoint
	if next != nil {
		f.addMark(t, next)
		from := max(0, next.Offset-edgeBytes)
		if tail, ok := rec.span(from, next.Offset); ok {
			t.tail = tail
		} else if added, ok := rec.span(start, next.Offset); ok && cp != nil {
			// Fewer new bytes than a tail: the old tail (which the load
			// checked) and what it read after it.
			tail := append(append([]byte(nil), t.tail...), added...)
			t.tail = tail[max(0, len(tail)-edgeBytes):]
		} else {
			next = nil // cannot tell a rewrite from growth: load it whole next time
		}
	}
	t.cp = next
	if t.cp != nil {
		t.source = t.cp.Source()
		if int64(len(t.head)) > t.cp.Offset {
			t.head = t.head[:t.cp.Offset]
		}
	}
}

// count adds a load's figures to t's and to the totals. Of a load that
// failed, only the requests its committed batches inserted count, as lines
// too: the next load skips what those batches committed, so their malformed
// and unattributed lines are not counted (the counts run low, never high).
func (f *Follower) count(t *tracked, res *logstats.LoadResult, err error) {
	if res == nil {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if err != nil {
		t.lines += res.Inserted
		t.inserted += res.Inserted
		f.total.Lines += res.Inserted
		f.total.Inserted += res.Inserted
		return
	}
	fresh := res.Lines - res.SkippedAlreadyLoaded
	t.lines += fresh
	t.inserted += res.Inserted
	t.malformed += res.Malformed
	t.unattached += res.Unattributed
	f.total.Lines += fresh
	f.total.Inserted += res.Inserted
	f.total.Malformed += res.Malformed
	f.total.Unattributed += res.Unattributed
}

// unchanged reports whether t's first bytes and those before its checkpoint
// are still those it read: a file truncated and written again past the
// checkpoint between two rounds is not the same file any more.
func (f *Follower) unchanged(t *tracked) bool {
	n := int64(len(t.tail))
	return bytes.Equal(readAt(t.file, 0, int64(len(t.head))), t.head) &&
		bytes.Equal(readAt(t.file, t.cp.Offset-n, n), t.tail)
}

// truncated handles t cut shorter than its checkpoint (copytruncate, or a
// rewrite): what it now holds is a new source, loaded whole. The bytes it
// had beyond its checkpoint, if any, are now only in a rotated copy; they
// are lost unless a copy brings its source that far.
func (f *Follower) truncated(t *tracked, size, prev int64) {
	f.log().Info("truncated", "file", t.path, "size", size, "committed", t.cp.Offset)
	f.mu.Lock()
	f.mayHaveLostLocked(t, prev)
	f.mu.Unlock()
	f.rememberCut(t)
	t.cp, t.loaded, t.pending, t.head, t.tail = nil, 0, 0, nil, nil
}

// mayHaveLostLocked records, with the Follower's lock held, that t's bytes
// from its checkpoint up to size were seen but not committed, and are no
// longer in t: a loss, unless a rotated copy brings them.
func (f *Follower) mayHaveLostLocked(t *tracked, size int64) {
	if size > t.cp.Offset {
		f.losses = append(f.losses, &loss{source: t.source, from: t.cp.Offset, upTo: size, file: t.path, since: f.now()})
	}
}

// goneGrace is how long a file no longer matched by the globs (deleted, or
// renamed away) stays open once read to its end: a writer may still be
// writing to it until it reopens its log.
const goneGrace = 5 * time.Second

// closeIdle closes t when it has not grown for IdleClose; a compressed file
// at once; a file no longer matched after goneGrace, and forgets it.
func (f *Follower) closeIdle(t *tracked, now time.Time) {
	if t.file == nil || !t.behind.IsZero() && t.err == nil {
		return
	}
	idle := now.Sub(t.grew)
	switch {
	case t.gone && idle >= goneGrace:
		f.forget(t)
	case t.gzip || idle >= durationOr(f.IdleClose, DefaultIdleClose):
		t.file.Close()
		t.file = nil
	}
}

// forget stops tracking t. The bytes of a refused file stay counted as
// refused.
func (f *Follower) forget(t *tracked) {
	f.rememberCut(t)
	if t.file != nil {
		t.file.Close()
		t.file = nil
	}
	f.mu.Lock()
	delete(f.files, t.id)
	f.total.RefusedBytes += t.pub.RefusedBytes
	f.mu.Unlock()
}

// fail records a load's error. One that only a change of the file can
// cure (it was edited, it is in another format, it would be read another
// way) waits for the file to change; any other (the database unreachable or
// busy, a file that cannot be opened) is tried again after a backoff that
// doubles from 1 s to 1 min.
func (f *Follower) fail(t *tracked, err error) {
	f.log().Warn("cannot load", "file", t.path, "err", err)
	f.mu.Lock()
	defer f.mu.Unlock()
	t.lastErr = err
	if permanent(err) {
		t.err = err
		return
	}
	t.backoff = min(max(2*t.backoff, time.Second), time.Minute)
	t.retryAt = f.now().Add(t.backoff)
}

// permanent reports whether err needs the file to change before a load of
// it can succeed.
func permanent(err error) bool {
	for _, e := range []error{logstats.ErrSourceChanged, logstats.ErrWrongFormat, logstats.ErrReadingChanged,
		logstats.ErrDayZoneChanged, logstats.ErrCorruptInput, logstats.ErrUnknownFormat, logstats.ErrInvalidSelector} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

func (f *Follower) closeAll() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, t := range f.files {
		if t.file != nil {
			t.file.Close()
			t.file = nil
		}
	}
}

// readAt returns up to n bytes of file at off.
func readAt(file *os.File, off, n int64) []byte {
	if n <= 0 || off < 0 {
		return nil
	}
	b := make([]byte, n)
	k, _ := file.ReadAt(b, off)
	return b[:k]
}
