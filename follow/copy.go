package follow

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"io"
	"os"
	"time"

	"github.com/logstats/logstats"
)

// A copytruncate rotation copies the live file, then truncates it. Lines
// the writer appends between the two are in the live file only, and the
// Follower may load them from it before the truncation: the copy is then
// shorter than what is loaded of its source, and Load refuses it
// (ErrSourceChanged), as it must refuse a file cut short by an edit. The
// Follower tells the copy from an edit by what it remembers of the files it
// read: the checkpoints its loads committed in the last copyMemory, of the
// files still tracked and of those truncated since. A file shorter than its
// source's ledger is a copy when it has the first bytes of such a file and
// a checkpoint of that file at or below its length recognises its bytes
// (Checkpoint.IsPrefixOf). It is then shown as a copy of that file, not as
// an error, and loads nothing. The copy's bytes after that checkpoint, up
// to its end, are not checked: at most what one round read.

// copyMemory is how long the checkpoints a file's loads committed are kept
// to recognise its copies by (with the newest older one, which a copy of a
// log quiet for a while needs); maxMarks bounds how many, per file; maxCuts how many files
// are remembered once truncated or no longer followed; maxCopies how many
// copies.
const (
	copyMemory = time.Minute
	maxMarks   = 32
	maxCuts    = 64
	maxCopies  = 64
)

// A mark is a checkpoint a load committed, and when.
type mark struct {
	cp *logstats.Checkpoint
	at time.Time
}

// A cut is what is remembered of a file truncated, or no longer followed,
// to recognise its copies: its first bytes and its marks.
type cut struct {
	id    fileID
	path  string
	head  []byte
	marks []mark
}

// A knownCopy is a file recognised as a copy, by its size and SHA-256
// (decompressed): the same copy compressed later (delaycompress) is
// recognised by them.
type knownCopy struct {
	size int64
	sum  [sha256.Size]byte
	of   string
}

// addMark remembers cp, committed by a load of t.
func (f *Follower) addMark(t *tracked, cp *logstats.Checkpoint) {
	t.marks = append(fresh(t.marks, f.now()), mark{cp, f.now()})
	if len(t.marks) > maxMarks {
		t.marks = t.marks[len(t.marks)-maxMarks:]
	}
}

// fresh returns the marks of ms made within copyMemory of now, and the
// newest one older than that (a copy of a log quiet for a while stops
// after it).
func fresh(ms []mark, now time.Time) []mark {
	i := 0
	for i < len(ms)-1 && now.Sub(ms[i+1].at) > copyMemory {
		i++
	}
	return ms[i:]
}

// rememberCut keeps what copyOf needs of t, which is about to be
// truncated or forgotten.
func (f *Follower) rememberCut(t *tracked) {
	if len(t.marks) > 0 && len(t.head) > 0 {
		f.cuts = append(f.cuts, &cut{id: t.id, path: t.path, head: t.head, marks: fresh(t.marks, f.now())})
		if len(f.cuts) > maxCuts {
			f.cuts = f.cuts[1:]
		}
	}
	t.marks = nil
}

// copyOf reports whether t, which Load refused as shorter than what is
// loaded of its source, is a rotated copy of a file the Follower loaded
// past t's end, and of which.
func (f *Follower) copyOf(t *tracked) (string, bool) {
	c, err := readContent(t.file, t.gzip)
	if err != nil || c.size == 0 {
		return "", false
	}
	for _, k := range f.copies {
		if k.size == c.size && k.sum == c.sum {
			return k.of, true
		}
	}
	var of string
	for _, o := range f.files {
		if o != t && o.cp != nil && o.cp.Offset > c.size && f.prefixOf(t, c, o.head, o.marks) {
			of = o.path
			break
		}
	}
	for i := len(f.cuts) - 1; of == "" && i >= 0; i-- {
		// Not t's own: a file cut short in place was edited, not copied.
		// And only a file loaded past t's end.
		ms := f.cuts[i].marks
		if f.cuts[i].id != t.id && ms[len(ms)-1].cp.Offset > c.size && f.prefixOf(t, c, f.cuts[i].head, ms) {
			of = f.cuts[i].path
		}
	}
	if of == "" {
		return "", false
	}
	f.copies = append(f.copies, knownCopy{size: c.size, sum: c.sum, of: of})
	if len(f.copies) > maxCopies {
		f.copies = f.copies[1:]
	}
	return of, true
}

// prefixOf reports whether t, whose content is c, starts with head and
// with the bytes before the last of marks that is within it.
func (f *Follower) prefixOf(t *tracked, c content, head []byte, marks []mark) bool {
	// A file first loaded while short keeps a short head: compare what
	// both have (IsPrefixOf checks the rest).
	n := min(len(head), len(c.head))
	if n == 0 || !bytes.Equal(head[:n], c.head[:n]) {
		return false
	}
	var best *logstats.Checkpoint
	for _, m := range fresh(marks, f.now()) {
		if m.cp.Offset <= c.size && (best == nil || m.cp.Offset > best.Offset) {
			best = m.cp
		}
	}
	if best == nil {
		return false
	}
	r, err := contentReader(t.file, t.gzip)
	if err != nil {
		return false
	}
	defer r.Close()
	ok, err := best.IsPrefixOf(r)
	return err == nil && ok
}

// content is what copyOf compares of a file, decompressed.
type content struct {
	size int64
	sum  [sha256.Size]byte
	head []byte // its first edgeBytes
}

// readContent reads file from its start (decompressing it when gz) without
// moving its offset.
func readContent(file *os.File, gz bool) (content, error) {
	r, err := contentReader(file, gz)
	if err != nil {
		return content{}, err
	}
	defer r.Close()
	var c content
	head := make([]byte, edgeBytes)
	n, err := io.ReadFull(r, head)
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return content{}, err
	}
	c.head = head[:n]
	h := sha256.New()
	h.Write(c.head)
	rest, err := io.Copy(h, r)
	if err != nil {
		return content{}, err
	}
	c.size = int64(n) + rest
	copy(c.sum[:], h.Sum(nil))
	return c, nil
}

// contentReader reads file from its start, decompressed when gz.
func contentReader(file *os.File, gz bool) (io.ReadCloser, error) {
	r := io.NewSectionReader(file, 0, 1<<62)
	if !gz {
		return io.NopCloser(r), nil
	}
	return gzip.NewReader(r)
}
