package logstats

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
)

// An insertFeed writes the rows a batch derives from its groups (its blocks
// in raw mode blocks, then its rollups) in the batch's transaction. A
// goroutine of the feed's encodes them a statement at a time while the
// database inserts the statement before, so that encoding (a seventh of a
// load into SQLite) runs on the other core. At most feedChunks statements'
// rows exist at once, whatever the batch (a batch of a customer a line
// makes a block a request). A retry of the transaction encodes them again.
type insertFeed struct {
	free chan *feedChunk // the chunks not in use, reused from batch to batch
	plan blockPlan       // the blocks' encoder's memory, reused likewise
}

// feedChunks bounds the statements in flight: one being inserted, one
// waiting, one being encoded.
const feedChunks = 3

// A feedChunk holds the rows of one INSERT.
type feedChunk struct {
	table, columns string
	rows           int
	args           []any
	buf            []byte         // the blocks' data, which args hold slices of
	blocks         []encodedBlock // the blocks being encoded, until the chunk is sent
}

// encodedBlock is a block of a chunk being encoded: its group, requests,
// first and last offsets, and where its data is in the chunk's buf.
type encodedBlock struct {
	group       int32
	requests    int32
	first, last int64
	start, end  int
}

// Bounds of one INSERT of blocks: a statement stays far below MySQL's
// max_allowed_packet (16 MiB by default): it is sent once its blocks pass
// maxBlockBytesPerInsert less a block's largest payload.
const (
	maxBlocksPerInsert     = 64
	maxBlockBytesPerInsert = 4 << 20
)

// write inserts, in tx, the blocks of the batch whose groups are groups
// (when blocks is true), each group's requests in the order of the source,
// cut into blocks by encodeBlock, then its rollup rows, in the table's key
// order: all as rows of source sourceID, the rollups keyed by seq. groups
// is called on the feed's goroutine, and may wait for the grouping.
func (f *insertFeed) write(ctx context.Context, tx *sql.Tx, d Dialect, sourceID, seq int64, groups func() *batchRollups, offsets []int64, blocks bool) error {
	if f.free == nil {
		f.free = make(chan *feedChunk, feedChunks)
		for range feedChunks {
			f.free <- new(feedChunk)
		}
	}
	ready := make(chan *feedChunk, 1)
	stop := make(chan struct{})
	go func() {
		defer close(ready)
		e := feedEncoder{free: f.free, ready: ready, stop: stop, sourceID: sourceID, plan: &f.plan}
		g := groups()
		if blocks && !e.blocks(g, offsets) {
			return
		}
		e.rollups(g, seq)
	}()
	stmts := make(map[string]*sql.Stmt)
	defer func() {
		for _, s := range stmts {
			s.Close()
		}
	}()
	var err error
	for c := range ready {
		if err == nil {
			if err = c.insert(ctx, tx, d, stmts); err != nil {
				close(stop)
			}
		}
		f.free <- c
	}
	return err
}

// insert runs c's INSERT in tx, preparing it once per table and row count
// into stmts.
func (c *feedChunk) insert(ctx context.Context, tx *sql.Tx, d Dialect, stmts map[string]*sql.Stmt) error {
	key := c.table + "/" + strconv.Itoa(c.rows)
	stmt := stmts[key]
	if stmt == nil {
		var err error
		stmt, err = tx.PrepareContext(ctx, "INSERT INTO "+c.table+" ("+c.columns+") VALUES "+placeholders(strings.Count(c.columns, ",")+1, c.rows))
		if err != nil {
			return fmt.Errorf("prepare insert into %s: %w", c.table, err)
		}
		stmts[key] = stmt
	}
	if _, err := stmt.ExecContext(ctx, c.args...); err != nil {
		return fmt.Errorf("insert into %s: %w", c.table, err)
	}
	return nil
}

// A feedEncoder fills chunks on the feed's goroutine.
type feedEncoder struct {
	free     chan *feedChunk
	ready    chan<- *feedChunk
	stop     <-chan struct{}
	sourceID int64
	cur      *feedChunk
	plan     *blockPlan // reused from block to block
}

// chunk returns the chunk being filled, taking a free one for table if
// there is none; false when the feed stopped.
func (e *feedEncoder) chunk(table, columns string) bool {
	if e.cur != nil {
		return true
	}
	select {
	case e.cur = <-e.free:
	case <-e.stop:
		return false
	}
	c := e.cur
	c.table, c.columns, c.rows = table, columns, 0
	c.args, c.buf, c.blocks = c.args[:0], c.buf[:0], c.blocks[:0]
	return true
}

// send hands the chunk being filled, if any, to the inserting goroutine;
// false when the feed stopped.
func (e *feedEncoder) send() bool {
	c := e.cur
	if c == nil {
		return true
	}
	e.cur = nil
	select {
	case e.ready <- c:
		return true
	case <-e.stop:
		e.free <- c // never blocks: free has room for every chunk
		return false
	}
}

// blocks encodes the blocks of groups, in chunks of at most
// maxBlocksPerInsert blocks and about maxBlockBytesPerInsert bytes.
func (e *feedEncoder) blocks(groups *batchRollups, offsets []int64) bool {
	for g := range groups.len() {
		for idx := groups.order[groups.starts[g]:groups.starts[g+1]]; len(idx) > 0; {
			if !e.chunk("logstats_raw_blocks", blockColumnsSQL) {
				return false
			}
			c := e.cur
			start := len(c.buf)
			var n int
			c.buf, n = e.plan.encode(c.buf, groups.entries, offsets, idx)
			c.blocks = append(c.blocks, encodedBlock{group: int32(g), requests: int32(n),
				first: offsets[idx[0]], last: offsets[idx[n-1]], start: start, end: len(c.buf)})
			idx = idx[n:]
			if len(c.blocks) == maxBlocksPerInsert || len(c.buf) >= maxBlockBytesPerInsert-maxBlockBytes {
				if !e.sendBlocks(groups) {
					return false
				}
			}
		}
	}
	return e.sendBlocks(groups)
}

// sendBlocks makes the arguments of the chunk's blocks, now that its buf
// no longer grows, and sends it.
func (e *feedEncoder) sendBlocks(groups *batchRollups) bool {
	c := e.cur
	if c == nil {
		return true
	}
	for _, b := range c.blocks {
		k := groups.key(int(b.group))
		c.args = append(c.args, k.customer, k.date().String(), e.sourceID, b.first, b.last, b.requests, c.buf[b.start:b.end])
	}
	c.rows = len(c.blocks)
	return e.send()
}

// rollups makes one rollup row per group, keyed by seq, in chunks of at
// most maxRollupsPerInsert rows and about maxRollupBlob bytes of
// distributions.
func (e *feedEncoder) rollups(groups *batchRollups, seq int64) bool {
	for i := range groups.len() {
		if !e.chunk("logstats_rollups", rollupColumns) {
			return false
		}
		c := e.cur
		k, r := groups.key(i), groups.rollup(i)
		start := len(c.buf)
		c.buf = r.appendDist(c.buf)
		// A distinct slice of buf's array each: appending may move buf,
		// but the bytes of rows already made stay where they were.
		c.args = appendRollupArgs(c.args, k.customer, k.date().String(), e.sourceID, seq, &r, c.buf[start:len(c.buf):len(c.buf)])
		c.rows++
		if c.rows == maxRollupsPerInsert || len(c.buf) >= maxRollupBlob {
			if !e.send() {
				return false
			}
		}
	}
	return e.send()
}
