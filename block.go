package logstats

import (
	"encoding/binary"
	"fmt"
	"hash/maphash"
	"math"
	"math/bits"
	"slices"
	"strings"
	"time"
)

// A block is many requests of one customer, day and source in a columnar
// encoding: the blob of one row of the raw blocks table, whose key columns
// hold the customer, day, source, first and last offset and request count.
// docs/BLOCKS.md describes the bytes; this file writes and reads them.
//
// The block is a version byte, a compression byte and the payload. The
// payload is the request count and then one column after another, each
// prefixed by its length in bytes so that a reader can skip the columns it
// does not need: offsets, times, latencies, statuses, methods, paths, and
// the dimensions. Numbers are varints, in their shortest form; dictionary
// indexes are packed in as few bits as their dictionary needs. What the
// encoder chooses (units, dictionary order, shared prefixes) follows from
// the requests, so that a payload has one encoding, and decode refuses any
// other, save a dictionary that repeats a string, which it does not look
// for: that would cost a hash of every string.

// The block's version and compressions. Version 1 has one compression,
// none: compressing the payload costs more time than it saves (see
// docs/BLOCKS.md).
const (
	blockVersion = 1
	blockRaw     = 0 // the payload as it is
)

// Limits of a block.
const (
	// maxBlockRequests bounds a block's requests: larger blocks are hardly
	// smaller a request (under 1% from 16,384 to 65,536, docs/BLOCKS.md),
	// and this many decode into half a megabyte of columns. Its indexes fit
	// in 14 bits.
	maxBlockRequests = 16384
	// maxBlockBytes bounds a block's payload, and the bytes of its
	// dictionaries' values counted whole: far below MySQL's 16 MiB
	// max_allowed_packet.
	maxBlockBytes = 1 << 20
	// maxBlockDims bounds a block's dimension columns, as SPEC §14 bounds a
	// source's dimensions.
	maxBlockDims = 4
	// maxBlockString bounds a method, a path and a dimension's value.
	maxBlockString = MaxPathBytes
	// The times a block can hold: the years 0001 to 9999, in microseconds
	// since the Unix epoch.
	minBlockTime    = -62135596800 * 1e6
	maxBlockTime    = 253402300800*1e6 - 1
	maxBlockLatency = int64(MaxLatency / time.Microsecond)
)

// encodeBlock appends to dst one block holding the requests entries[idx[0]],
// entries[idx[1]], ... (with their lines' byte offsets offsets[idx[i]]), all
// of one customer and day, idx increasing (so offsets strictly increase). It
// encodes a prefix of idx: at most maxBlockRequests requests, and it stops
// before the block's uncompressed payload would pass maxBlockBytes (but
// always takes at least one request). It returns the new dst and how many
// of idx it encoded.
//
// The entries must be valid, as a Parser makes them: a status of 100 to 599,
// a latency of 0 to MaxLatency or NoLatency, a method and a path of at most
// 2048 bytes, a time in the years 0001 to 9999 (kept to the microsecond).
// encodeBlock does not check them; decode refuses a block written from
// others. With an empty idx it appends nothing.
func encodeBlock(dst []byte, entries []Entry, offsets []int64, idx []int32) ([]byte, int) {
	var p blockPlan
	return p.encode(dst, entries, offsets, idx)
}

// encode is encodeBlock with p's memory, which it reuses from one block to
// the next: a batch of shuffled timestamps makes a block of a few dozen
// requests per customer-day, and allocating a plan for each kept the
// garbage collector busy.
func (p *blockPlan) encode(dst []byte, entries []Entry, offsets []int64, idx []int32) ([]byte, int) {
	if len(idx) == 0 {
		return dst, 0
	}
	p.plan(entries, offsets, idx)
	dst = append(slices.Grow(dst, 2+p.bound), blockVersion, blockRaw)
	return p.appendPayload(dst, offsets, idx[:p.n]), p.n
}

// blockPlan is what encoding a block learns in a first pass over its
// requests, the only one that reads the entries: how many fit, their
// numbers, the units of their times and latencies, and the dictionaries.
// The second pass writes the columns.
type blockPlan struct {
	n     int // requests
	bound int // an upper bound of the payload's bytes
	// Per request: its time and latency (-1 for none) in microseconds, and
	// its index in each dictionary.
	times, lats                   []int64
	statusIdx, methodIdx, pathIdx []uint16
	// The exponents (0, 3 or 6) of the largest units of 10^e microseconds
	// that divide every time and every latency.
	timeExp, latExp byte
	statuses        []int // dictionary
	methods, paths  dictBuilder
	// The dimensions: how many, their dictionaries and indexes.
	nd     int
	dims   [maxBlockDims]dictBuilder
	dimIdx [maxBlockDims][]uint16
	// The memory of times and lats, and of the index columns.
	nums []int64
	ix   []uint16
}

// A dictionary's indexes are uint16s in a blockPlan.
const _ = uint16(maxBlockRequests - 1)

// plan reads the requests of idx that fit in one block. It works on local
// variables: stores to p's fields would each pay a write barrier.
func (p *blockPlan) plan(entries []Entry, offsets []int64, idx []int32) {
	limit := min(len(idx), maxBlockRequests)
	nd := len(entries[idx[0]].Dimensions) // the same for every request of a source
	p.nums, p.ix = resize(p.nums, 2*limit), resize(p.ix, (3+nd)*limit)
	p.statuses = p.statuses[:0]
	p.methods.reset()
	p.paths.reset()
	nums, ix := p.nums, p.ix
	times, lats := nums[:0:limit], nums[limit:limit:2*limit]
	statusIdx, methodIdx, pathIdx := ix[:0:limit], ix[limit:limit:2*limit], ix[2*limit:2*limit:3*limit]
	var dimIdx [maxBlockDims][]uint16
	for d := range nd {
		p.dims[d].reset()
		at := (3 + d) * limit
		dimIdx[d] = ix[at : at : at+limit]
	}
	var statusOf [500]uint16 // of status-100: 1 + its index in p.statuses
	timeExp, latExp := byte(6), byte(6)
	// The fixed part: the count, the column lengths and dictionary sizes
	// (at most 3 bytes each), the units and the dimension count (1 each).
	bound := 32 + 6*nd
	var prevOff, prevTime int64
	for _, i := range idx[:limit] {
		e := &entries[i]
		off, t, lat := offsets[i], e.Time.UnixMicro(), max(int64(e.Latency/time.Microsecond), -1)
		// An upper bound of the request's bytes: its varints in
		// microseconds, 2 bytes an index (of at most 14 bits), and any new
		// dictionary value, counted whole.
		cost := uvarintLen(uint64(off-prevOff)) + uvarintLen(zigzag(t-prevTime)) + uvarintLen(uint64(lat+1)) + 6
		si := -1
		if s := e.Status - 100; uint(s) < uint(len(statusOf)) && statusOf[s] != 0 {
			si = int(statusOf[s]) - 1
		} else if si = slices.Index(p.statuses, e.Status); si < 0 {
			cost += uvarintLen(uint64(e.Status))
		}
		mi, mok := p.methods.find(e.Method)
		if !mok {
			cost += newValueCost(e.Method)
		}
		pi, pok := p.paths.find(e.Path)
		if !pok {
			cost += newValueCost(e.Path)
		}
		var di [maxBlockDims]uint32
		var dok [maxBlockDims]bool
		for d, v := range e.Dimensions[:nd] {
			if di[d], dok[d] = p.dims[d].find(v); !dok[d] {
				cost += newValueCost(v)
			}
			cost += 2
		}
		if len(times) > 0 && bound+cost > maxBlockBytes {
			break
		}
		bound += cost
		if si < 0 {
			si = len(p.statuses)
			p.statuses = append(p.statuses, e.Status)
			if s := e.Status - 100; uint(s) < uint(len(statusOf)) {
				statusOf[s] = uint16(len(p.statuses))
			}
		}
		if !mok {
			mi = p.methods.add(e.Method)
		}
		if !pok {
			pi = p.paths.add(e.Path)
		}
		for d, v := range e.Dimensions[:nd] {
			if !dok[d] {
				di[d] = p.dims[d].add(v)
			}
			dimIdx[d] = append(dimIdx[d], uint16(di[d]))
		}
		if timeExp == 6 && t%1e6 != 0 {
			timeExp = 3
		}
		if timeExp == 3 && t%1e3 != 0 {
			timeExp = 0
		}
		if latExp == 6 && lat > 0 && lat%1e6 != 0 {
			latExp = 3
		}
		if latExp == 3 && lat > 0 && lat%1e3 != 0 {
			latExp = 0
		}
		times, lats = append(times, t), append(lats, lat)
		statusIdx, methodIdx, pathIdx = append(statusIdx, uint16(si)), append(methodIdx, uint16(mi)), append(pathIdx, uint16(pi))
		prevOff, prevTime = off, t
	}
	p.n, p.bound, p.timeExp, p.latExp = len(times), bound, timeExp, latExp
	p.times, p.lats, p.statusIdx, p.methodIdx, p.pathIdx = times, lats, statusIdx, methodIdx, pathIdx
	p.nd, p.dimIdx = nd, dimIdx
}

// newValueCost is an upper bound of the bytes of a new dictionary value:
// its two lengths and all of its bytes, as if it shared none with the one
// before. Counting values whole also bounds the bytes decode allocates for
// a block's dictionaries.
func newValueCost(s string) int { return 2*uvarintLen(uint64(len(s))) + len(s) }

// appendPayload appends the payload of the requests of idx, which p
// planned, to b, which has room for p.bound more bytes.
func (p *blockPlan) appendPayload(b []byte, offsets []int64, idx []int32) []byte {
	b = binary.AppendUvarint(b, uint64(len(idx)))

	b, start := beginColumn(b)
	prev := int64(0)
	for _, i := range idx {
		off := offsets[i]
		b = appendUvarint(b, uint64(off-prev))
		prev = off
	}
	b = endColumn(b, start)

	b, start = beginColumn(b)
	b = append(b, byte(p.timeExp))
	unit := blockUnit(p.timeExp)
	prev = 0
	for _, t := range p.times {
		t /= unit
		b = appendUvarint(b, zigzag(t-prev))
		prev = t
	}
	b = endColumn(b, start)

	b, start = beginColumn(b)
	b = append(b, byte(p.latExp))
	unit = blockUnit(p.latExp)
	for _, lat := range p.lats {
		if lat < 0 {
			b = append(b, 0)
			continue
		}
		b = appendUvarint(b, uint64(lat/unit+1))
	}
	b = endColumn(b, start)

	b, start = beginColumn(b)
	b = binary.AppendUvarint(b, uint64(len(p.statuses)))
	for _, s := range p.statuses {
		b = binary.AppendUvarint(b, uint64(s))
	}
	b = appendIndexes(b, p.statusIdx, len(p.statuses))
	b = endColumn(b, start)

	b = appendDictColumn(b, p.methods.values, p.methodIdx)
	b = appendDictColumn(b, p.paths.values, p.pathIdx)
	b = binary.AppendUvarint(b, uint64(p.nd))
	for d := range p.nd {
		b = appendDictColumn(b, p.dims[d].values, p.dimIdx[d])
	}
	return b
}

// appendDictColumn appends a column of strings: the dictionary's size; for
// each of its values, how many bytes it shares with the one before (the
// longest common prefix) and how many follow; those that follow, value
// after value; and each request's index.
func appendDictColumn[T uint16 | uint32](b []byte, values []string, idx []T) []byte {
	b, start := beginColumn(b)
	b = binary.AppendUvarint(b, uint64(len(values)))
	prev := ""
	for _, v := range values {
		shared := commonPrefix(prev, v)
		b = appendUvarint(b, uint64(shared))
		b = appendUvarint(b, uint64(len(v)-shared))
		prev = v
	}
	prev = ""
	for _, v := range values {
		b = append(b, v[commonPrefix(prev, v):]...)
		prev = v
	}
	b = appendIndexes(b, idx, len(values))
	return endColumn(b, start)
}

// commonPrefix returns the length of a's and b's longest common prefix.
func commonPrefix(a, b string) int {
	n := min(len(a), len(b))
	for i := range n {
		if a[i] != b[i] {
			return i
		}
	}
	return n
}

// indexBits returns the bits of each index into a dictionary of size
// values: none when there is one value, 1 for two, 2 up to four, and so on.
func indexBits(size int) uint {
	return uint(bits.Len(uint(max(size, 1) - 1)))
}

// appendIndexes appends the indexes idx into a dictionary of size values,
// packed at indexBits(size) bits each, from the lowest bit of each byte,
// the last byte's unused high bits 0.
func appendIndexes[T uint16 | uint32](b []byte, idx []T, size int) []byte {
	w := indexBits(size)
	if w == 0 {
		return b
	}
	b = slices.Grow(b, (len(idx)*int(w)+7)/8)
	var acc uint64 // bits not yet written, from the lowest
	var nacc uint  // how many
	for _, x := range idx {
		acc |= uint64(x) << nacc
		if nacc += w; nacc >= 32 {
			b = binary.LittleEndian.AppendUint32(b, uint32(acc))
			acc >>= 32
			nacc -= 32
		}
	}
	for ; nacc > 0; nacc -= min(nacc, 8) {
		b = append(b, byte(acc))
		acc >>= 8
	}
	return b
}

// columnLenBytes is the room beginColumn leaves for a column's length: that
// of any column of a block within maxBlockBytes.
const columnLenBytes = 3

// beginColumn leaves room for a column's length, which endColumn writes
// once the column is written after it.
func beginColumn(b []byte) ([]byte, int) {
	return append(b, 0, 0, 0), len(b)
}

func endColumn(b []byte, start int) []byte {
	n := len(b) - start - columnLenBytes
	k := uvarintLen(uint64(n))
	if k > columnLenBytes { // a block of one request past maxBlockBytes
		b = slices.Insert(b, start+columnLenBytes, make([]byte, k-columnLenBytes)...)
	} else if k < columnLenBytes {
		copy(b[start+k:], b[start+columnLenBytes:])
		b = b[:len(b)-(columnLenBytes-k)]
	}
	binary.PutUvarint(b[start:], uint64(n))
	return b
}

// dictBuilder builds a dictionary of strings in order of first appearance.
// Past a few values it finds them in an open-addressing hash table of
// 4-byte slots: for a hundred values as fast as a Go map, for thousands
// twice as fast, as its slots stay in the cache.
type dictBuilder struct {
	values []string
	slots  []uint32 // 1 + an index in values, or 0; by hash; nil while values are few
	spare  []uint32 // the memory of slots, kept by reset
	seed   maphash.Seed
	seeded bool
	free   uint64 // the empty slot where the last find stopped, for add
}

// reset empties d, keeping its memory.
func (d *dictBuilder) reset() {
	clear(d.values) // the strings may go
	d.values = d.values[:0]
	if d.slots != nil {
		d.spare, d.slots = d.slots, nil
	}
}

// find returns s's index in d, if it is there.
func (d *dictBuilder) find(s string) (uint32, bool) {
	if d.slots == nil {
		for i, v := range d.values {
			if v == s {
				return uint32(i), true
			}
		}
		return 0, false
	}
	mask := uint64(len(d.slots) - 1)
	for h := maphash.String(d.seed, s) & mask; ; h = (h + 1) & mask {
		j := d.slots[h]
		if j == 0 {
			d.free = h
			return 0, false
		}
		if d.values[j-1] == s {
			return j - 1, true
		}
	}
}

// add adds s, which the last call to find did not find, and returns its
// index.
func (d *dictBuilder) add(s string) uint32 {
	i := uint32(len(d.values))
	d.values = append(d.values, s)
	switch {
	case 2*len(d.values) > len(d.slots) && len(d.values) > 8:
		if !d.seeded {
			d.seed, d.seeded = maphash.MakeSeed(), true
		}
		size := 1 << bits.Len(uint(2*len(d.values))) // a power of 2, less than half full
		if d.slots == nil && cap(d.spare) >= size {
			d.slots = d.spare[:size]
			clear(d.slots)
		} else {
			if d.slots != nil {
				d.spare = d.slots
			}
			d.slots = make([]uint32, size)
		}
		mask := uint64(len(d.slots) - 1)
		for j, v := range d.values {
			h := maphash.String(d.seed, v) & mask
			for d.slots[h] != 0 {
				h = (h + 1) & mask
			}
			d.slots[h] = uint32(j) + 1
		}
	case d.slots != nil:
		d.slots[d.free] = i + 1
	}
	return i
}

// blockUnit returns the unit of a time or latency column, in microseconds,
// of its exponent: 0, 3 or 6; 0 for any other.
func blockUnit(exp byte) int64 {
	switch exp {
	case 0:
		return 1
	case 3:
		return 1e3
	case 6:
		return 1e6
	}
	return 0
}

func zigzag(v int64) uint64   { return uint64(v<<1) ^ uint64(v>>63) }
func unzigzag(u uint64) int64 { return int64(u>>1) ^ -int64(u&1) }

func uvarintLen(v uint64) int { return (bits.Len64(v|1) + 6) / 7 }

// appendUvarint is binary.AppendUvarint with the one-byte case inline.
func appendUvarint(b []byte, v uint64) []byte {
	if v < 0x80 {
		return append(b, byte(v))
	}
	return binary.AppendUvarint(b, v)
}

// blockColumns is a decoded block, column by column; decode reuses its
// slices. It is not safe for concurrent use.
type blockColumns struct {
	n         int      // requests
	offsets   []int64  // byte offset of each request's line in its source, increasing
	times     []int64  // request time, microseconds since the Unix epoch (UTC)
	latencies []int64  // microseconds; -1 for a request without a latency (NoLatency)
	statuses  []uint16 // 100..599
	methods   []string // method dictionary, in order of first appearance ("" allowed)
	methodIdx []uint32 // per request, index into methods
	paths     []string // path dictionary, in order of first appearance
	pathIdx   []uint32
	dims      []blockDim // per-request dimensions, in the order the ledger names them
}

// blockDim is a column of one dimension's values.
type blockDim struct {
	values []string // dictionary, in order of first appearance
	idx    []uint32 // per request
}

// len returns the number of requests.
func (c *blockColumns) len() int { return c.n }

// entry returns request i as an Entry of customer (Time in UTC, Latency
// NoLatency for -1), without its Dimensions (see dimensions).
func (c *blockColumns) entry(i int, customer string) Entry {
	return Entry{
		Time:       time.UnixMicro(c.times[i]).UTC(),
		CustomerID: customer,
		Method:     c.methods[c.methodIdx[i]],
		Path:       c.paths[c.pathIdx[i]],
		Status:     int(c.statuses[i]),
		Latency:    time.Duration(c.latencies[i]) * time.Microsecond,
	}
}

// dimensions returns request i's dimension values, a slice of its own;
// nil for a block without dimensions.
func (c *blockColumns) dimensions(i int) []string {
	if len(c.dims) == 0 {
		return nil
	}
	out := make([]string, len(c.dims))
	for d := range c.dims {
		out[d] = c.dims[d].values[c.dims[d].idx[i]]
	}
	return out
}

// entryWithDimensions is entry with its Dimensions.
func (c *blockColumns) entryWithDimensions(i int, customer string) Entry {
	e := c.entry(i, customer)
	e.Dimensions = c.dimensions(i)
	return e
}

// decode replaces c's contents with the block data. It checks everything
// docs/BLOCKS.md requires, and returns an error wrapping ErrCorruptBlock,
// saying what is wrong, for a block that breaks any of it; c's contents are
// then undefined. The strings of the dictionaries share one allocation,
// made anew for each block, so they stay valid after the next decode; data
// is not kept.
func (c *blockColumns) decode(data []byte) error {
	return c.decodeColumns(data, allColumns)
}

// A columnSet names the columns of a block that a reader needs besides
// the latencies and statuses, which every reader decodes.
type columnSet uint8

const (
	colOffsets columnSet = 1 << iota
	colTimes
	colMethods
	colPaths
	colDimensions

	allColumns = colOffsets | colTimes | colMethods | colPaths | colDimensions
)

// decodeColumns is decode of the columns of want only: those left out are
// not checked, and their slices in c are left as they were. A breakdown
// reads neither offsets nor times, and paths only to group by them.
func (c *blockColumns) decodeColumns(data []byte, want columnSet) error {
	if len(data) < 2 {
		return corruptBlock("truncated header")
	}
	if data[0] != blockVersion {
		return corruptBlock(fmt.Sprintf("unknown version %d", data[0]))
	}
	if data[1] != blockRaw {
		return corruptBlock(fmt.Sprintf("unknown compression %d", data[1]))
	}
	payload := data[2:]
	if len(payload) > maxBlockBytes {
		return corruptBlock("payload too long")
	}
	if err := c.decodePayload(payload, want); err != "" {
		return corruptBlock(err)
	}
	return nil
}

func corruptBlock(what string) error { return fmt.Errorf("%w: %s", ErrCorruptBlock, what) }

// decodePayload decodes the columns want of an uncompressed payload into
// c, or says what is wrong with it.
func (c *blockColumns) decodePayload(b []byte, want columnSet) string {
	n64, k := uvarint(b)
	if k <= 0 || n64 == 0 || n64 > maxBlockRequests {
		return "bad request count"
	}
	n, b := int(n64), b[k:]
	var cols [6][]byte
	for i := range cols {
		if cols[i], b = column(b); cols[i] == nil {
			return fmt.Sprintf("truncated %s column", columnNames[i])
		}
	}
	nd, k := uvarint(b)
	if k <= 0 || nd > maxBlockDims {
		return "bad dimension count"
	}
	b = b[k:]
	var dimCols [maxBlockDims][]byte
	for i := range nd {
		if dimCols[i], b = column(b); dimCols[i] == nil {
			return "truncated dimension column"
		}
	}
	if len(b) != 0 {
		return "trailing bytes"
	}
	// Every request has at least one byte in each of the first three
	// columns: a bound of n to check before allocating for it.
	if n > len(cols[0]) || n > len(cols[1]) || n > len(cols[2]) {
		return "request count past the columns"
	}
	c.n = n
	c.latencies = resize(c.latencies, n)
	c.statuses = resize(c.statuses, n)
	if want&colOffsets != 0 {
		c.offsets = resize(c.offsets, n)
		if err := decodeOffsets(cols[0], c.offsets); err != "" {
			return "offsets: " + err
		}
	}
	if want&colTimes != 0 {
		c.times = resize(c.times, n)
		if err := decodeTimes(cols[1], c.times); err != "" {
			return "times: " + err
		}
	}
	if err := decodeLatencies(cols[2], c.latencies); err != "" {
		return "latencies: " + err
	}
	if err := decodeStatuses(cols[3], c.statuses); err != "" {
		return "statuses: " + err
	}

	// The string columns: their dictionaries' values are written one after
	// another into one string, which they then slice.
	var dicts [2 + maxBlockDims]dictColumn
	strs := dicts[:2+nd]
	wanted := func(i int) bool {
		switch i {
		case 0:
			return want&colMethods != 0
		case 1:
			return want&colPaths != 0
		}
		return want&colDimensions != 0
	}
	total := 0
	for i := range strs {
		if !wanted(i) {
			continue
		}
		col := dimCols[max(i-2, 0)]
		if i < 2 {
			col = cols[4+i]
		}
		if err := strs[i].parse(col, n); err != "" {
			return dictColumnName(i) + ": " + err
		}
		if total += strs[i].total; total > maxBlockBytes {
			return "dictionaries too long"
		}
	}
	var all strings.Builder
	all.Grow(total)
	if want&colDimensions != 0 {
		c.dims = resize(c.dims, int(nd))
	}
	for i := range strs {
		if !wanted(i) {
			continue
		}
		var values *[]string
		var idx *[]uint32
		switch i {
		case 0:
			values, idx = &c.methods, &c.methodIdx
		case 1:
			values, idx = &c.paths, &c.pathIdx
		default:
			values, idx = &c.dims[i-2].values, &c.dims[i-2].idx
		}
		var err string
		if *values, err = strs[i].values(*values, &all); err != "" {
			return dictColumnName(i) + ": " + err
		}
		*idx = resize(*idx, n)
		if err := decodeIndexes(strs[i].idx, len(*values), *idx); err != "" {
			return dictColumnName(i) + ": " + err
		}
	}
	return ""
}

var columnNames = [...]string{"offsets", "times", "latencies", "statuses", "methods", "paths"}

func dictColumnName(i int) string {
	if i < 2 {
		return columnNames[4+i]
	}
	return fmt.Sprintf("dimension %d", i-2)
}

// column splits a length-prefixed column off b; a nil column if b is too
// short.
func column(b []byte) (col, rest []byte) {
	n, k := uvarint(b)
	if k <= 0 || n > uint64(len(b)-k) {
		return nil, b
	}
	return b[k : k+int(n) : k+int(n)], b[k+int(n):]
}

func resize[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}

// uvarints decodes len(out) uvarints from b into out (as int64s of the
// same bits), and returns what follows them.
func uvarints(b []byte, out []int64) ([]byte, string) {
	for i := range out {
		u, k := uint64(0), 1 // uvarint, its common case inline
		if len(b) > 0 && b[0] < 0x80 {
			u = uint64(b[0])
		} else if u, k = uvarint(b); k <= 0 {
			return nil, "truncated"
		}
		out[i], b = int64(u), b[k:]
	}
	return b, ""
}

func decodeOffsets(b []byte, offs []int64) string {
	b, err := uvarints(b, offs)
	if err != "" {
		return err
	}
	if offs[0] < 0 {
		return "bad first offset"
	}
	for i := 1; i < len(offs); i++ {
		d := uint64(offs[i])
		if d == 0 || d > uint64(math.MaxInt64-offs[i-1]) {
			return "not increasing"
		}
		offs[i] = offs[i-1] + int64(d)
	}
	if len(b) != 0 {
		return "trailing bytes"
	}
	return ""
}

// A time or latency column is the exponent of its unit, then its values,
// each a multiple of the unit; the unit must be the largest of 1 s, 1 ms
// and 1 µs that divides every value.

// scaledColumn splits the unit off a time or latency column b, decodes its
// len(out) uvarints into out, and checks that nothing follows them.
func scaledColumn(b []byte, out []int64) (unit int64, err string) {
	if len(b) == 0 || blockUnit(b[0]) == 0 {
		return 0, "bad unit"
	}
	rest, err := uvarints(b[1:], out)
	if err == "" && len(rest) != 0 {
		err = "trailing bytes"
	}
	return blockUnit(b[0]), err
}

func decodeTimes(b []byte, times []int64) string {
	unit, err := scaledColumn(b, times)
	if err != "" {
		return err
	}
	lo, hi := int64(minBlockTime)/unit, int64(maxBlockTime)/unit
	canonical := unit == 1e6 // some time not a multiple of the next larger unit
	var t int64
	for i, u := range times {
		t += unzigzag(uint64(u))
		if t < lo || t > hi {
			return "out of range"
		}
		if !canonical && t%1000 != 0 {
			canonical = true
		}
		times[i] = t * unit
	}
	if !canonical {
		return "unit not the largest"
	}
	return ""
}

func decodeLatencies(b []byte, lats []int64) string {
	unit, err := scaledColumn(b, lats)
	if err != "" {
		return err
	}
	hi := uint64(maxBlockLatency / unit)
	canonical := unit == 1e6 // some latency not a multiple of the next larger unit
	for i, u := range lats {
		if u == 0 {
			lats[i] = -1
			continue
		}
		v := uint64(u) - 1
		if v > hi {
			return "out of range"
		}
		if !canonical && v%1000 != 0 {
			canonical = true
		}
		lats[i] = int64(v) * unit
	}
	if !canonical {
		return "unit not the largest"
	}
	return ""
}

func decodeStatuses(b []byte, statuses []uint16) string {
	size, k := uvarint(b)
	if k <= 0 || size == 0 || size > uint64(min(len(statuses), 500)) {
		return "bad dictionary size"
	}
	b = b[k:]
	var dict [500]uint16
	var seen [500]bool
	for i := range size {
		s, k := uvarint(b)
		if k <= 0 || s < 100 || s > 599 || seen[s-100] {
			return "bad or repeated status"
		}
		b = b[k:]
		dict[i], seen[s-100] = uint16(s), true
	}
	if err := decodeIndexes(b, int(size), statuses); err != "" {
		return err
	}
	for i, x := range statuses {
		statuses[i] = dict[x]
	}
	return ""
}

// dictColumn is a column of strings, split into its parts.
type dictColumn struct {
	size     int
	lengths  []byte // size pairs of uvarints: bytes shared with the value before, bytes that follow
	suffixes []byte // the bytes that follow, value after value
	idx      []byte // the indexes
	total    int    // the bytes of all values
}

// parse splits b, a column of n requests, into c's parts.
func (c *dictColumn) parse(b []byte, n int) string {
	size, k := uvarint(b)
	if k <= 0 || size == 0 || size > uint64(min(n, len(b))) {
		return "bad dictionary size"
	}
	c.size = int(size)
	b = b[k:]
	rest, prevLen, suffixes, total := b, uint64(0), 0, 0
	for range c.size {
		shared, k1 := uvarint(rest)
		if k1 <= 0 {
			return "truncated lengths"
		}
		suffix, k2 := uvarint(rest[k1:])
		if k2 <= 0 || shared > prevLen || suffix > maxBlockString-shared {
			return "bad string length"
		}
		prevLen = shared + suffix
		suffixes += int(suffix)
		total += int(prevLen)
		rest = rest[k1+k2:]
	}
	if suffixes > len(rest) {
		return "truncated strings"
	}
	c.lengths, c.suffixes, c.idx, c.total = b[:len(b)-len(rest)], rest[:suffixes], rest[suffixes:], total
	return ""
}

// values writes the dictionary's values to all, which has room for them,
// and returns them, slices of all's string, in vs's memory. It checks that
// each value shares with the one before its longest common prefix.
func (c *dictColumn) values(vs []string, all *strings.Builder) ([]string, string) {
	vs = resize(vs, c.size)
	b, suffixes := c.lengths, c.suffixes
	prev := ""
	for i := range vs {
		shared, k := uvarint(b)
		b = b[k:]
		n, k := uvarint(b)
		b = b[k:]
		suffix := suffixes[:n]
		suffixes = suffixes[n:]
		if shared < uint64(len(prev)) && n > 0 && suffix[0] == prev[shared] {
			return nil, "shared prefix not the longest"
		}
		start := all.Len()
		all.WriteString(prev[:shared])
		all.Write(suffix)
		// all never grows past its room, so its earlier bytes stay put.
		prev = all.String()[start:]
		vs[i] = prev
	}
	return vs, ""
}

// decodeIndexes decodes the indexes b into a dictionary of size values
// into idx, checking that the dictionary is in order of first appearance
// and each of its values used.
func decodeIndexes[T uint32 | uint16](b []byte, size int, idx []T) string {
	w := indexBits(size)
	if len(b) != (len(idx)*int(w)+7)/8 {
		return "indexes of the wrong length"
	}
	if w == 0 {
		clear(idx)
		return ""
	}
	mask := uint64(1)<<w - 1
	next := T(0)   // the index of the next value to appear
	var acc uint64 // bits read and not yet used, from the lowest
	var nacc uint  // how many
	for i := range idx {
		if nacc < w {
			if len(b) >= 8 {
				// Take whole bytes of the next 8 into acc.
				acc |= binary.LittleEndian.Uint64(b) << nacc
				k := (63 - nacc) / 8
				b, nacc = b[k:], nacc+8*k
			} else {
				for ; nacc < w && len(b) > 0; nacc += 8 { // the last bytes
					acc |= uint64(b[0]) << nacc
					b = b[1:]
				}
			}
		}
		x := T(acc & mask)
		acc >>= w
		nacc -= w
		if x >= next {
			if x > next {
				return "index out of order"
			}
			next++
		}
		idx[i] = x
	}
	// The nacc bits left are the last byte's unused high bits.
	if acc&(uint64(1)<<nacc-1) != 0 {
		return "nonzero padding"
	}
	if int(next) != size {
		return "dictionary value unused"
	}
	return ""
}
