package logstats

// TEMPORARY stand-in for block.go (helper's branch), not to be committed.

import (
	"encoding/binary"
	"errors"
	"time"
)

var ErrCorruptBlock = newError(KindInternal, "logstats: corrupt raw block")

const (
	maxBlockRequests = 16384
	maxBlockBytes    = 1 << 20
)

type blockDim struct {
	values []string
	idx    []uint32
}

type blockColumns struct {
	offsets   []int64
	times     []int64
	latencies []int64
	statuses  []int16
	methods   []string
	methodIdx []uint32
	paths     []string
	pathIdx   []uint32
	dims      []blockDim
}

func encodeBlock(dst []byte, entries []Entry, offsets []int64, idx []int32) ([]byte, int) {
	n := min(len(idx), maxBlockRequests)
	dst = binary.AppendUvarint(dst, uint64(n))
	for _, i := range idx[:n] {
		e := &entries[i]
		dst = binary.AppendVarint(dst, offsets[i])
		dst = binary.AppendVarint(dst, e.Time.UnixMicro())
		dst = binary.AppendVarint(dst, e.Latency.Microseconds())
		dst = binary.AppendVarint(dst, int64(e.Status))
		dst = binary.AppendUvarint(dst, uint64(len(e.Method)))
		dst = append(dst, e.Method...)
		dst = binary.AppendUvarint(dst, uint64(len(e.Path)))
		dst = append(dst, e.Path...)
	}
	return dst, n
}

func (c *blockColumns) decode(data []byte) (err error) {
	bad := errors.New("bad")
	defer func() {
		if recover() != nil {
			err = ErrCorruptBlock
		}
	}()
	n, k := binary.Uvarint(data)
	if k <= 0 {
		return bad
	}
	data = data[k:]
	*c = blockColumns{}
	vi := func() int64 {
		v, k := binary.Varint(data)
		if k <= 0 {
			panic(bad)
		}
		data = data[k:]
		return v
	}
	str := func() string {
		l, k := binary.Uvarint(data)
		data = data[k:]
		s := string(data[:l])
		data = data[l:]
		return s
	}
	for i := range n {
		c.offsets = append(c.offsets, vi())
		c.times = append(c.times, vi())
		c.latencies = append(c.latencies, vi())
		c.statuses = append(c.statuses, int16(vi()))
		c.methods = append(c.methods, str())
		c.methodIdx = append(c.methodIdx, uint32(i))
		c.paths = append(c.paths, str())
		c.pathIdx = append(c.pathIdx, uint32(i))
	}
	return nil
}

func (c *blockColumns) len() int { return len(c.offsets) }

func (c *blockColumns) entry(i int, customer string) Entry {
	return Entry{Time: time.UnixMicro(c.times[i]).UTC(), CustomerID: customer, Method: c.methods[c.methodIdx[i]],
		Path: c.paths[c.pathIdx[i]], Status: int(c.statuses[i]), Latency: time.Duration(c.latencies[i]) * time.Microsecond}
}
