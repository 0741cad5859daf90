package logstats

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
)

// headLine is a line read before the source was identified.
type headLine struct {
	start, end int64 // byte offsets of the line and of the next one
	lineNumber int64
	sum        []byte // SHA-256 of the input up to end
	// sumOpen is the SHA-256 of the input up to end-1, when the line ends in
	// a newline: what an earlier load committed if the line had none then.
	sumOpen      []byte
	entry        Entry
	err          *ParseError // nil for a valid, blank or unattributed line
	blank        bool
	unattributed bool
	shaped       bool   // of the format's shape, though maybe malformed (logLine.shaped)
	identifies   bool   // a line that identifies the source (not blank, of the format's shape)
	text         []byte // a copy of a malformed line, for the first few only
}

// headTexts is how many malformed head lines keep their text, to tell which
// format a log that fits none is in.
const headTexts = 10

// readHead reads lines up to and including the first valid one, whose bytes
// identify the source (headers, comments and blank lines before it do not).
// Without a valid line in the first headLines lines or headBytes bytes, all
// that was read identifies it.
func readHead(p *Parser, lr *lineReader) ([]headLine, [32]byte, error) {
	var head []headLine
	var l logLine
	texts := 0 // malformed lines whose text is kept
	for len(head) < headLines && lr.offset() < headBytes {
		h, err := readHeadLine(p, lr, &l, &texts)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, [32]byte{}, err
		}
		if h.identifies {
			fp := sha256.Sum256(l.text)
			return append(head, h), fp, nil
		}
		head = append(head, h)
	}
	var fp [32]byte
	copy(fp[:], lr.sum())
	return head, fp, nil
}

// readHeadLine reads the next line into l and returns it as a head line;
// texts counts the malformed lines whose text is kept. err is io.EOF at
// the end of the input.
func readHeadLine(p *Parser, lr *lineReader, l *logLine, texts *int) (headLine, error) {
	start := lr.offset()
	if err := p.read(l); err != nil {
		return headLine{}, err
	}
	h := headLine{start: start, lineNumber: int64(lr.line()), err: l.err, blank: l.blank, unattributed: l.unattributed, shaped: l.shaped}
	if l.err != nil && *texts < headTexts {
		h.text = bytes.Clone(l.text)
		*texts++
	}
	h.sumOpen = lr.sumBeforeNewline() // before sum, which hashes the newline
	h.end, h.sum = lr.offset(), lr.sum()
	// A line of the format's shape identifies the source, whatever the
	// customer selector finds in it (nothing: an unattributed line; an
	// invalid customer: a malformed one), so that a load with another
	// selector finds the same source, and its recorded reading.
	h.identifies = !l.blank && (l.err == nil || l.shaped)
	if h.identifies {
		h.entry = l.entry
	}
	return h, nil
}

// skipLoaded moves the reader past the committed prefix of src, checking
// that the prefix is unchanged, and returns the head lines still to load.
func skipLoaded(lr *lineReader, head []headLine, src *source) ([]headLine, error) {
	changed := func(why string) error {
		return fmt.Errorf("%w: %s: %s; nothing was loaded. If the file was rewritten on purpose, load it under a new first line, or prune and reload",
			ErrSourceChanged, src.name, why)
	}
	if src.offset == 0 {
		return head, nil
	}
	for i, h := range head {
		switch {
		case h.end == src.offset:
			if !bytes.Equal(h.sum, src.sum) {
				return nil, changed(fmt.Sprintf("its first %d bytes differ from those loaded before", src.offset))
			}
			return checkLastLine(lr, head[i+1:], changed)
		case h.end-1 == src.offset && h.sumOpen != nil:
			// This line was loaded when it had no newline yet; it has one now.
			if !bytes.Equal(h.sumOpen, src.sum) {
				return nil, changed(fmt.Sprintf("its first %d bytes differ from those loaded before", src.offset))
			}
			return head[i+1:], nil
		}
	}
	if src.offset < lr.offset() {
		return nil, changed(fmt.Sprintf("its first %d bytes differ from those loaded before", src.offset))
	}
	if err := lr.skipTo(src.offset, int(src.lines)); err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, changed(fmt.Sprintf("it is shorter (%d bytes) than the %d bytes loaded before", lr.offset(), src.offset))
		}
		return nil, fmt.Errorf("read %s: %w", src.name, err)
	}
	if !bytes.Equal(lr.sum(), src.sum) {
		return nil, changed(fmt.Sprintf("its first %d bytes differ from those loaded before", src.offset))
	}
	return checkLastLine(lr, nil, changed)
}

// checkLastLine handles a committed prefix that ended in a line without a
// newline: if the input now goes on, that line must have been ended by a
// newline, not extended.
func checkLastLine(lr *lineReader, rest []headLine, changed func(string) error) ([]headLine, error) {
	if lr.atLineStart() || len(rest) > 0 {
		return rest, nil
	}
	b, ok, err := lr.peekByte()
	switch {
	case err != nil:
		return nil, err
	case !ok:
		return nil, nil
	case b == '\n':
		lr.consume(1)
		return nil, nil
	}
	return nil, changed("its last loaded line had no newline and has since been extended")
}
