package logstats

import (
	"bytes"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/s2"
	"github.com/klauspost/compress/zstd"
	"github.com/logstats/logstats/internal/loggen"
	_ "modernc.org/sqlite"
)

// blockShapes are the requests of one customer on one day that the
// benchmarks encode: loggen nginx logs read by a Parser, with their lines'
// byte offsets. loggen is such a log as it is: its times are evenly spaced
// and its lines nearly all of a length, more regular than real logs, which
// favours compression. merged is the logs of several servers, times
// shuffled within the day. real is a log whose requests arrive as a Poisson
// process, whose lines vary in length as user agents make real ones vary
// (by 0 to 160 bytes), and whose paths carry user ids, order UUIDs and
// pages, as real APIs' paths do.
var blockShapes = []string{"loggen", "merged", "real"}

// blockRequests returns n requests of shape.
func blockRequests(tb testing.TB, shape string, n int) ([]Entry, []int64) {
	tb.Helper()
	cfg := loggen.DefaultConfig()
	cfg.Lines, cfg.Customers, cfg.Days, cfg.Format, cfg.Sorted = n, 1, 1, "nginx", shape != "merged"
	cfg.UntimedRate = 0.01
	var log bytes.Buffer
	if err := loggen.Write(&log, cfg); err != nil {
		tb.Fatal(err)
	}
	entries, offsets := parseBlockLog(tb, log.Bytes())
	if shape != "real" {
		return entries, offsets
	}
	rng := rand.New(rand.NewPCG(7, 8))
	zipf := rand.NewZipf(rng, 1.2, 1, 50_000)
	at := float64(cfg.Start.Unix())
	var text []byte
	for _, e := range entries {
		at += rng.ExpFloat64() * 86400 / float64(n)
		e.Time = time.Unix(int64(at), 0).UTC()
		switch u := rng.IntN(100); {
		case u < 30:
			e.Path = "/api/v1/users/" + strconv.FormatUint(zipf.Uint64()+1, 10)
		case u < 45:
			e.Path = fmt.Sprintf("/api/v1/orders/%08x-%04x-%04x-%04x-%012x", rng.Uint32(), rng.Uint32()&0xffff, rng.Uint32()&0xffff, rng.Uint32()&0xffff, rng.Uint64()&0xffffffffffff)
		case u < 55:
			e.Path = "/api/v1/users/" + strconv.FormatUint(zipf.Uint64()+1, 10) + "/orders?page=" + strconv.Itoa(1+rng.IntN(20))
		}
		var err error
		text, err = loggen.Append(text, "nginx", loggen.Request{Time: e.Time, Customer: e.CustomerID, Method: e.Method, Path: e.Path,
			Status: e.Status, Latency: e.Latency, Addr: "10.0.0.1", Bytes: rng.IntN(20000)})
		if err != nil {
			tb.Fatal(err)
		}
		text = append(text, '\n')
	}
	entries, offsets = parseBlockLog(tb, text)
	var longer int64 // what the user agents before a line add
	for i := range offsets {
		offsets[i] += longer
		longer += rng.Int64N(161)
	}
	return entries, offsets
}

// parseBlockLog reads an nginx log into entries and their lines' offsets.
func parseBlockLog(tb testing.TB, log []byte) ([]Entry, []int64) {
	tb.Helper()
	format, err := ParseFormat("nginx")
	if err != nil {
		tb.Fatal(err)
	}
	p, err := NewParser(bytes.NewReader(log), ParseConfig{Format: format})
	if err != nil {
		tb.Fatal(err)
	}
	var entries []Entry
	var offsets []int64
	for {
		start := p.Offset()
		e, err := p.Next()
		if err == io.EOF {
			return entries, offsets
		}
		if err != nil {
			tb.Fatal(err)
		}
		entries, offsets = append(entries, e), append(offsets, start)
	}
}

// blockIndexes returns 0, 1, ..., n-1.
func blockIndexes(n int) []int32 {
	idx := make([]int32, n)
	for i := range idx {
		idx[i] = int32(i)
	}
	return idx
}

// blockEntry is what a block keeps of e, a request of customer "c": its
// time to the microsecond, in UTC.
func blockEntry(e Entry) Entry {
	e.Time = time.UnixMicro(e.Time.UnixMicro()).UTC()
	e.CustomerID = "c"
	return e
}

// encodeAll encodes the requests of idx in as many blocks as it takes.
func encodeAll(tb testing.TB, entries []Entry, offsets []int64, idx []int32) [][]byte {
	tb.Helper()
	var blocks [][]byte
	for len(idx) > 0 {
		block, n := encodeBlock(nil, entries, offsets, idx)
		if n < 1 || n > len(idx) || n > maxBlockRequests {
			tb.Fatalf("encodeBlock took %d of %d requests", n, len(idx))
		}
		if len(block)-2 > maxBlockBytes {
			tb.Fatalf("a payload of %d bytes, past maxBlockBytes", len(block)-2)
		}
		blocks, idx = append(blocks, block), idx[n:]
	}
	return blocks
}

// checkBlocks checks that blocks, decoded into c one after the other, hold
// the requests of idx.
func checkBlocks(tb testing.TB, c *blockColumns, blocks [][]byte, entries []Entry, offsets []int64, idx []int32) {
	tb.Helper()
	k := 0
	for b, block := range blocks {
		if err := c.decode(block); err != nil {
			tb.Fatalf("block %d: %v", b, err)
		}
		for i := range c.len() {
			if k >= len(idx) {
				tb.Fatalf("block %d holds more than the %d requests", b, len(idx))
			}
			want := blockEntry(entries[idx[k]])
			if got := c.entryWithDimensions(i, "c"); !reflect.DeepEqual(got, want) {
				tb.Fatalf("block %d, request %d: got %+v, want %+v", b, i, got, want)
			}
			if got, want := c.offsets[i], offsets[idx[k]]; got != want {
				tb.Fatalf("block %d, request %d: offset %d, want %d", b, i, got, want)
			}
			k++
		}
	}
	if k != len(idx) {
		tb.Fatalf("blocks hold %d requests, want %d", k, len(idx))
	}
}

// dayAt is a time of 2024-10-01 UTC, in microseconds from its start.
func dayAt(us int64) time.Time {
	return time.Date(2024, 10, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(us) * time.Microsecond)
}

func TestBlock_RoundTrip(t *testing.T) {
	ms := time.Millisecond
	for _, tc := range []struct {
		name    string
		entries []Entry
	}{
		{"OneRequest", []Entry{{Time: dayAt(3600e6), Method: "GET", Path: "/a", Status: 200, Latency: 123 * ms}}},
		{"NoLatency", []Entry{
			{Time: dayAt(0), Method: "GET", Path: "/a", Status: 200, Latency: NoLatency},
			{Time: dayAt(1e6), Method: "GET", Path: "/a", Status: 200, Latency: NoLatency}}},
		{"SomeLatencies", []Entry{
			{Time: dayAt(0), Path: "/a", Status: 200, Latency: NoLatency},
			{Time: dayAt(1e6), Path: "/a", Status: 200, Latency: 0},
			{Time: dayAt(2e6), Path: "/a", Status: 200, Latency: 7 * time.Second}}},
		{"EmptyMethodAndPath", []Entry{
			{Time: dayAt(0), Method: "", Path: "", Status: 200},
			{Time: dayAt(0), Method: "GET", Path: "/", Status: 200},
			{Time: dayAt(0), Method: "", Path: "", Status: 200}}},
		{"TimeBackwards", []Entry{
			{Time: dayAt(10e6), Path: "/a", Status: 200},
			{Time: dayAt(3e6), Path: "/a", Status: 200},
			{Time: dayAt(86399e6), Path: "/a", Status: 200},
			{Time: dayAt(0), Path: "/a", Status: 200}}},
		{"Microseconds", []Entry{
			{Time: dayAt(1), Path: "/a", Status: 200, Latency: 1 * time.Microsecond},
			{Time: dayAt(1e3), Path: "/a", Status: 200, Latency: 1 * ms},
			{Time: dayAt(1e6 + 999_999), Path: "/a", Status: 200, Latency: 1500 * time.Microsecond}}},
		{"SubMicrosecond", []Entry{{Time: dayAt(5e6).Add(999 * time.Nanosecond), Path: "/a", Status: 200}}},
		{"Extremes", []Entry{
			{Time: time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC), Path: "/a", Status: 100, Latency: MaxLatency},
			{Time: time.Date(9999, 12, 31, 23, 59, 59, 999_999_000, time.UTC), Path: "/a", Status: 599, Latency: 0}}},
		{"Zone", []Entry{{Time: time.Date(2024, 10, 1, 2, 0, 0, 0, time.FixedZone("x", 7200)), Path: "/a", Status: 200}}},
		{"Unicode", []Entry{
			{Time: dayAt(0), Method: "ПОЛУЧИТЬ", Path: "/données/日本/🙂", Status: 200},
			{Time: dayAt(0), Method: "GET", Path: "/données/日本/🙃", Status: 200},
			{Time: dayAt(0), Method: "GET", Path: "/\xff\xfe not UTF-8", Status: 200}}},
		{"LongPaths", []Entry{
			{Time: dayAt(0), Method: strings.Repeat("M", MaxPathBytes), Path: strings.Repeat("/a", MaxPathBytes/2), Status: 200},
			{Time: dayAt(0), Path: strings.Repeat("/a", MaxPathBytes/2-1) + "/b", Status: 200},
			{Time: dayAt(0), Path: strings.Repeat("/a", MaxPathBytes/4), Status: 200}}},
		{"SharedPrefixes", []Entry{
			{Time: dayAt(0), Path: "/v1/users/42", Status: 200},
			{Time: dayAt(0), Path: "/v1/users/7", Status: 200},
			{Time: dayAt(0), Path: "/v1/users/42/orders", Status: 200},
			{Time: dayAt(0), Path: "/v1/users/4", Status: 200},
			{Time: dayAt(0), Path: "/v1/users/42", Status: 200},
			{Time: dayAt(0), Path: "/v2", Status: 200}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			offsets := make([]int64, len(tc.entries))
			for i := range offsets {
				offsets[i] = int64(i) * 100
			}
			idx := blockIndexes(len(tc.entries))
			blocks := encodeAll(t, tc.entries, offsets, idx)
			if len(blocks) != 1 {
				t.Fatalf("%d blocks, want 1", len(blocks))
			}
			checkBlocks(t, &blockColumns{}, blocks, tc.entries, offsets, idx)
		})
	}
}

// TestBlock_Statuses checks every status, and dictionaries of 1 to 500
// values (indexes of 0 to 9 bits).
func TestBlock_Statuses(t *testing.T) {
	var c blockColumns
	for _, size := range []int{1, 2, 3, 4, 5, 17, 256, 257, 500} {
		var entries []Entry
		for i := range 3 * size {
			entries = append(entries, Entry{Time: dayAt(0), Path: "/", Status: 100 + (i*7)%size})
		}
		offsets := make([]int64, len(entries))
		for i := range offsets {
			offsets[i] = int64(i)
		}
		idx := blockIndexes(len(entries))
		checkBlocks(t, &c, encodeAll(t, entries, offsets, idx), entries, offsets, idx)
	}
}

// randomEntries returns n random requests of one customer and day, and
// increasing offsets: times going back and forth, to the second, the
// millisecond or the microsecond, and sometimes at the ends of the years
// a block can hold; methods and paths empty, Unicode, invalid UTF-8, up to
// 2048 bytes, from small or large dictionaries; latencies none, 0, up to
// MaxLatency; offsets from 0 or huge.
func randomEntries(rng *rand.Rand, n int) ([]Entry, []int64) {
	unit := []int64{1, 1e3, 1e6}[rng.IntN(3)]
	paths := make([]string, 1+rng.IntN([]int{1, 50, 5000}[rng.IntN(3)]))
	for i := range paths {
		switch rng.IntN(6) {
		case 0:
			paths[i] = ""
		case 1:
			paths[i] = strings.Repeat("/é", rng.IntN(MaxPathBytes/3))
		case 2:
			b := make([]byte, rng.IntN(40))
			for j := range b {
				b[j] = byte(rng.Uint32())
			}
			paths[i] = string(b)
		default:
			paths[i] = "/api/v1/users/" + strconv.Itoa(rng.IntN(100000))
		}
	}
	methods := []string{"GET", "POST", "", "PUT", "ÜBER", strings.Repeat("X", 2048)}[:1+rng.IntN(6)]
	base := dayAt(rng.Int64N(86400e6)).UnixMicro()
	offset := []int64{0, rng.Int64N(1 << 40), 1<<62 + rng.Int64N(1<<40)}[rng.IntN(3)]
	entries, offsets := make([]Entry, n), make([]int64, n)
	for i := range entries {
		t := base + rng.Int64N(3600e6) - 1800e6
		switch rng.IntN(50) {
		case 0:
			t = minBlockTime + rng.Int64N(1e6)
		case 1:
			t = maxBlockTime - rng.Int64N(1e6)
		}
		t -= t % unit
		lat := []time.Duration{NoLatency, 0, time.Duration(rng.Int64N(int64(MaxLatency) + 1)).Truncate(time.Duration(unit) * time.Microsecond), MaxLatency}[rng.IntN(4)]
		entries[i] = Entry{
			Time:       time.UnixMicro(t),
			CustomerID: "c",
			Method:     methods[rng.IntN(len(methods))],
			Path:       paths[rng.IntN(len(paths))],
			Status:     100 + rng.IntN(500),
			Latency:    lat,
		}
		offset += 1 + rng.Int64N([]int64{1, 200, 1 << 30}[rng.IntN(3)])
		offsets[i] = offset
	}
	return entries, offsets
}

// TestBlock_Random round-trips random requests, some of them through
// idx picking every other request, as a batch of several customers does.
func TestBlock_Random(t *testing.T) {
	var c blockColumns
	for seed := range uint64(300) {
		rng := rand.New(rand.NewPCG(seed, 1))
		entries, offsets := randomEntries(rng, 1+rng.IntN([]int{3, 300, 3000}[seed%3]))
		idx := blockIndexes(len(entries))
		if seed%2 == 1 {
			idx = slices.DeleteFunc(idx, func(i int32) bool { return i%2 == 1 })
		}
		checkBlocks(t, &c, encodeAll(t, entries, offsets, idx), entries, offsets, idx)
	}
}

// TestBlockPlan_Reuse: a plan reused from block to block, as a load's
// encoder reuses one, writes the bytes a new plan writes, whatever the
// blocks before it (large dictionaries, then small ones, and back).
func TestBlockPlan_Reuse(t *testing.T) {
	var p blockPlan
	for seed := range uint64(200) {
		rng := rand.New(rand.NewPCG(seed, 3))
		entries, offsets := randomEntries(rng, 1+rng.IntN([]int{3, 300, 3000}[seed%3]))
		for idx := blockIndexes(len(entries)); len(idx) > 0; {
			want, n := encodeBlock(nil, entries, offsets, idx)
			got, m := p.encode(nil, entries, offsets, idx)
			if m != n || !bytes.Equal(got, want) {
				t.Fatalf("seed %d: a reused plan wrote %d requests in %d bytes, a new one %d in %d", seed, m, len(got), n, len(want))
			}
			idx = idx[n:]
		}
	}
}

// TestBlock_Cut checks that a block holds at most maxBlockRequests
// requests, and that it stops before its payload passes maxBlockBytes,
// close to it.
func TestBlock_Cut(t *testing.T) {
	t.Run("Requests", func(t *testing.T) {
		rng := rand.New(rand.NewPCG(1, 2))
		entries, offsets := randomEntries(rng, maxBlockRequests+5)
		idx := blockIndexes(len(entries))
		blocks := encodeAll(t, entries, offsets, idx)
		var c blockColumns
		checkBlocks(t, &c, blocks, entries, offsets, idx)
		if len(blocks) != 2 || c.len() != 5 {
			t.Fatalf("%d blocks, the last of %d requests; want 2, of %d and 5", len(blocks), c.len(), maxBlockRequests)
		}
	})
	t.Run("Bytes", func(t *testing.T) {
		// Distinct paths of 2,000 bytes: about 520 to a block.
		rng := rand.New(rand.NewPCG(3, 4))
		entries, offsets := randomEntries(rng, 2000)
		for i := range entries {
			entries[i].Path = fmt.Sprintf("%08d", i) + strings.Repeat("x", 1992)
		}
		idx := blockIndexes(len(entries))
		blocks := encodeAll(t, entries, offsets, idx)
		checkBlocks(t, &blockColumns{}, blocks, entries, offsets, idx)
		if len(blocks) != 4 {
			t.Fatalf("%d blocks, want 4", len(blocks))
		}
		for _, block := range blocks[:3] {
			if len(block) < maxBlockBytes-32<<10 {
				t.Fatalf("a block of %d bytes was cut more than 32 KiB before maxBlockBytes", len(block))
			}
		}
	})
	t.Run("OneRequest", func(t *testing.T) {
		// However long a request's strings, a block takes at least one.
		entries := []Entry{{Time: dayAt(0), Path: strings.Repeat("x", 2*maxBlockBytes), Status: 200}}
		block, n := encodeBlock(nil, entries, []int64{0}, []int32{0})
		if n != 1 {
			t.Fatalf("took %d requests, want 1", n)
		}
		if err := new(blockColumns).decode(block); !errors.Is(err, ErrCorruptBlock) {
			t.Fatalf("decode of a request past the limits: %v, want ErrCorruptBlock", err)
		}
	})
}

// TestBlock_Dims checks dimension columns: written from the entries'
// Dimensions, decoded, and reused from block to block.
func TestBlock_Dims(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	var c blockColumns
	for _, ndims := range []int{maxBlockDims, 1, 0, 2, 3} {
		entries, offsets := randomEntries(rng, 100)
		withDimensions(rng, entries, ndims)
		idx := blockIndexes(len(entries))
		block, n := encodeBlock(nil, entries, offsets, idx)
		if n != len(idx) {
			t.Fatalf("took %d of %d requests", n, len(idx))
		}
		if err := c.decode(block); err != nil {
			t.Fatal(err)
		}
		if len(c.dims) != ndims {
			t.Fatalf("%d dimensions, want %d", len(c.dims), ndims)
		}
		checkBlocks(t, &c, [][]byte{block}, entries, offsets, idx)
	}
}

// withDimensions gives each entry ndims dimensions of random values.
func withDimensions(rng *rand.Rand, entries []Entry, ndims int) {
	for i := range entries {
		if ndims == 0 {
			entries[i].Dimensions = nil
			continue
		}
		entries[i].Dimensions = make([]string, ndims)
		for d := range ndims {
			entries[i].Dimensions[d] = []string{"", "eu", "us", "eu-west-1", strings.Repeat("ü", MaxDimensionValueBytes/2)}[rng.IntN(2+d)]
		}
	}
}

// TestBlock_DecodeReuse checks that decode reuses c's slices, and that the
// strings of a block stay valid after the next is decoded into c.
func TestBlock_DecodeReuse(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	big, bigOffsets := randomEntries(rng, 3000)
	small, smallOffsets := randomEntries(rng, 10)
	bigBlock, _ := encodeBlock(nil, big, bigOffsets, blockIndexes(len(big)))
	smallBlock, _ := encodeBlock(nil, small, smallOffsets, blockIndexes(len(small)))
	var c blockColumns
	if err := c.decode(bigBlock); err != nil {
		t.Fatal(err)
	}
	first := c.entry(0, "c")
	if err := c.decode(smallBlock); err != nil {
		t.Fatal(err)
	}
	if got, want := first, blockEntry(big[0]); !reflect.DeepEqual(got, want) {
		t.Fatalf("a string of the first block changed with the second: %+v, want %+v", got, want)
	}
	allocs := testing.AllocsPerRun(100, func() {
		if err := c.decode(bigBlock); err != nil {
			t.Fatal(err)
		}
	})
	if allocs > 1 {
		t.Fatalf("decode into reused columns made %v allocations, want 1 (the dictionaries' strings)", allocs)
	}
	checkBlocks(t, &c, [][]byte{smallBlock}, small, smallOffsets, blockIndexes(len(small)))
}

// TestBlock_Truncated checks that every truncation of valid blocks fails
// with ErrCorruptBlock, and that no change of any one byte panics.
func TestBlock_Truncated(t *testing.T) {
	var c blockColumns
	for _, block := range blockSeeds(t) {
		for n := range len(block) {
			if err := c.decode(block[:n]); !errors.Is(err, ErrCorruptBlock) {
				t.Fatalf("decode of %d of %d bytes: %v, want ErrCorruptBlock", n, len(block), err)
			}
		}
		if len(block) > 5000 {
			continue
		}
		b := slices.Clone(block)
		for i := range b {
			for _, x := range []byte{0, 1, 0x7f, 0x80, 0xff, b[i] ^ 1} {
				b[i], x = x, b[i]
				_ = c.decode(b)
				b[i] = x
			}
		}
	}
}

// blockSeeds returns small valid blocks: random ones, one with dimensions,
// a realistic one and docs/BLOCKS.md's. (Large seeds slow the fuzzer down:
// it spends a minute minimizing each new input.)
func blockSeeds(tb testing.TB) [][]byte {
	tb.Helper()
	var seeds [][]byte
	rng := rand.New(rand.NewPCG(9, 10))
	for n := range 8 {
		entries, offsets := randomEntries(rng, 1+n*n)
		block, _ := encodeBlock(nil, entries, offsets, blockIndexes(len(entries)))
		seeds = append(seeds, block)
	}
	entries, offsets := randomEntries(rng, 17)
	withDimensions(rng, entries, 2)
	block, _ := encodeBlock(nil, entries, offsets, blockIndexes(len(entries)))
	seeds = append(seeds, block)
	entries, offsets = blockRequests(tb, "real", 40)
	block, _ = encodeBlock(nil, entries, offsets, blockIndexes(len(entries)))
	return append(seeds, block, docBlock())
}

// blockParts are the parts of a block of two requests, valid until a test
// changes one: each column without its length, which bytes adds.
type blockParts struct {
	header, count []byte
	cols          [6][]byte
	ndims         []byte
	dims          [][]byte
	trailing      []byte
}

func uv(v uint64) []byte { return binary.AppendUvarint(nil, v) }
func zz(v int64) []byte  { return uv(zigzag(v)) }

func cat(parts ...[]byte) []byte { return slices.Concat(parts...) }

func validParts() blockParts {
	return blockParts{
		header: []byte{blockVersion, blockRaw},
		count:  uv(2),
		cols: [6][]byte{
			cat(uv(100), uv(80)),                   // offsets 100, 180
			cat([]byte{6}, zz(1727740800), zz(-1)), // 2024-10-01 00:00:00, then a second before
			cat([]byte{3}, uv(124), uv(0)),         // 123 ms, none
			cat(uv(2), uv(200), uv(404), []byte{0b10}),
			cat(uv(1), uv(0), uv(3), []byte("GET")),                                 // one method: no indexes
			cat(uv(2), uv(0), uv(6), uv(5), uv(1), []byte("/a/b/cd"), []byte{0b10}), // /a/b/c, /a/b/d
		},
		ndims: uv(0),
	}
}

func (p blockParts) bytes() []byte {
	b := cat(p.header, p.count)
	for _, col := range p.cols {
		b = append(append(b, uv(uint64(len(col)))...), col...)
	}
	b = append(b, p.ndims...)
	for _, col := range p.dims {
		b = append(append(b, uv(uint64(len(col)))...), col...)
	}
	return append(b, p.trailing...)
}

// TestBlock_Corrupt checks that decode refuses each way a block can break
// docs/BLOCKS.md, saying what is wrong.
func TestBlock_Corrupt(t *testing.T) {
	var c blockColumns
	if err := c.decode(validParts().bytes()); err != nil {
		t.Fatalf("the valid parts: %v", err)
	}
	// A block whose dictionary values, counted whole, pass maxBlockBytes:
	// 600 paths of 2,048 bytes, each sharing 2,047 with the one before.
	const n = 600
	amplified := validParts()
	amplified.count = uv(n)
	amplified.cols[0] = bytes.Repeat([]byte{1}, n)
	amplified.cols[1] = cat([]byte{6}, bytes.Repeat([]byte{0}, n))
	amplified.cols[2] = cat([]byte{6}, bytes.Repeat([]byte{0}, n))
	amplified.cols[3] = cat(uv(1), uv(200))
	amplified.cols[4] = cat(uv(1), uv(0), uv(0))
	paths := cat(uv(n), uv(0), uv(2048))
	suffixes := bytes.Repeat([]byte{'a'}, 2048)
	for i := 1; i < n; i++ {
		paths = cat(paths, uv(2047), uv(1))
		suffixes = append(suffixes, byte('b'+i%2))
	}
	pathIdx := make([]uint32, n)
	for i := range pathIdx {
		pathIdx[i] = uint32(i)
	}
	amplified.cols[5] = appendIndexes(cat(paths, suffixes), pathIdx, n)

	for _, tc := range []struct {
		name   string
		change func(p *blockParts)
		data   []byte // instead of the changed parts
		want   string
	}{
		{name: "ErrEmpty", data: []byte{}, want: "truncated header"},
		{name: "ErrVersion", change: func(p *blockParts) { p.header[0] = 2 }, want: "unknown version 2"},
		{name: "ErrCompression", change: func(p *blockParts) { p.header[1] = 1 }, want: "unknown compression 1"},
		{name: "ErrPayloadTooLong", change: func(p *blockParts) { p.trailing = make([]byte, maxBlockBytes) }, want: "payload too long"},
		{name: "ErrCountZero", change: func(p *blockParts) { p.count = uv(0) }, want: "bad request count"},
		{name: "ErrCountOverlong", change: func(p *blockParts) { p.count = []byte{0x82, 0x00} }, want: "bad request count"},
		{name: "ErrCountPastMax", change: func(p *blockParts) { p.count = uv(maxBlockRequests + 1) }, want: "bad request count"},
		{name: "ErrCountPastColumns", change: func(p *blockParts) { p.count = uv(3) }, want: "request count past the columns"},
		{name: "ErrColumnTruncated", data: cat([]byte{1, 0}, uv(1), uv(5), []byte{1, 2}), want: "truncated offsets column"},
		{name: "ErrDimsPastMax", change: func(p *blockParts) { p.ndims = uv(maxBlockDims + 1) }, want: "bad dimension count"},
		{name: "ErrDimTruncated", change: func(p *blockParts) { p.ndims = uv(1) }, want: "truncated dimension column"},
		{name: "ErrTrailing", change: func(p *blockParts) { p.trailing = []byte{0} }, want: "trailing bytes"},
		{name: "ErrOffsetsEqual", change: func(p *blockParts) { p.cols[0] = cat(uv(100), uv(0)) }, want: "offsets: not increasing"},
		{name: "ErrOffsetsOverflow", change: func(p *blockParts) { p.cols[0] = cat(uv(math.MaxInt64), uv(1)) }, want: "offsets: not increasing"},
		{name: "ErrOffsetNegative", change: func(p *blockParts) { p.cols[0] = cat(uv(1<<63), uv(1)) }, want: "offsets: bad first offset"},
		{name: "ErrOffsetOverlong", change: func(p *blockParts) { p.cols[0] = cat(uv(100), []byte{0xd0, 0x00}) }, want: "offsets: truncated"},
		{name: "ErrOffsetsLeft", change: func(p *blockParts) { p.cols[0] = cat(uv(100), uv(80), uv(1)) }, want: "offsets: trailing bytes"},
		{name: "ErrTimeUnit", change: func(p *blockParts) { p.cols[1][0] = 2 }, want: "times: bad unit"},
		{name: "ErrTimeUnitNotLargest", change: func(p *blockParts) { p.cols[1] = cat([]byte{3}, zz(1727740800_000), zz(-1000)) },
			want: "times: unit not the largest"},
		{name: "ErrTimePastYear9999", change: func(p *blockParts) { p.cols[1] = cat([]byte{6}, zz(253402300800), zz(-1)) }, want: "times: out of range"},
		{name: "ErrTimeBeforeYear1", change: func(p *blockParts) { p.cols[1] = cat([]byte{6}, zz(-62135596800), zz(-1)) }, want: "times: out of range"},
		{name: "ErrLatencyUnit", change: func(p *blockParts) { p.cols[2][0] = 7 }, want: "latencies: bad unit"},
		{name: "ErrLatencyUnitNotLargest", change: func(p *blockParts) { p.cols[2] = cat([]byte{0}, uv(123001), uv(0)) }, want: "latencies: unit not the largest"},
		{name: "ErrLatencyUnitNone", change: func(p *blockParts) { p.cols[2] = cat([]byte{3}, uv(0), uv(0)) }, want: "latencies: unit not the largest"},
		{name: "ErrLatencyPastMax", change: func(p *blockParts) { p.cols[2] = cat([]byte{0}, uv(86400e6+2), uv(0)) }, want: "latencies: out of range"},
		{name: "ErrStatus", change: func(p *blockParts) { p.cols[3] = cat(uv(2), uv(200), uv(600), []byte{0b10}) }, want: "statuses: bad or repeated status"},
		{name: "ErrStatusRepeated", change: func(p *blockParts) { p.cols[3] = cat(uv(2), uv(200), uv(200), []byte{0b10}) }, want: "statuses: bad or repeated status"},
		{name: "ErrStatusDictionaryPastCount", change: func(p *blockParts) { p.cols[3] = cat(uv(3), uv(200), uv(201), uv(202), []byte{0b10}) },
			want: "statuses: bad dictionary size"},
		{name: "ErrStatusOrder", change: func(p *blockParts) { p.cols[3][len(p.cols[3])-1] = 0b01 }, want: "statuses: index out of order"},
		{name: "ErrStatusUnused", change: func(p *blockParts) { p.cols[3][len(p.cols[3])-1] = 0b00 }, want: "statuses: dictionary value unused"},
		{name: "ErrPadding", change: func(p *blockParts) { p.cols[3][len(p.cols[3])-1] = 0b110 }, want: "statuses: nonzero padding"},
		{name: "ErrIndexesLength", change: func(p *blockParts) { p.cols[3] = append(p.cols[3], 0) }, want: "statuses: indexes of the wrong length"},
		{name: "ErrMethodIndexes", change: func(p *blockParts) { p.cols[4] = append(p.cols[4], 0) }, want: "methods: indexes of the wrong length"},
		{name: "ErrPathTooLong", change: func(p *blockParts) { p.cols[5] = cat(uv(1), uv(0), uv(2049), make([]byte, 2049)) }, want: "paths: bad string length"},
		{name: "ErrSharedPastValue", change: func(p *blockParts) {
			p.cols[5] = cat(uv(2), uv(0), uv(6), uv(7), uv(0), []byte("/a/b/c"), []byte{0b10})
		},
			want: "paths: bad string length"},
		{name: "ErrSharedNotLongest", change: func(p *blockParts) {
			p.cols[5] = cat(uv(2), uv(0), uv(6), uv(4), uv(2), []byte("/a/b/c/d"), []byte{0b10})
		},
			want: "paths: shared prefix not the longest"},
		{name: "ErrStringsTruncated", change: func(p *blockParts) { p.cols[5] = cat(uv(2), uv(0), uv(6), uv(5), uv(1), []byte("/a/")) },
			want: "paths: truncated strings"},
		{name: "ErrDictionaryZero", change: func(p *blockParts) { p.cols[5] = cat(uv(0)) }, want: "paths: bad dictionary size"},
		{name: "ErrDictionaryPastCount", change: func(p *blockParts) {
			p.cols[5] = cat(uv(3), uv(0), uv(1), uv(0), uv(1), uv(0), uv(1), []byte("abc"), []byte{0b1001})
		}, want: "paths: bad dictionary size"},
		{name: "ErrDimensionIndex", change: func(p *blockParts) {
			p.ndims, p.dims = uv(1), [][]byte{cat(uv(2), uv(0), uv(2), uv(0), uv(2), []byte("euus"), []byte{0b01})}
		}, want: "dimension 0: index out of order"},
		{name: "ErrDictionariesTooLong", data: amplified.bytes(), want: "dictionaries too long"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := tc.data
			if tc.change != nil {
				p := validParts()
				tc.change(&p)
				data = p.bytes()
			}
			err := c.decode(data)
			if !errors.Is(err, ErrCorruptBlock) || KindOf(err) != KindInternal {
				t.Fatalf("err=%v (kind %v), want ErrCorruptBlock of kind internal", err, KindOf(err))
			}
			if want := "logstats: corrupt block: " + tc.want; err.Error() != want {
				t.Fatalf("err=%q, want %q", err, want)
			}
		})
	}
}

// FuzzDecodeBlock checks that decode never panics, and that the requests
// of a block it accepts encode to blocks that decode to the same requests:
// to the same bytes, when they fit in one block and no dictionary repeats
// a value.
func FuzzDecodeBlock(f *testing.F) {
	for _, seed := range blockSeeds(f) {
		f.Add(seed)
	}
	f.Add(validParts().bytes())
	f.Fuzz(func(t *testing.T, data []byte) {
		var c blockColumns
		if err := c.decode(data); err != nil {
			if !errors.Is(err, ErrCorruptBlock) {
				t.Fatalf("err=%v, want ErrCorruptBlock", err)
			}
			return
		}
		entries := make([]Entry, c.len())
		for i := range entries {
			entries[i] = c.entryWithDimensions(i, "c")
		}
		offsets := slices.Clone(c.offsets)
		dims := slices.Clone(c.dims)
		idx := blockIndexes(len(entries))
		blocks := encodeAll(t, entries, offsets, idx)
		checkBlocks(t, &blockColumns{}, blocks, entries, offsets, idx)
		distinct := func(values []string) bool {
			seen := make(map[string]bool)
			for _, v := range values {
				if seen[v] {
					return false
				}
				seen[v] = true
			}
			return true
		}
		if len(blocks) > 1 || !distinct(c.methods) || !distinct(c.paths) || slices.ContainsFunc(dims, func(d blockDim) bool { return !distinct(d.values) }) {
			return
		}
		if got := blocks[0]; !bytes.Equal(got, data) {
			t.Fatalf("re-encoded:\n%x\nwant\n%x", got, data)
		}
	})
}

// docBlock returns the block that docs/BLOCKS.md takes apart: three
// requests of an nginx log.
func docBlock() []byte {
	noon := time.Date(2024, 10, 1, 12, 0, 0, 0, time.UTC)
	entries := []Entry{
		{Time: noon, Method: "GET", Path: "/v1/users/42", Status: 200, Latency: 123 * time.Millisecond},
		{Time: noon.Add(time.Second), Method: "POST", Path: "/v1/users/7", Status: 201, Latency: NoLatency},
		{Time: noon.Add(-time.Second), Method: "GET", Path: "/v1/users/42", Status: 503, Latency: 1500 * time.Millisecond},
	}
	block, _ := encodeBlock(nil, entries, []int64{0, 182, 371}, blockIndexes(len(entries)))
	return block
}

// blocksDoc is the page that describes blocks, with a dump of docBlock.
const blocksDoc = "docs/BLOCKS.md"

// TestBlockDoc checks that docs/BLOCKS.md shows docBlock as encodeBlock
// writes it, taken apart by dumpBlock, a reading of the page's format
// apart from decode's. Run it with LOGSTATS_UPDATE_BLOCKS=1 to rewrite
// the dump.
func TestBlockDoc(t *testing.T) {
	block := docBlock()
	if err := new(blockColumns).decode(block); err != nil {
		t.Fatal(err)
	}
	got := "```\n" + dumpBlock(t, block) + "```\n"
	doc, err := os.ReadFile(blocksDoc)
	if err != nil {
		t.Fatal(err)
	}
	begin, end := "<!-- BEGIN generated dump -->\n", "<!-- END generated dump -->"
	i, j := strings.Index(string(doc), begin), strings.Index(string(doc), end)
	if i < 0 || j < i {
		t.Fatalf("%s has no %q ... %q block", blocksDoc, begin, end)
	}
	if string(doc[i+len(begin):j]) == got {
		return
	}
	if os.Getenv("LOGSTATS_UPDATE_BLOCKS") == "1" {
		updated := string(doc[:i+len(begin)]) + got + string(doc[j:])
		if err := os.WriteFile(blocksDoc, []byte(updated), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Fatalf("%s is stale; rerun with LOGSTATS_UPDATE_BLOCKS=1. The block is:\n%s", blocksDoc, got)
}

// dumpBlock returns block's bytes in hexadecimal, each field on a line
// with what it means, as docs/BLOCKS.md describes it.
func dumpBlock(t *testing.T, block []byte) string {
	var out strings.Builder
	// line writes b, 8 bytes a line, and what it means.
	line := func(b []byte, indent int, format string, args ...any) {
		what := fmt.Sprintf(format, args...)
		for first := true; first || len(b) > 0; first = false {
			chunk := b[:min(len(b), 8)]
			b = b[len(chunk):]
			fmt.Fprintf(&out, "%*s%-*s%s\n", indent, "", 26-indent, fmt.Sprintf("% x", chunk), what)
			what = "..."
		}
	}
	// next splits a uvarint off b.
	next := func(b *[]byte) (uint64, []byte) {
		v, k := binary.Uvarint(*b)
		if k <= 0 {
			t.Fatalf("bad varint in %x", *b)
		}
		raw := (*b)[:k]
		*b = (*b)[k:]
		return v, raw
	}
	line(block[:1], 0, "version %d", block[0])
	line(block[1:2], 0, "compression %d (none)", block[1])
	b := block[2:]
	n, raw := next(&b)
	line(raw, 0, "request count: %d", n)
	column := func(name string) []byte {
		l, raw := next(&b)
		line(raw, 0, "%s column: %d bytes", name, l)
		col := b[:l]
		b = b[l:]
		return col
	}
	col := column("offsets")
	var off uint64
	for i := range n {
		d, raw := next(&col)
		if off += d; i == 0 {
			line(raw, 2, "offset %d", off)
		} else {
			line(raw, 2, "+%d: offset %d", d, off)
		}
	}
	for _, name := range []string{"times", "latencies"} {
		col = column(name)
		unit := blockUnit(col[0])
		line(col[:1], 2, "unit: 10^%d µs (%s)", col[0], map[byte]string{0: "µs", 3: "ms", 6: "s"}[col[0]])
		col = col[1:]
		var t int64
		for i := range n {
			v, raw := next(&col)
			switch {
			case name == "times":
				t += unzigzag(v)
				tm := time.UnixMicro(t * unit).UTC().Format("2006-01-02 15:04:05.999999")
				if i == 0 {
					line(raw, 2, "zigzag(%d): %s", unzigzag(v), tm)
				} else {
					line(raw, 2, "zigzag(%+d): %s", unzigzag(v), tm)
				}
			case v == 0:
				line(raw, 2, "0: no latency")
			default:
				line(raw, 2, "%d - 1 = %d units: %v", v, v-1, time.Duration(int64(v-1)*unit)*time.Microsecond)
			}
		}
	}
	col = column("statuses")
	size, raw := next(&col)
	line(raw, 2, "dictionary: %d statuses", size)
	for range size {
		s, raw := next(&col)
		line(raw, 2, "%d", s)
	}
	dumpIndexes(t, line, col, n, size)
	for _, name := range []string{"methods", "paths"} {
		col = column(name)
		size, raw := next(&col)
		line(raw, 2, "dictionary: %d values", size)
		lengths := make([][2]uint64, size)
		for i := range lengths {
			shared, raw1 := next(&col)
			suffix, raw2 := next(&col)
			line(cat(raw1, raw2), 2, "value %d: shares %d bytes with the one before, %d follow", i, shared, suffix)
			lengths[i] = [2]uint64{shared, suffix}
		}
		prev := ""
		for i, l := range lengths {
			v := prev[:l[0]] + string(col[:l[1]])
			line(col[:l[1]], 2, "value %d: %q", i, v)
			col, prev = col[l[1]:], v
		}
		dumpIndexes(t, line, col, n, size)
	}
	nd, raw := next(&b)
	line(raw, 0, "dimension columns: %d", nd)
	if nd != 0 || len(b) != 0 {
		t.Fatalf("dumpBlock reads no dimensions; %d bytes left", len(b))
	}
	return out.String()
}

func dumpIndexes(t *testing.T, line func([]byte, int, string, ...any), col []byte, n, size uint64) {
	w := indexBits(int(size))
	if w == 0 {
		if len(col) != 0 {
			t.Fatalf("indexes into a dictionary of one value: %x", col)
		}
		line(nil, 2, "(no indexes: one value)")
		return
	}
	var idx []string
	for i := range n {
		x := 0
		for bit := range uint64(w) {
			pos := i*uint64(w) + bit
			x |= int(col[pos/8]>>(pos%8)&1) << bit
		}
		idx = append(idx, strconv.Itoa(x))
	}
	line(col, 2, "indexes of %d bits: %s", w, strings.Join(idx, ", "))
}

// blockCodecs are the compressions the benchmarks compare: none, the
// format's only one, and S2 and zstd (github.com/klauspost/compress) of the
// payload, which the format does not use, to show what they would give.
var blockCodecs = []string{"none", "s2", "zstd-fastest", "zstd-default"}

// blockCodec encodes and decodes blocks in one of blockCodecs.
type blockCodec struct {
	name     string
	enc      *zstd.Encoder
	dec      *zstd.Decoder
	tmp, buf []byte
}

func newBlockCodec(tb testing.TB, name string) *blockCodec {
	tb.Helper()
	c := &blockCodec{name: name}
	level := zstd.SpeedFastest
	if name == "zstd-default" {
		level = zstd.SpeedDefault
	}
	if strings.HasPrefix(name, "zstd") {
		var err error
		if c.enc, err = zstd.NewWriter(nil, zstd.WithEncoderLevel(level), zstd.WithEncoderConcurrency(1)); err != nil {
			tb.Fatal(err)
		}
		if c.dec, err = zstd.NewReader(nil, zstd.WithDecoderConcurrency(1)); err != nil {
			tb.Fatal(err)
		}
	}
	return c
}

// encode appends blocks of all requests to dst, and returns it with the
// number of blocks.
func (c *blockCodec) encode(dst []byte, entries []Entry, offsets []int64, idx []int32) ([]byte, int) {
	blocks := 0
	for len(idx) > 0 {
		var n int
		if c.name == "none" {
			dst, n = encodeBlock(dst, entries, offsets, idx)
		} else {
			c.tmp, n = encodeBlock(c.tmp[:0], entries, offsets, idx)
			dst = append(dst, c.tmp[:2]...)
			if c.enc != nil {
				dst = c.enc.EncodeAll(c.tmp[2:], dst)
			} else {
				room := s2.MaxEncodedLen(len(c.tmp) - 2)
				dst = slices.Grow(dst, room)
				dst = dst[:len(dst)+len(s2.Encode(dst[len(dst):len(dst)+room], c.tmp[2:]))]
			}
		}
		idx = idx[n:]
		blocks++
	}
	return dst, blocks
}

// decode decodes a block that encode wrote into cols.
func (c *blockCodec) decode(cols *blockColumns, block []byte) error {
	if c.name == "none" {
		return cols.decode(block)
	}
	var err error
	if c.enc != nil {
		c.buf, err = c.dec.DecodeAll(block[2:], append(c.buf[:0], block[:2]...))
	} else {
		var payload []byte
		if payload, err = s2.Decode(c.tmp[:cap(c.tmp)], block[2:]); err == nil {
			c.buf = append(append(c.buf[:0], block[:2]...), payload...)
		}
	}
	if err != nil {
		return err
	}
	return cols.decode(c.buf)
}

// benchBlocks runs f as a benchmark of 16,384 requests of each shape in
// each codec: f runs the loop and returns the bytes of the blocks, and
// benchBlocks reports the time and the bytes a request.
func benchBlocks(b *testing.B, f func(b *testing.B, codec *blockCodec, entries []Entry, offsets []int64, idx []int32) int) {
	const n = 16384
	for _, shape := range blockShapes {
		entries, offsets := blockRequests(b, shape, n)
		idx := blockIndexes(len(entries))
		for _, name := range blockCodecs {
			b.Run(shape+"/"+name, func(b *testing.B) {
				size := f(b, newBlockCodec(b, name), entries, offsets, idx)
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(idx)), "ns/request")
				b.ReportMetric(float64(size)/float64(len(idx)), "bytes/request")
			})
		}
	}
}

// BenchmarkEncodeBlock encodes the blocks of 16,384 requests.
func BenchmarkEncodeBlock(b *testing.B) {
	benchBlocks(b, func(b *testing.B, codec *blockCodec, entries []Entry, offsets []int64, idx []int32) int {
		var dst []byte
		for b.Loop() {
			dst, _ = codec.encode(dst[:0], entries, offsets, idx)
		}
		return len(dst)
	})
}

// BenchmarkDecodeBlock decodes a block of 16,384 requests into
// blockColumns reused as a reader of many blocks would.
func BenchmarkDecodeBlock(b *testing.B) {
	benchBlocks(b, func(b *testing.B, codec *blockCodec, entries []Entry, offsets []int64, idx []int32) int {
		block, blocks := codec.encode(nil, entries, offsets, idx)
		if blocks != 1 {
			b.Fatalf("%d blocks, want 1", blocks)
		}
		var c blockColumns
		for b.Loop() {
			if err := codec.decode(&c, block); err != nil {
				b.Fatal(err)
			}
		}
		return len(block)
	})
}

// BenchmarkBlockSize encodes and decodes 65,536 requests of each shape in
// blocks of up to size requests, and reports the bytes a request and the
// time a request, to encode and decode: what maxBlockRequests trades.
func BenchmarkBlockSize(b *testing.B) {
	const total = 65536
	for _, shape := range blockShapes {
		entries, offsets := blockRequests(b, shape, total)
		idx := blockIndexes(len(entries))
		for size := 256; size <= maxBlockRequests; size *= 4 {
			b.Run(fmt.Sprintf("%s/%d", shape, size), func(b *testing.B) {
				var blocks [][]byte
				var bytes int
				var c blockColumns
				var encode, decode time.Duration
				for b.Loop() {
					blocks, bytes = blocks[:0], 0
					start := time.Now()
					for k := 0; k < len(idx); {
						block, n := encodeBlock(nil, entries, offsets, idx[k:min(k+size, len(idx))])
						blocks, bytes, k = append(blocks, block), bytes+len(block), k+n
					}
					encode += time.Since(start)
					start = time.Now()
					for _, block := range blocks {
						if err := c.decode(block); err != nil {
							b.Fatal(err)
						}
					}
					decode += time.Since(start)
				}
				n := float64(b.N * len(idx))
				b.ReportMetric(float64(bytes)/float64(len(idx)), "bytes/request")
				b.ReportMetric(float64(encode.Nanoseconds())/n, "encode-ns/request")
				b.ReportMetric(float64(decode.Nanoseconds())/n, "decode-ns/request")
				b.ReportMetric(0, "ns/op")
			})
		}
	}
}

// BenchmarkBlockInsert inserts the block of 16,384 requests into a SQLite
// database (through modernc.org/sqlite, with the settings of package
// sqlite), a transaction a block: what a byte of block costs a load.
func BenchmarkBlockInsert(b *testing.B) {
	benchBlocks(b, func(b *testing.B, codec *blockCodec, entries []Entry, offsets []int64, idx []int32) int {
		block, _ := codec.encode(nil, entries, offsets, idx)
		dsn := filepath.Join(b.TempDir(), "blocks.db") + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_txlock=immediate"
		db, err := sql.Open("sqlite", dsn)
		if err != nil {
			b.Fatal(err)
		}
		defer db.Close()
		if _, err := db.Exec(`CREATE TABLE blocks (customer_id TEXT NOT NULL, day INTEGER NOT NULL, source_id INTEGER NOT NULL,
			first_offset INTEGER NOT NULL, last_offset INTEGER NOT NULL, requests INTEGER NOT NULL, data BLOB NOT NULL,
			PRIMARY KEY (customer_id, day, source_id, first_offset))`); err != nil {
			b.Fatal(err)
		}
		var key int64
		for b.Loop() {
			key++
			if _, err := db.Exec(`INSERT INTO blocks VALUES (?, ?, ?, ?, ?, ?, ?)`, "cust_1", 20000, 1, key, key, len(idx), block); err != nil {
				b.Fatal(err)
			}
		}
		return len(block)
	})
}
