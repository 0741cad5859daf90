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
// max_allowed_packet (16 MiB by default): it is sent once its blocks pass
// maxBlockBytesPerInsert less a block's largest payload.
const (
	maxBlocksPerInsert     = 64
	maxBlockBytesPerInsert = 4 << 20
)

// A blockWriter writes the blocks of a batch, in its transaction: it
// encodes them group by group and inserts them a statement at a time, so
// its memory is one statement's, whatever the batch (a batch of a customer
// a line makes a block a request); a retry of the transaction encodes them
// again.
type blockWriter struct {
	blocks []encodedBlock // the blocks of the statement being filled
	buf    []byte         // their data, one after the other
}

// encodedBlock is one row of logstats_raw_blocks but for its source: its
// group's customer and day, as the batch's groups have them.
type encodedBlock struct {
	group       int32
	requests    int32
	first, last int64 // offsets of its first and last requests
	start, end  int   // its data is buf[start:end]
}

// write inserts the blocks of the batch whose groups are groups, whose
// entries' lines start at offsets, as rows of source sourceID, in tx: each
// group's requests in the order of the source, cut into blocks by
// encodeBlock, in multi-row INSERTs of at most maxBlocksPerInsert rows and
// about maxBlockBytesPerInsert bytes.
func (bw *blockWriter) write(ctx context.Context, tx *sql.Tx, d Dialect, sourceID int64, groups *batchRollups, offsets []int64) error {
	bw.blocks, bw.buf = bw.blocks[:0], bw.buf[:0]
	flush := func() error {
		if len(bw.blocks) == 0 {
			return nil
		}
		err := insertRows(ctx, tx, d, "logstats_raw_blocks", blockColumnsSQL, len(bw.blocks), len(bw.blocks), func(i int, args []any) []any {
			b := &bw.blocks[i]
			k := groups.key(int(b.group))
			return append(args, k.customer, k.date().String(), sourceID, b.first, b.last, b.requests, bw.buf[b.start:b.end])
		})
		bw.blocks, bw.buf = bw.blocks[:0], bw.buf[:0]
		return err
	}
	for g := range groups.len() {
		for idx := groups.order[groups.starts[g]:groups.starts[g+1]]; len(idx) > 0; {
			start := len(bw.buf)
			var n int
			bw.buf, n = encodeBlock(bw.buf, groups.entries, offsets, idx)
			bw.blocks = append(bw.blocks, encodedBlock{group: int32(g), requests: int32(n),
				first: offsets[idx[0]], last: offsets[idx[n-1]], start: start, end: len(bw.buf)})
			idx = idx[n:]
			if len(bw.blocks) == maxBlocksPerInsert || len(bw.buf) >= maxBlockBytesPerInsert-maxBlockBytes {
				if err := flush(); err != nil {
					return err
				}
			}
		}
	}
	return flush()
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
