package logstats

import (
	"bufio"
	"bytes"
	"compress/flate"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"
)

// MaxLineBytes is the longest line, without its line ending, that a Parser
// accepts. A longer line is reported as malformed and skipped without being
// held in memory.
const MaxLineBytes = 64 << 10

const readBufferSize = 256 << 10

// lineReader splits a stream into lines with a fixed-size buffer. It tracks the
// byte offset of what it has consumed and, when hash is set, hashes exactly the
// consumed bytes, so that the ingester can record a SHA-256 of every committed
// prefix.
type lineReader struct {
	r          io.Reader
	buf        []byte
	start, end int   // unread bytes are buf[start:end]
	hashed     int   // consumed bytes before buf[hashed] are hashed
	consumed   int64 // stream offset of buf[start]
	eof        bool
	err        error     // sticky read error other than io.EOF
	hash       hash.Hash // nil unless readOptions.hash
	lastByte   byte      // last consumed byte; '\n' at the start
	lineNumber int
	// holdPartial is readOptions.holdPartial; pending is the length of the
	// last line it held back, once the end of the input is reached.
	holdPartial bool
	pending     int
	// held, when holdPartial left an overlong last line without a newline
	// partly consumed, is where that line starts: the end of what may be
	// committed.
	held *position
	ctx  context.Context // nil unless readOptions.ctx
	// compressed: the input was gzip, so its offsets are not those of the
	// file it came from.
	compressed bool
}

// readOptions are a lineReader's settings, fixed when it is made.
type readOptions struct {
	// hash keeps a SHA-256 of exactly the consumed bytes, so that a load can
	// record one of every prefix it commits.
	hash bool
	// holdPartial leaves a last line without a newline unread, because the
	// input may be a file still being written.
	holdPartial bool
	// ctx, when set, is checked before each read of the input, so that a
	// cancelled load or check stops at its next read.
	ctx context.Context
	// plain skips the detection of compressed input, for a part of a file
	// that starts mid-stream.
	plain bool
}

// openLineReader returns a lineReader over r, decompressed if it starts
// with the gzip magic bytes (unless opts.plain).
func openLineReader(r io.Reader, opts readOptions) (*lineReader, error) {
	compressed := false
	if !opts.plain {
		var err error
		if r, err = openStream(r); err != nil {
			return nil, fmt.Errorf("open log stream: %w", err)
		}
		_, compressed = r.(gzipReader)
	}
	lr := &lineReader{r: r, buf: make([]byte, readBufferSize), lastByte: '\n',
		holdPartial: opts.holdPartial, ctx: opts.ctx, compressed: compressed}
	if opts.hash {
		lr.hash = sha256.New()
	}
	return lr, nil
}

// offset returns the stream offset of what has been consumed.
func (lr *lineReader) offset() int64 { return lr.consumed }

// line returns the number of the last line read (or skipped).
func (lr *lineReader) line() int { return lr.lineNumber }

// atLineStart reports whether what has been consumed ends with a newline
// (or is nothing).
func (lr *lineReader) atLineStart() bool { return lr.lastByte == '\n' }

// pendingBytes returns the length of a last line that holdPartial left
// unread at the end of the input.
func (lr *lineReader) pendingBytes() int64 { return int64(lr.pending) }

// position is a point of the stream that a load may commit up to.
type position struct {
	offset int64
	lines  int
	sum    []byte
}

// committable returns the end of what may be committed: everything consumed,
// or, when an overlong last line is held back, the start of that line.
func (lr *lineReader) committable() position {
	if lr.held != nil {
		return *lr.held
	}
	return position{lr.consumed, lr.lineNumber, lr.sum()}
}

// IsGzip reports whether prefix, the first bytes of an input, starts with
// gzip's magic bytes: whether the input is compressed with gzip, as a Parser,
// a load and a check tell it.
func IsGzip(prefix []byte) bool {
	return len(prefix) >= 2 && prefix[0] == 0x1f && prefix[1] == 0x8b
}

// openStream returns r, or a decompressing reader when r starts with the gzip
// magic bytes.
func openStream(r io.Reader) (io.Reader, error) {
	br := bufio.NewReaderSize(r, 4096)
	magic, err := br.Peek(2)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	if IsGzip(magic) {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, corruptInput(err)
		}
		return gzipReader{zr}, nil
	}
	return br, nil
}

// gzipReader marks decompression errors as ErrCorruptInput, so that they can
// be told from the errors of the underlying reader.
type gzipReader struct{ zr *gzip.Reader }

func (g gzipReader) Read(p []byte) (int, error) {
	n, err := g.zr.Read(p)
	if err != nil && !errors.Is(err, io.EOF) {
		err = corruptInput(err)
	}
	return n, err
}

func corruptInput(err error) error {
	var ce flate.CorruptInputError
	if errors.Is(err, gzip.ErrHeader) || errors.Is(err, gzip.ErrChecksum) || errors.Is(err, io.ErrUnexpectedEOF) || errors.As(err, &ce) {
		return fmt.Errorf("%w: gzip: %v", ErrCorruptInput, err)
	}
	return err
}

// fill reads more data into the buffer, first moving unread bytes to its front.
// It reports false when nothing more can be read.
func (lr *lineReader) fill() bool {
	if lr.eof || lr.err != nil {
		return false
	}
	if lr.ctx != nil && lr.ctx.Err() != nil {
		lr.err = context.Cause(lr.ctx)
		return false
	}
	if lr.start > 0 {
		lr.hashTo(lr.start)
		n := copy(lr.buf, lr.buf[lr.start:lr.end])
		lr.hashed -= lr.start
		lr.start, lr.end = 0, n
	}
	for tries := 0; lr.end < len(lr.buf); tries++ {
		n, err := lr.r.Read(lr.buf[lr.end:])
		lr.end += n
		if err != nil {
			if errors.Is(err, io.EOF) {
				lr.eof = true
			} else {
				lr.err = err
			}
			return n > 0
		}
		if n > 0 {
			return true
		}
		if tries > 100 {
			lr.err = io.ErrNoProgress
			return false
		}
	}
	return true
}

func (lr *lineReader) hashTo(i int) {
	if lr.hash != nil && i > lr.hashed {
		lr.hash.Write(lr.buf[lr.hashed:i])
	}
	if i > lr.hashed {
		lr.hashed = i
	}
}

// consume marks n unread bytes as read.
func (lr *lineReader) consume(n int) {
	if n > 0 {
		lr.lastByte = lr.buf[lr.start+n-1]
	}
	lr.start += n
	lr.consumed += int64(n)
}

// sum returns the SHA-256 of everything consumed so far.
func (lr *lineReader) sum() []byte {
	lr.hashTo(lr.start)
	return lr.hash.Sum(nil)
}

// sumBeforeNewline returns the SHA-256 of everything consumed so far but the
// final newline, right after readLine returned a line that ended in one; nil
// when that is not known.
func (lr *lineReader) sumBeforeNewline() []byte {
	if lr.lastByte != '\n' || lr.start == 0 || lr.hashed > lr.start-1 {
		return nil
	}
	lr.hashTo(lr.start - 1)
	return lr.hash.Sum(nil)
}

// errLongLine is returned by readLine, with the skipped line's length, for a
// line longer than MaxLineBytes.
type errLongLine struct{ length int64 }

func (e errLongLine) Error() string { return "line too long" }

// readLine returns the next line without its "\n" (a trailing "\r" is kept), or
// io.EOF. The slice is valid until the next call. A line longer than
// MaxLineBytes is consumed in pieces and reported as errLongLine.
func (lr *lineReader) readLine() ([]byte, error) {
	scanned := 0
	for {
		if i := bytes.IndexByte(lr.buf[lr.start+scanned:lr.end], '\n'); i >= 0 {
			n := scanned + i
			line := lr.buf[lr.start : lr.start+n]
			lr.consume(n + 1)
			return lr.checkLength(line)
		}
		scanned = lr.end - lr.start
		if scanned > MaxLineBytes+1 {
			return nil, lr.skipLongLine()
		}
		if !lr.fill() {
			if lr.err != nil {
				return nil, lr.err
			}
			if lr.end == lr.start {
				return nil, io.EOF
			}
			// A last line without a newline.
			if lr.holdPartial {
				lr.pending = lr.end - lr.start
				return nil, io.EOF
			}
			line := lr.buf[lr.start:lr.end]
			lr.consume(len(line))
			return lr.checkLength(line)
		}
	}
}

// checkLength counts a line that has been consumed and reports it as
// errLongLine when its content (without "\r") exceeds MaxLineBytes.
func (lr *lineReader) checkLength(line []byte) ([]byte, error) {
	lr.lineNumber++
	n := len(line)
	if n > 0 && line[n-1] == '\r' {
		n--
	}
	if n > MaxLineBytes {
		return nil, errLongLine{int64(len(line))}
	}
	return line, nil
}

// skipLongLine consumes the rest of an overlong line, up to and including its
// newline, holding at most one buffer of it.
func (lr *lineReader) skipLongLine() error {
	var start *position
	if lr.holdPartial && lr.hash != nil {
		start = &position{lr.consumed, lr.lineNumber, lr.sum()}
	}
	var length int64
	for {
		if i := bytes.IndexByte(lr.buf[lr.start:lr.end], '\n'); i >= 0 {
			length += int64(i)
			lr.consume(i + 1)
			lr.lineNumber++
			return errLongLine{length}
		}
		length += int64(lr.end - lr.start)
		lr.consume(lr.end - lr.start)
		if !lr.fill() {
			if lr.err != nil {
				return lr.err
			}
			if start != nil {
				// A last line still being written: not malformed yet.
				lr.held, lr.pending = start, int(length)
				return io.EOF
			}
			lr.lineNumber++
			return errLongLine{length}
		}
	}
}

// skipTo consumes the stream up to offset (hashing it), which an earlier
// load committed as its first lines lines (a last line without a newline
// counts). It returns io.ErrUnexpectedEOF if the stream ends before offset.
func (lr *lineReader) skipTo(offset int64, lines int) error {
	for n := offset - lr.consumed; n > 0; {
		if lr.start == lr.end && !lr.fill() {
			if lr.err != nil {
				return lr.err
			}
			return io.ErrUnexpectedEOF
		}
		k := min(int64(lr.end-lr.start), n)
		lr.consume(int(k))
		n -= k
	}
	lr.lineNumber = lines
	return nil
}

// peekByte returns the next unread byte without consuming it; ok is false at
// the end of the stream.
func (lr *lineReader) peekByte() (b byte, ok bool, err error) {
	if lr.start == lr.end && !lr.fill() {
		return 0, false, lr.err
	}
	return lr.buf[lr.start], true, nil
}
