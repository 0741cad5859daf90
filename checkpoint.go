package logstats

import (
	"bytes"
	"crypto/sha256"
	"encoding"
	"errors"
	"fmt"
	"io"
)

// A Checkpoint is where a load of a plain (uncompressed) input stopped, with
// everything before it committed: a byte offset at the start of a line, and
// what the next load of the same source needs to go on from there without
// reading those bytes again (the source, the format read, the SHA-256 state
// of the prefix). LoadResult.Checkpoint returns one; pass it as
// LoadOptions.From with a reader that starts at its Offset. A follower of a
// growing file does so at each round, so that a round costs what the new
// lines cost, whatever the file's size.
type Checkpoint struct {
	// Offset is the byte offset the next load's input must start at.
	Offset int64
	// Lines is the number of lines before Offset.
	Lines int64

	source      int64
	fingerprint [32]byte
	format      Format // the format the lines were read in, never auto
	sum         []byte // SHA-256 of the bytes before Offset
	hashState   []byte // the SHA-256 state after them
}

// Source returns the id of the source the checkpoint is in: the same for
// every file that holds the source's lines (a log renamed, or copied by a
// rotation).
func (c *Checkpoint) Source() int64 { return c.source }

// IsPrefixOf reports whether r starts with the bytes before c.Offset, as
// the load that returned c read them (compared by their SHA-256). It reads
// c.Offset bytes of r; an r shorter than that is not. A follower uses it to
// tell a rotated copy that stops before what was loaded of its source from
// a file edited since.
func (c *Checkpoint) IsPrefixOf(r io.Reader) (bool, error) {
	h := sha256.New()
	if _, err := io.CopyN(h, r, c.Offset); err != nil {
		if errors.Is(err, io.EOF) {
			return false, nil
		}
		return false, err
	}
	return bytes.Equal(h.Sum(nil), c.sum), nil
}

// checkpoint returns where lr stands, for the source src read in format,
// or nil when no load can go on from there: the input was compressed, an
// overlong last line is held back, or the format is still unknown.
func (lr *lineReader) checkpoint(src *source, format Format) *Checkpoint {
	if lr.compressed || lr.held != nil || lr.hash == nil || format.IsAuto() || !lr.atLineStart() {
		return nil
	}
	lr.hashTo(lr.start)
	m, ok := lr.hash.(encoding.BinaryMarshaler)
	if !ok {
		return nil
	}
	state, err := m.MarshalBinary()
	if err != nil {
		return nil
	}
	return &Checkpoint{Offset: lr.consumed, Lines: int64(lr.lineNumber), source: src.id, fingerprint: src.fingerprint,
		format: format, sum: lr.hash.Sum(nil), hashState: state}
}

// resume makes lr, which reads an input starting at c.Offset, go on from c:
// its offsets, line numbers and hash continue c's.
func (lr *lineReader) resume(c *Checkpoint) error {
	h := sha256.New()
	u, ok := h.(encoding.BinaryUnmarshaler)
	if !ok {
		return fmt.Errorf("resume at a checkpoint: the hash cannot be restored")
	}
	if err := u.UnmarshalBinary(c.hashState); err != nil {
		return fmt.Errorf("resume at a checkpoint: %w", err)
	}
	if !bytes.Equal(h.Sum(nil), c.sum) {
		return fmt.Errorf("resume at a checkpoint: its hash state does not match its sum")
	}
	lr.hash, lr.consumed, lr.lineNumber, lr.lastByte = h, c.Offset, int(c.Lines), '\n'
	return nil
}
