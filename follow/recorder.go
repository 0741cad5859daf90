package follow

import (
	"bytes"
	"errors"
	"io"
	"os"
)

// recordBytes is how many of the last bytes a load read a recorder keeps:
// more than a load reads ahead of where it stops (its 256 KiB buffer, plus
// the 4 KiB that sniff for gzip).
const recordBytes = 512 << 10

// A recorder is the reader a round's load reads a file through. It keeps
// the file's first bytes and the last bytes read, so that the round can
// remember the bytes before its checkpoint as the load read them: read
// again from the file after the load, they could already be a rotation's
// new content.
type recorder struct {
	r     io.Reader
	off   int64  // file offset of the next byte
	begin int64  // file offset of the first byte recorded
	head  []byte // the file's first edgeBytes, when the load started at 0
	// fromStart: the load started at 0, so head is being recorded.
	fromStart bool
	ring      []byte // len recordBytes; byte at offset o is ring[o%recordBytes]
	// file, when set, is the file r reads; after each read the recorder
	// checks that it still starts with head (known, for a load that starts
	// further on), so that bytes read from a file truncated and written
	// again meanwhile are never taken for its own.
	file  *os.File
	known []byte
	check [edgeBytes]byte
}

func newRecorder(r io.Reader, start int64, ring []byte, file *os.File, known []byte) *recorder {
	return &recorder{r: r, off: start, begin: start, ring: ring, fromStart: start == 0, file: file, known: known}
}

func (c *recorder) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	b := p[:n]
	if c.fromStart && c.off < edgeBytes {
		k := min(int64(len(b)), edgeBytes-c.off)
		c.head = append(c.head, b[:k]...)
	}
	if n > 0 && c.rewritten() {
		// Read after the check, the bytes would have come from the file's
		// old content: the file was truncated (and written again) since.
		return 0, errRewritten
	}
	if len(b) > len(c.ring) {
		c.off += int64(len(b) - len(c.ring))
		b = b[len(b)-len(c.ring):]
	}
	for len(b) > 0 {
		i := int(c.off % int64(len(c.ring)))
		k := copy(c.ring[i:], b)
		b, c.off = b[k:], c.off+int64(k)
	}
	return n, err
}

// rewritten reports whether the file no longer starts with the bytes it
// started with when it was read.
func (c *recorder) rewritten() bool {
	want := c.known
	if c.fromStart {
		want = c.head
	}
	if c.file == nil || len(want) == 0 {
		return false
	}
	k, _ := c.file.ReadAt(c.check[:len(want)], 0)
	return !bytes.Equal(c.check[:k], want)
}

// span returns a copy of the bytes read at [from, to), or false when they
// were not all read, or no longer kept.
func (c *recorder) span(from, to int64) ([]byte, bool) {
	if from < c.begin || to > c.off || to-from > int64(len(c.ring)) || from < c.off-int64(len(c.ring)) {
		return nil, false
	}
	out := make([]byte, 0, to-from)
	for o := from; o < to; {
		i := int(o % int64(len(c.ring)))
		k := min(int64(len(c.ring)-i), to-o)
		out = append(out, c.ring[i:i+int(k)]...)
		o += k
	}
	return out, true
}

// errRewritten says that the bytes before a checkpoint are no longer those
// the last round read: the file was truncated and written again.
var errRewritten = errors.New("the file was rewritten since the last round")

// A tailCheck reads a file from just before a checkpoint: its first Read
// reads the bytes before the checkpoint and what follows in one read of the
// file, and fails with errRewritten unless the former are want. Growth and
// a rewrite cannot then be mistaken for each other between a check and the
// read.
type tailCheck struct {
	r       io.Reader
	want    []byte
	checked bool
	// buf, when big enough, is used for the first read (a Follower keeps
	// one for its rounds' loads).
	buf *[]byte
}

func (c *tailCheck) Read(p []byte) (int, error) {
	if c.checked {
		return c.r.Read(p)
	}
	var buf []byte
	if c.buf != nil && cap(*c.buf) >= len(c.want)+len(p) {
		buf = (*c.buf)[:len(c.want)+len(p)]
	} else {
		buf = make([]byte, len(c.want)+len(p))
		if c.buf != nil {
			*c.buf = buf
		}
	}
	n, err := c.r.Read(buf)
	if n < len(c.want) {
		if err == nil || errors.Is(err, io.EOF) {
			err = errRewritten // shorter than it was
		}
		return 0, err
	}
	if !bytes.Equal(buf[:len(c.want)], c.want) {
		return 0, errRewritten
	}
	c.checked = true
	return copy(p, buf[len(c.want):n]), err
}
