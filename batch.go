package logstats

import (
	"context"
	"errors"
	"io"
	"slices"
)

// batch is a run of lines committed in one transaction.
type batch struct {
	entries   []Entry
	offsets   []int64 // byte offset of each entry's line
	endOffset int64   // byte offset after the batch's last line
	endLines  int64   // line number of the batch's last line
	sum       []byte  // SHA-256 of the input up to endOffset
	lines     int64   // lines in the batch, malformed and blank ones included
	malformed int64
}

func (b *batch) reset() {
	b.entries, b.offsets = b.entries[:0], b.offsets[:0]
	b.lines, b.malformed = 0, 0
}

// readBatches parses the input after the committed prefix into batches and
// sends them to the writer.
func (ing *Ingester) readBatches(ctx context.Context, p *Parser, lr *lineReader, head []headLine, src *source, out chan<- *batch, free <-chan *batch, res *LoadResult, strict bool) error {
	batchLines := max(ing.BatchLines, 1)
	b := &batch{}
	send := func(endOffset, endLines int64, sum []byte) error {
		b.endOffset, b.endLines, b.sum = endOffset, endLines, sum
		select {
		case out <- b:
		case <-ctx.Done():
			return context.Cause(ctx)
		}
		select {
		case b = <-free:
			b.reset()
		default:
			b = &batch{}
		}
		return nil
	}
	// add records one line; it returns a *ParseError to stop a strict load.
	add := func(start int64, e *Entry, perr *ParseError, blank, unattributed bool) error {
		b.lines++
		res.Lines++
		switch {
		case blank:
			res.Blank++
		case unattributed:
			res.Unattributed++
		case perr != nil:
			b.malformed++
			res.Malformed++
			if len(res.Errors) < ing.maxErrors() {
				res.Errors = append(res.Errors, perr)
			}
			if strict {
				return perr
			}
		default:
			// Grown by doubling, but never past the batch: append would
			// take a 100,000-line batch to room for 131,072.
			n := len(b.entries)
			more := max(min(max(n, 1024), batchLines-n), 1)
			if n == cap(b.entries) {
				b.entries = slices.Grow(b.entries, more)
			}
			if n == cap(b.offsets) {
				b.offsets = slices.Grow(b.offsets, more)
			}
			b.entries = append(b.entries, *e)
			b.offsets = append(b.offsets, start)
		}
		return nil
	}
	res.Lines = src.lines
	for _, h := range head {
		if err := add(h.start, &h.entry, h.err, h.blank, h.unattributed); err != nil {
			return err
		}
		if len(b.entries) >= batchLines {
			if err := send(h.end, h.lineNumber, h.sum); err != nil {
				return err
			}
		}
	}
	var l logLine
	for {
		start := lr.offset()
		err := p.read(&l)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		if err := add(start, &l.entry, l.err, l.blank, l.unattributed); err != nil {
			return err
		}
		if len(b.entries) >= batchLines {
			if err := ctx.Err(); err != nil {
				return err
			}
			if err := send(lr.offset(), int64(lr.line()), lr.sum()); err != nil {
				return err
			}
		}
	}
	end := lr.committable()
	res.Bytes = end.offset
	if b.lines == 0 {
		return nil
	}
	return send(end.offset, int64(end.lines), end.sum)
}
