package logstats

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// The SQL side of raw mode blocks (SPEC §10): a batch's requests of each
// customer and day go into blocks (block.go encodes them), one row of
// logstats_raw_blocks a block, keyed (customer, day, source, offset of the
// block's first request).

// blockColumnsSQL are the columns of logstats_raw_blocks.
const blockColumnsSQL = "customer_id, day, source_id, first_offset, last_offset, requests, data"

// Bounds of one INSERT of blocks: a statement stays far below MySQL's
// max_allowed_packet (16 MiB by default).
const (
	maxBlocksPerInsert     = 64
	maxBlockBytesPerInsert = 4 << 20
)

// batchBlocks are the blocks of a batch, encoded once (outside the batch's
// transaction, which a retry runs again), in the table's key order.
type batchBlocks struct {
	blocks []encodedBlock
	buf    []byte // the blocks' data, one after the other
}

// encodedBlock is one row of logstats_raw_blocks but for its source: its
// group's customer and day, as the batch's groups have them.
type encodedBlock struct {
	group       int32
	requests    int32
	first, last int64 // offsets of its first and last requests
	start, end  int   // its data is buf[start:end]
}

// encode replaces bb's blocks with those of the batch whose rollups are
// groups, whose entries' lines start at offsets.
func (bb *batchBlocks) encode(groups *batchRollups, offsets []int64) {
	bb.blocks, bb.buf = bb.blocks[:0], bb.buf[:0]
	for g := range groups.len() {
		for idx := groups.order[groups.starts[g]:groups.starts[g+1]]; len(idx) > 0; { // in the order of the source
			start := len(bb.buf)
			var n int
			bb.buf, n = encodeBlock(bb.buf, groups.entries, offsets, idx)
			bb.blocks = append(bb.blocks, encodedBlock{group: int32(g), requests: int32(n),
				first: offsets[idx[0]], last: offsets[idx[n-1]], start: start, end: len(bb.buf)})
			idx = idx[n:]
		}
	}
}

// requests returns how many requests the blocks hold.
func (bb *batchBlocks) requests() int {
	n := 0
	for _, b := range bb.blocks {
		n += int(b.requests)
	}
	return n
}

// insert writes the blocks of source sourceID, encoded from groups, in tx,
// in multi-row INSERTs of at most maxBlocksPerInsert rows and
// maxBlockBytesPerInsert bytes (at least one row each).
func (bb *batchBlocks) insert(ctx context.Context, tx *sql.Tx, d Dialect, sourceID int64, groups *batchRollups) error {
	for start := 0; start < len(bb.blocks); {
		end, size := start+1, bb.blocks[start].end-bb.blocks[start].start
		for end < len(bb.blocks) && end-start < maxBlocksPerInsert {
			next := bb.blocks[end].end - bb.blocks[end].start
			if size+next > maxBlockBytesPerInsert {
				break
			}
			size += next
			end++
		}
		part := bb.blocks[start:end]
		err := insertRows(ctx, tx, d, "logstats_raw_blocks", blockColumnsSQL, len(part), len(part), func(i int, args []any) []any {
			b := &part[i]
			k := groups.key(int(b.group))
			return append(args, k.customer, k.date().String(), sourceID, b.first, b.last, b.requests, bb.buf[b.start:b.end])
		})
		if err != nil {
			return err
		}
		start = end
	}
	return nil
}

// A storedBlock is a row of logstats_raw_blocks as read.
type storedBlock struct {
	customer    string
	day         Date
	source      int64
	first, last int64
	requests    int64
	data        []byte
}

// scanBlock scans the columns customer_id, day, source_id, first_offset,
// last_offset, requests, data into b; data is copied.
func scanBlock(rows *sql.Rows, b *storedBlock) error {
	var day dayValue
	var data sql.RawBytes
	if err := rows.Scan(&b.customer, &day, &b.source, &b.first, &b.last, &b.requests, &data); err != nil {
		return err
	}
	b.day, b.data = day.Date, append(b.data[:0], data...)
	return nil
}

// decode decodes b's data into cols and checks it against b's columns: its
// requests, first and last offsets, and days (in zone).
func (b *storedBlock) decode(cols *blockColumns, zone *time.Location) error {
	if err := cols.decode(b.data); err != nil {
		return err
	}
	n := cols.len()
	switch {
	case int64(n) != b.requests:
		return fmt.Errorf("%w: %d requests, its row says %d", ErrCorruptBlock, n, b.requests)
	case cols.offsets[0] != b.first || cols.offsets[n-1] != b.last:
		return fmt.Errorf("%w: offsets %d to %d, its row says %d to %d", ErrCorruptBlock, cols.offsets[0], cols.offsets[n-1], b.first, b.last)
	}
	want := daysSinceEpoch(b.day)
	for i, ts := range cols.times {
		if day := dayNumber(ts, zone); day != want {
			return fmt.Errorf("%w: its request at offset %d is of %s, its row says %s", ErrCorruptBlock, cols.offsets[i], dayKey{day: day}.date(), b.day)
		}
	}
	return nil
}

// String names the block, for a message.
func (b *storedBlock) String() string {
	return fmt.Sprintf("block of %s on %s from source %d at offset %d", b.customer, b.day, b.source, b.first)
}
