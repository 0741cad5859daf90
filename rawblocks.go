package logstats

import (
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

// decodeColumns decodes the columns want of b's data into cols (see
// blockColumns.decodeColumns) and checks their number of requests against
// b's.
func (b *storedBlock) decodeColumns(cols *blockColumns, want columnSet) error {
	if err := cols.decodeColumns(b.data, want); err != nil {
		return err
	}
	if n := cols.len(); int64(n) != b.requests {
		return fmt.Errorf("%w: %d requests, its row says %d", ErrCorruptBlock, n, b.requests)
	}
	return nil
}

// decode decodes b's data into cols and checks it against b's columns: its
// requests, first and last offsets, and days (in zone).
func (b *storedBlock) decode(cols *blockColumns, zone *time.Location) error {
	if err := b.decodeColumns(cols, allColumns); err != nil {
		return err
	}
	n := cols.len()
	switch {
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
