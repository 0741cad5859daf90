package logstats

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
)

// A source's identity has levels. Level 1, the fingerprint every source had
// before levels existed, is the SHA-256 of its first identifying line. Two
// unrelated logs may start with the same line (a client polling one
// endpoint), so when the ledger holds a row for an input's level 1 and the
// input is not that source, its level 2 (its first two identifying lines)
// is looked up, then level 3, and so on, bounded by the head (headLines,
// headBytes): the input is the highest level's source it can be, or, when
// none, a new source at the lowest level without a row. The choice depends
// only on the input's head and on the ledger, so a load that goes on after
// a kill -9, or a follower's next round, finds the same source; the ids of
// the sources loaded before levels existed are those of their level 1.
//
// An input is a row's source when it extends that row's committed prefix
// (the SHA-256 of its first committed_offset bytes matches), or, when that
// prefix ends beyond the input's head, when the input's head requests are
// those the source stored at the same offsets (a rotated copy, or a copy
// cut short by copytruncate, which the prefix check then handles).

// levelPrefix separates the fingerprints of the levels above 1 from
// those of level 1.
const levelPrefix = "logstats source level\n"

// levelChecks is how many of an input's head requests are compared with
// the stored requests of a source whose committed prefix ends beyond the
// head.
const levelChecks = 64

// level is one level of an input's identity: its fingerprint, and the head
// line (an index of head) that ends it.
type level struct {
	fingerprint [32]byte
	line        int
}

// nextLevel returns the fingerprint of the level after fp, which adds the
// identifying line text.
func nextLevel(fp [32]byte, text []byte) [32]byte {
	h := sha256.New()
	h.Write([]byte(levelPrefix))
	h.Write(fp[:])
	h.Write(text)
	var next [32]byte
	h.Sum(next[:0])
	return next
}

// committedRow is what identify reads of a source's ledger row.
type committedRow struct {
	fingerprint []byte
	offset      int64
	sum         []byte
}

// identify returns the source that the input is, given its head read
// through its first identifying line, whose fingerprint is fp, and the head
// lines to load (more of them when it had to read on to tell). It returns
// an error wrapping ErrSourceChanged when every level the head holds is
// another source's.
func (ing *Ingester) identify(ctx context.Context, store *rawStore, p *Parser, lr *lineReader, head []headLine, fp [32]byte, name string) (*source, []headLine, error) {
	levelOne := &source{id: sourceID(fp), fingerprint: fp, name: name}
	if len(head) == 0 || !head[len(head)-1].identifies {
		return levelOne, head, nil // no identifying line: named by all of its head
	}
	rows, err := ing.ledgerRows(ctx, []int64{levelOne.id})
	if err != nil {
		return nil, nil, err
	}
	first, ok := rows[levelOne.id]
	if !ok || !bytes.Equal(first.fingerprint, fp[:]) || extends(head, first) {
		// A new source, or its own (or a 63-bit id collision, which
		// openSource reports).
		return levelOne, head, nil
	}
	// Level 1 is another source's, or a copy whose committed prefix ends
	// beyond what was read: read on, to the head's bounds.
	levels := []level{{fp, len(head) - 1}}
	var l logLine
	texts := headTexts // the texts of malformed lines are only for wrongFormat
	for len(head) < headLines && lr.offset() < headBytes && lr.offset() < first.offset {
		h, err := readHeadLine(p, lr, &l, &texts)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, nil, err
		}
		head = append(head, h)
		if h.identifies {
			levels = append(levels, level{nextLevel(levels[len(levels)-1].fingerprint, l.text), len(head) - 1})
		}
	}
	if len(levels) == 1 {
		return levelOne, head, nil // nothing else to tell it by: the prefix check decides
	}
	ids := make([]int64, len(levels))
	for i, lv := range levels {
		ids[i] = sourceID(lv.fingerprint)
	}
	if rows, err = ing.ledgerRows(ctx, ids); err != nil {
		return nil, nil, err
	}
	free := -1 // the lowest level without a row
	for i := len(levels) - 1; i >= 0; i-- {
		row, ok := rows[ids[i]]
		switch {
		case !ok:
			free = i
			continue
		case !bytes.Equal(row.fingerprint, levels[i].fingerprint[:]):
			continue // a 63-bit id collision: not a level this input can have
		case extends(head, row):
		case row.offset <= lr.offset():
			continue // its committed prefix differs from the input's
		default:
			same, err := store.storedAlike(ctx, ids[i], head, row.offset)
			if err != nil {
				return nil, nil, err
			}
			if !same {
				continue
			}
		}
		return &source{id: ids[i], fingerprint: levels[i].fingerprint, name: name}, head, nil
	}
	if free < 1 {
		return nil, nil, fmt.Errorf("%w: %s: its first %d lines are those of sources loaded before, and it differs from each of them; nothing was loaded",
			ErrSourceChanged, name, len(head))
	}
	lv := levels[free]
	// Its lines before that level's are those of another source by
	// accident: the copy check must not count them.
	return &source{id: ids[free], fingerprint: lv.fingerprint, name: name, checkFrom: head[levels[free-1].line].end}, head, nil
}

// extends reports whether the input, whose head is head, starts with row's
// committed prefix, which ends within the head.
func extends(head []headLine, row committedRow) bool {
	for _, h := range head {
		switch {
		case h.end == row.offset:
			return bytes.Equal(h.sum, row.sum)
		case h.end-1 == row.offset && h.sumOpen != nil:
			return bytes.Equal(h.sumOpen, row.sum)
		}
	}
	return false
}

// ledgerRows reads the ledger rows of ids that exist.
func (ing *Ingester) ledgerRows(ctx context.Context, ids []int64) (map[int64]committedRow, error) {
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	rows, err := ing.db.QueryContext(ctx, `SELECT source_id, fingerprint, committed_offset, committed_sha256 FROM logstats_sources
		WHERE source_id IN (?`+strings.Repeat(", ?", len(ids)-1)+`)`, args...)
	if err != nil {
		return nil, fmt.Errorf("read sources: %w", err)
	}
	defer rows.Close()
	found := make(map[int64]committedRow, len(ids))
	for rows.Next() {
		var id int64
		var r committedRow
		if err := rows.Scan(&id, &r.fingerprint, &r.offset, &r.sum); err != nil {
			return nil, fmt.Errorf("read sources: %w", err)
		}
		found[id] = r
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read sources: %w", err)
	}
	return found, nil
}

// storedAlike reports whether the requests of head, up to levelChecks of
// them before offset, are those source id stored at the same offsets. A
// request stored differently tells them apart; so does one not stored, once
// a request at least as old is stored alike (older ones may have been
// pruned); so does the first request stored elsewhere (lines before it
// differ). Nothing stored cannot tell them apart.
func (s *rawStore) storedAlike(ctx context.Context, id int64, head []headLine, offset int64) (bool, error) {
	byOffset := make(map[int64]*Entry)
	at := make(map[int64]string)
	for i := range head {
		h := &head[i]
		if h.end > offset || len(byOffset) == levelChecks {
			break
		}
		if !h.identifies || h.err != nil || h.unattributed {
			continue
		}
		byOffset[h.start], at[h.start] = &h.entry, h.entry.CustomerID
	}
	if len(byOffset) == 0 {
		return true, nil
	}
	stored, err := s.atOffsets(ctx, id, at)
	if err != nil {
		return false, fmt.Errorf("compare with source %d: %w", id, err)
	}
	for off, got := range stored {
		if keyOf(&got) != keyOf(byOffset[off]) {
			return false, nil
		}
	}
	if len(stored) == 0 {
		return s.storedAt(ctx, id, head, byOffset)
	}
	oldest := int64(math.MaxInt64) // the oldest request stored alike
	for off := range stored {
		oldest = min(oldest, byOffset[off].Time.UnixMicro())
	}
	for off, e := range byOffset {
		if _, ok := stored[off]; !ok && e.Time.UnixMicro() >= oldest {
			return false, nil
		}
	}
	return true, nil
}

// storedAt reports, when none of the requests of head checked (byOffset)
// is stored alike at its offset, whether source id stored its first one
// nowhere (pruned, say: nothing tells them apart), rather than at another
// offset (the lines before it differ).
func (s *rawStore) storedAt(ctx context.Context, id int64, head []headLine, byOffset map[int64]*Entry) (bool, error) {
	for _, h := range head {
		e := byOffset[h.start]
		if e == nil {
			continue
		}
		off, ok, err := s.firstOffset(ctx, e.CustomerID, id, keyOf(e))
		if err != nil {
			return false, fmt.Errorf("compare with source %d: %w", id, err)
		}
		return !ok || off == h.start, nil
	}
	return true, nil
}

// copyCheckEntries returns the entries of b that the copy check samples:
// those from src.checkFrom on.
func copyCheckEntries(src *source, b *batch) []Entry {
	i := 0
	for i < len(b.offsets) && b.offsets[i] < src.checkFrom {
		i++
	}
	return b.entries[i:]
}
