package follow

import (
	"bytes"
	"errors"
	"io"
	"os"
	"strings"
	"testing"
	"testing/iotest"
)

// TestRecorder reads a stream through a recorder in small pieces and checks
// what it kept: the first bytes, and any span of the last recordBytes.
func TestRecorder(t *testing.T) {
	data := bytes.Repeat([]byte("0123456789abcdef"), recordBytes/8) // twice the ring
	for _, start := range []int64{0, 100} {
		rec := newRecorder(iotest.OneByteReader(bytes.NewReader(data[start:])), start, make([]byte, recordBytes), nil, nil)
		if _, err := io.Copy(io.Discard, iotest.HalfReader(rec)); err != nil {
			t.Fatal(err)
		}
		end := int64(len(data))
		if start == 0 && !bytes.Equal(rec.head, data[:edgeBytes]) {
			t.Fatalf("head = %q", rec.head)
		}
		if start > 0 && rec.head != nil {
			t.Fatalf("a recorder from offset %d kept a head", start)
		}
		for _, c := range []struct {
			from, to int64
			ok       bool
		}{
			{end - edgeBytes, end, true},
			{end - recordBytes, end, true},
			{end - recordBytes - 1, end, false},
			{end - 10, end + 1, false},
			{1000, 1256, false},
		} {
			got, ok := rec.span(c.from, c.to)
			if ok != c.ok || ok && !bytes.Equal(got, data[c.from:c.to]) {
				t.Fatalf("start %d: span(%d, %d) = %d bytes, %v; want %v", start, c.from, c.to, len(got), ok, c.ok)
			}
		}
	}
}

// TestTailCheck: a read from before a checkpoint passes the bytes after it
// when those before are unchanged, and fails with errRewritten otherwise.
func TestTailCheck(t *testing.T) {
	var buf []byte // shared by the cases, as a Follower's rounds share it
	for _, c := range []struct {
		file, want string
		out        string
		err        error
	}{
		{"tail|new lines", "tail|", "new lines", nil},
		{"tail|", "tail|", "", nil},
		{"TAIL|new lines", "tail|", "", errRewritten},
		{"ta", "tail|", "", errRewritten},
	} {
		got, err := io.ReadAll(&tailCheck{r: strings.NewReader(c.file), want: []byte(c.want), buf: &buf})
		if string(got) != c.out || !errors.Is(err, c.err) {
			t.Fatalf("file %q, want %q: read %q, %v; want %q, %v", c.file, c.want, got, err, c.out, c.err)
		}
	}
}

// TestRecorder_RewrittenWhileRead: a file truncated and written again while
// a load reads it (copytruncate, then new lines) fails the next read with
// errRewritten instead of handing over the new content's bytes at the old
// offsets, from its start and from a checkpoint alike.
func TestRecorder_RewrittenWhileRead(t *testing.T) {
	old := strings.Repeat("old line of the first generation\n", 20)
	fresh := strings.Repeat("new line\n", 200)
	for _, start := range []int64{0, 100} {
		path := t.TempDir() + "/access.log"
		if err := os.WriteFile(path, []byte(old), 0o644); err != nil {
			t.Fatal(err)
		}
		file, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer file.Close()
		file.Seek(start, io.SeekStart)
		var known []byte
		if start > 0 {
			known = []byte(old[:edgeBytes])
		}
		rec := newRecorder(file, start, make([]byte, recordBytes), file, known)
		p := make([]byte, 64)
		if n, err := rec.Read(p); err != nil || string(p[:n]) != old[start:start+64] {
			t.Fatalf("start %d: first read %q, %v", start, p[:n], err)
		}
		if err := os.WriteFile(path, []byte(fresh), 0o644); err != nil { // truncates, then writes
			t.Fatal(err)
		}
		if n, err := rec.Read(p); !errors.Is(err, errRewritten) {
			t.Fatalf("start %d: read after the rewrite: %q, %v; want errRewritten", start, p[:n], err)
		}
	}
}
