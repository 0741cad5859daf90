package logstats

import (
	"cmp"
	"encoding/binary"
	"fmt"
	"math/bits"
	"slices"
	"strings"
	"time"
)

// rollup is the aggregate of some requests of one customer on one day: counts,
// latency sum, min and max, and the exact latency distribution. Rollups merge
// exactly, so the stats of any set of days can be computed from the rollups of
// those days alone.
type rollup struct {
	total   int64
	untimed int64    // requests without a latency (NoLatency), of total
	byClass [5]int64 // requests by status class: [0] is 1xx ... [4] is 5xx
	// The latency figures cover the timed requests (total - untimed): the
	// sum, min and max of their latencies in microseconds (0 when there are
	// none), and their distribution.
	sumUS uint128
	minUS int64
	maxUS int64
	dist  distribution
}

// timed returns how many of r's requests have a latency.
func (r *rollup) timed() int64 { return r.total - r.untimed }

// add counts one request; latencyUS is negative for one without a latency.
func (r *rollup) add(status int, latencyUS int64) {
	r.total++
	r.byClass[status/100-1]++
	if latencyUS < 0 {
		r.untimed++
		return
	}
	first := r.timed() == 1
	if first || latencyUS < r.minUS {
		r.minUS = latencyUS
	}
	if first || latencyUS > r.maxUS {
		r.maxUS = latencyUS
	}
	r.sumUS = r.sumUS.add64(uint64(latencyUS))
}

// merge adds the counts and distribution of o to r.
func (r *rollup) merge(o *rollup) {
	if o.total == 0 {
		return
	}
	r.mergeCounts(o)
	r.dist = mergeDistributions(r.dist, o.dist)
}

// mergeCounts adds the counts of o to r, but not its distribution: a
// caller merging many keeps them in a distMerger.
func (r *rollup) mergeCounts(o *rollup) {
	if o.total == 0 {
		return
	}
	if o.timed() > 0 {
		if r.timed() == 0 || o.minUS < r.minUS {
			r.minUS = o.minUS
		}
		if r.timed() == 0 || o.maxUS > r.maxUS {
			r.maxUS = o.maxUS
		}
	}
	r.total += o.total
	r.untimed += o.untimed
	for i := range r.byClass {
		r.byClass[i] += o.byClass[i]
	}
	r.sumUS = r.sumUS.add(o.sumUS)
}

// distribution is an exact multiset of latencies: distinct values in
// ascending order, each with how many times it occurred.
type distribution struct {
	values []int64
	counts []int64
}

func (d distribution) len() int { return len(d.values) }

// appendSorted returns d with the values of sorted, ascending, added after
// its own, which are all smaller.
func (d distribution) appendSorted(sorted []int64) distribution {
	for _, v := range sorted {
		if n := len(d.values); n > 0 && d.values[n-1] == v {
			d.counts[n-1]++
		} else {
			d.values, d.counts = append(d.values, v), append(d.counts, 1)
		}
	}
	return d
}

// histogram accumulates latencies in any order into a distribution.
type histogram map[int64]int64

func (h histogram) distribution() distribution {
	d := distribution{values: make([]int64, 0, len(h)), counts: make([]int64, 0, len(h))}
	for v := range h {
		d.values = append(d.values, v)
	}
	slices.Sort(d.values)
	for _, v := range d.values {
		d.counts = append(d.counts, h[v])
	}
	return d
}

// mergeDistributions returns the union of a and b.
func mergeDistributions(a, b distribution) distribution {
	switch {
	case a.len() == 0:
		return b
	case b.len() == 0:
		return a
	}
	out := distribution{values: make([]int64, 0, a.len()+b.len()), counts: make([]int64, 0, a.len()+b.len())}
	i, j := 0, 0
	for i < a.len() && j < b.len() {
		switch av, bv := a.values[i], b.values[j]; {
		case av < bv:
			out.values, out.counts = append(out.values, av), append(out.counts, a.counts[i])
			i++
		case av > bv:
			out.values, out.counts = append(out.values, bv), append(out.counts, b.counts[j])
			j++
		default:
			out.values, out.counts = append(out.values, av), append(out.counts, a.counts[i]+b.counts[j])
			i++
			j++
		}
	}
	out.values, out.counts = append(out.values, a.values[i:]...), append(out.counts, a.counts[i:]...)
	out.values, out.counts = append(out.values, b.values[j:]...), append(out.counts, b.counts[j:]...)
	return out
}

// A distMerger merges many distributions at a cost of about their total
// length times the log of their number, whatever their order: merging them
// one after the other into a growing result costs the result's length for
// each (a compaction of one large row and 32 small ones merged the large
// one 32 times). It keeps a stack whose lengths at least double towards the
// bottom, as a binary counter, so a large distribution is merged once the
// small ones above it add up to half of it, or at the end.
type distMerger struct {
	stack []distribution
}

func (m *distMerger) add(d distribution) {
	if d.len() == 0 {
		return
	}
	m.stack = append(m.stack, d)
	for n := len(m.stack); n >= 2 && m.stack[n-2].len() <= 2*m.stack[n-1].len(); n-- {
		m.stack[n-2] = mergeDistributions(m.stack[n-2], m.stack[n-1])
		m.stack[n-1] = distribution{}
		m.stack = m.stack[:n-1]
	}
}

// take adds to m the distributions of o, which it empties.
func (m *distMerger) take(o *distMerger) {
	for i, d := range o.stack {
		m.add(d)
		o.stack[i] = distribution{}
	}
	o.stack = o.stack[:0]
}

// result merges what is left, smallest first, and empties m.
func (m *distMerger) result() distribution {
	var d distribution
	for i := len(m.stack) - 1; i >= 0; i-- {
		d = mergeDistributions(m.stack[i], d)
		m.stack[i] = distribution{}
	}
	m.stack = m.stack[:0]
	return d
}

// The encoding of a distribution is a version byte, the number of distinct
// values, then for each value its difference from the previous one and its
// count, all as unsigned varints. Values below 2 seconds at millisecond
// precision take 2 to 3 bytes each.
const distEncodingV1 = 1

// distEncodingV2 is V1 for a rollup with requests without a latency: the
// version byte, their number as an unsigned varint (at least 1), then V1's
// length and pairs, whose counts sum to the timed requests. A rollup of
// timed requests only is written in V1, as before V2 existed.
const distEncodingV2 = 2

// appendDist appends r's distribution, and how many of its requests have no
// latency, in V1 or V2.
func (r *rollup) appendDist(b []byte) []byte {
	if r.untimed == 0 {
		return r.dist.appendBinary(b)
	}
	b = append(b, distEncodingV2)
	b = binary.AppendUvarint(b, uint64(r.untimed))
	return r.dist.appendPairs(b)
}

func (d distribution) appendBinary(b []byte) []byte {
	return d.appendPairs(append(b, distEncodingV1))
}

// appendPairs appends d's length and (delta, count) pairs.
func (d distribution) appendPairs(b []byte) []byte {
	b = binary.AppendUvarint(b, uint64(d.len()))
	prev := int64(0)
	for i, v := range d.values {
		b = binary.AppendUvarint(b, uint64(v-prev))
		b = binary.AppendUvarint(b, uint64(d.counts[i]))
		prev = v
	}
	return b
}

// decodeDistribution decodes what appendDist (or appendBinary) wrote, the
// distribution of a rollup of total requests, and returns it with how many
// requests have no latency. It checks it: values strictly ascending and
// non-negative, counts positive, counts and untimed requests summing to
// total.
//
// The values and counts are carved from *arena when it is not nil and has
// room (a new, larger arena replaces it when it has not), so that a caller
// decoding many distributions can reuse one buffer for all of them.
func decodeDistribution(b []byte, total int64, arena *[]int64) (d distribution, untimed int64, err error) {
	fail := func(what string) (distribution, int64, error) {
		return distribution{}, 0, fmt.Errorf("%w: latency distribution: %s", ErrCorruptRollup, what)
	}
	switch {
	case len(b) > 0 && b[0] == distEncodingV1:
		b = b[1:]
	case len(b) > 0 && b[0] == distEncodingV2:
		u, k := uvarint(b[1:])
		if k <= 0 || u == 0 || u > uint64(max(total, 0)) {
			return fail("bad count of requests without a latency")
		}
		untimed, b = int64(u), b[1+k:]
	default:
		return fail("unknown encoding")
	}
	n, k := uvarint(b)
	if k <= 0 || n > uint64(len(b)) {
		return fail("bad length")
	}
	b = b[k:]
	both := carve(arena, int(2*n)) // one allocation for values and counts
	d = distribution{values: both[:n:n], counts: both[n:]}
	var prev, sum uint64
	for i := range d.values {
		delta, k1 := uvarint(b)
		if k1 <= 0 {
			return fail("truncated")
		}
		count, k2 := uvarint(b[k1:])
		if k2 <= 0 {
			return fail("truncated")
		}
		b = b[k1+k2:]
		v, carry := bits.Add64(prev, delta, 0)
		if (i > 0 && delta == 0) || carry != 0 || v > 1<<62 || count == 0 || count > 1<<62 {
			return fail("values out of order or out of range")
		}
		sum += count
		d.values[i], d.counts[i] = int64(v), int64(count)
		prev = v
	}
	if len(b) != 0 || sum+uint64(untimed) != uint64(total) {
		return fail("counts do not add up")
	}
	return d, untimed, nil
}

// carve returns a slice of n int64s from *arena, growing it if needed; with
// a nil arena it allocates.
func carve(arena *[]int64, n int) []int64 {
	if arena == nil {
		return make([]int64, n)
	}
	a := *arena
	if cap(a)-len(a) < n {
		a = make([]int64, 0, max(n, 2*cap(a), 1024))
	}
	*arena = a[:len(a)+n]
	return a[len(a) : len(a)+n : len(a)+n]
}

// moveTo returns d carved from arena, as decodeDistribution carves it,
// for a distribution of arena's own memory that the arena was emptied
// under: its values and counts may overlap what it carves.
func (d distribution) moveTo(arena *[]int64) distribution {
	n := d.len()
	both := carve(arena, 2*n)
	copy(both[:n], d.values) // counts lie after values in both places
	copy(both[n:], d.counts)
	return distribution{values: both[:n:n], counts: both[n:]}
}

// uvarint is binary.Uvarint with the one- and two-byte cases, which are most
// of a distribution's bytes (small counts, latency steps at millisecond
// precision), decoded inline.
//
// It accepts only the shortest encoding of a value (the one AppendUvarint
// writes), so that a distribution has one encoding: an overlong one, whose
// last byte is 0, is refused as if truncated (k = 0).
func uvarint(b []byte) (uint64, int) {
	if len(b) >= 2 {
		if b[0] < 0x80 {
			return uint64(b[0]), 1
		}
		if b[1] < 0x80 {
			if b[1] == 0 {
				return 0, 0 // overlong
			}
			return uint64(b[0]&0x7f) | uint64(b[1])<<7, 2
		}
	}
	v, k := binary.Uvarint(b)
	if k > 1 && b[k-1] == 0 {
		return 0, 0 // overlong
	}
	return v, k
}

// ranked is a sorted multiset of values that can be searched by rank.
type ranked interface {
	// valueAt returns the value of 0-based rank i in ascending order, for
	// 0 <= i < the number of values.
	valueAt(i int64) int64
	// countAtMost returns how many values are <= v.
	countAtMost(v int64) int64
}

// rankedDist is a distribution with running totals in place of counts.
type rankedDist struct {
	values []int64
	cum    []int64 // cum[i] is the number of values <= values[i]
}

// intoRanked turns d's counts into running totals, in place: d must not be
// used afterwards.
func (d distribution) intoRanked() rankedDist {
	var t int64
	for i, c := range d.counts {
		t += c
		d.counts[i] = t
	}
	return rankedDist{values: d.values, cum: d.counts}
}

func (r rankedDist) valueAt(i int64) int64 {
	k, _ := slices.BinarySearch(r.cum, i+1)
	return r.values[min(k, len(r.values)-1)]
}

// countAtMost returns how many values are <= v.
func (r rankedDist) countAtMost(v int64) int64 {
	k, found := slices.BinarySearch(r.values, v)
	if found {
		k++
	}
	if k == 0 {
		return 0
	}
	return r.cum[k-1]
}

// rankedUnion is the union of several distributions, searched by rank
// without merging them: finding a rank costs O(k log m log(max-min)) for k
// distributions of up to m distinct values, where a merge would cost O(km).
// Finding the range's percentiles thus grows with the days' sizes only
// logarithmically; reading and decoding the days still grows linearly.
type rankedUnion struct {
	parts    []rankedDist
	min, max int64 // the smallest and largest value of all parts
}

// include adds a distribution with at least one value to u.
func (u *rankedUnion) include(r rankedDist) {
	lo, hi := r.values[0], r.values[len(r.values)-1]
	if len(u.parts) == 0 || lo < u.min {
		u.min = lo
	}
	if len(u.parts) == 0 || hi > u.max {
		u.max = hi
	}
	u.parts = append(u.parts, r)
}

func (u rankedUnion) countAtMost(v int64) int64 {
	var n int64
	for _, p := range u.parts {
		n += p.countAtMost(v)
	}
	return n
}

// valueAt finds, by bisection over values, the smallest value v with more
// than i values <= v.
func (u rankedUnion) valueAt(i int64) int64 {
	lo, hi := u.min, u.max
	for lo < hi {
		mid := lo + (hi-lo)/2
		var n int64
		for _, p := range u.parts {
			n += p.countAtMost(mid)
		}
		if n > i {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return lo
}

// quantile returns the num/den-quantile (0 < num/den <= 1) of the n values
// of r, in whole microseconds: linear interpolation between closest ranks
// (numpy's default, PERCENTILE_CONT), rounded half away from zero. n must be
// at least 1. The arithmetic is exact: 128-bit products, no floats.
func quantile(r ranked, n int64, num, den uint64) int64 {
	// h = (n-1)*num/den = rank + rem/den.
	hi, lo := bits.Mul64(uint64(n-1), num)
	rank, rem := bits.Div64(hi, lo, den)
	vlo := r.valueAt(int64(rank))
	if rem == 0 {
		return vlo
	}
	vhi := r.valueAt(int64(rank) + 1)
	// vlo + rem*(vhi-vlo)/den, rounded half up (everything is non-negative).
	// For an odd den the quotient is never exactly half, so den/2 rounded
	// down still rounds every case correctly.
	hi, lo = bits.Mul64(rem, uint64(vhi-vlo))
	var carry uint64
	lo, carry = bits.Add64(lo, den/2, 0)
	hi += carry
	frac, _ := bits.Div64(hi, lo, den)
	return vlo + int64(frac)
}

// meanUS returns sum/n rounded half away from zero.
func meanUS(sum uint128, n int64) int64 {
	// (2*sum + n) / (2*n)
	s := sum.add(sum).add64(uint64(n))
	q, _ := bits.Div64(s.hi, s.lo, 2*uint64(n))
	return int64(q)
}

// uint128 is an unsigned 128-bit integer, for sums of latencies that could
// overflow 64 bits at extreme data sizes.
type uint128 struct{ hi, lo uint64 }

func (a uint128) add(b uint128) uint128 {
	lo, carry := bits.Add64(a.lo, b.lo, 0)
	hi, _ := bits.Add64(a.hi, b.hi, carry)
	return uint128{hi, lo}
}

func (a uint128) add64(b uint64) uint128 { return a.add(uint128{0, b}) }

func (a uint128) fitsInt64() bool { return a.hi == 0 && a.lo <= 1<<63-1 }

// dayKey identifies the rollup of one customer on one day of the day zone.
type dayKey struct {
	customer string
	day      int64 // days since 1970-01-01, of the day zone's calendar
}

func (k dayKey) date() Date { return DateOf(time.Unix(k.day*86400, 0)) }

// dayGroup is the rollup of one customer's requests on one day, as Verify
// recomputes it from the raw requests.
type dayGroup struct {
	key  dayKey
	hist histogram
	r    rollup
}

// batchRollups are the rollups of a batch, one per customer and day of the
// day zone: the batch's requests in the order of customer and day, each
// run of one customer and day a group (in the batch's order within it,
// which is the order of the source, as blocks keep them), whose rollup is
// made when its row is written. A map of groups, each with a histogram,
// cost about 360 bytes a group, 36 MB for a batch of 100,000 requests of
// as many customers; this index costs about 12 bytes a request and 80 a
// group (its key and two map entries), and gives the rows in the table's
// key order. Its buffers are
// reused from batch to batch.
type batchRollups struct {
	entries []Entry
	days    []int32 // days[i]: entries[i]'s day, since 1970-01-01 in the day zone (years 1-9999)
	order   []int32 // indexes of entries, by customer and day, then as in entries
	starts  []int32 // where each group starts in order, then len(order)
	// Scratch: each entry's group (in the order first seen), the groups'
	// keys and sizes, and the latencies of the last group made.
	gids         []int32
	groupKeys    []dayKey
	sizes        []int32
	sorted, next []int32 // the groups in key order; where each one's next entry goes
	customers    map[string]int32
	keyIDs       map[uint64]int32
	latencies    []int64
	// The distribution of the last group made, reused for the next.
	values, counts []int64
}

// maxMappedGroups is how many groups a batch numbers in maps before group
// sorts its entries instead: beyond it the maps' memory (about 100 bytes a
// group) would outgrow the sort's (4 bytes an entry) by far, and a batch of
// so many customer-days spends its time in SQL, not in the sort.
const maxMappedGroups = 1 << 13

// group replaces b's groups with those of entries, whose times are read in
// zone (nil: UTC). b reads entries until the next call. It is a counting
// sort: each entry's (customer, day) is numbered with two map lookups, the
// groups (far fewer than entries) are sorted, and the entries placed into
// them in their order; a batch of more than maxMappedGroups groups is
// sorted entry by entry instead.
func (b *batchRollups) group(entries []Entry, zone *time.Location) {
	utc := zone == nil || zone == time.UTC
	b.entries = entries
	b.days = b.days[:0]
	for i := range entries {
		unix := entries[i].Time.Unix()
		if !utc {
			_, offset := entries[i].Time.In(zone).Zone()
			unix += int64(offset)
		}
		b.days = append(b.days, int32(floorDiv(unix, 86400)))
	}
	if !b.mapGroups() {
		b.sortGroups()
		return
	}
	// The groups in key order, and where each starts.
	b.sorted, b.next = b.sorted[:0], slices.Grow(b.next[:0], len(b.groupKeys))[:len(b.groupKeys)]
	for g := range b.groupKeys {
		b.sorted = append(b.sorted, int32(g))
	}
	slices.SortFunc(b.sorted, func(x, y int32) int { return compareDayKeys(b.groupKeys[x], b.groupKeys[y]) })
	next := b.next // next[g]: where group g's next entry goes in order
	b.starts = b.starts[:0]
	pos := int32(0)
	for _, g := range b.sorted {
		b.starts = append(b.starts, pos)
		next[g] = pos
		pos += b.sizes[g]
	}
	b.starts = append(b.starts, pos)
	b.order = slices.Grow(b.order[:0], len(entries))[:len(entries)]
	for i, g := range b.gids {
		b.order[next[g]] = int32(i)
		next[g]++
	}
}

// mapGroups numbers the (customer, day) of each entry (b.gids) with two
// map lookups, and counts each group's entries; it reports false, having
// numbered only some, when there are more than maxMappedGroups.
func (b *batchRollups) mapGroups() bool {
	if b.customers == nil {
		b.customers, b.keyIDs = make(map[string]int32), make(map[uint64]int32)
	}
	clear(b.customers)
	clear(b.keyIDs)
	b.gids, b.groupKeys, b.sizes = b.gids[:0], b.groupKeys[:0], b.sizes[:0]
	prevCustomer, prevCID := "", int32(-1)
	for i := range b.entries {
		e := &b.entries[i]
		cid := prevCID
		if cid < 0 || e.CustomerID != prevCustomer {
			var ok bool
			if cid, ok = b.customers[e.CustomerID]; !ok {
				cid = int32(len(b.customers))
				b.customers[e.CustomerID] = cid
			}
			prevCustomer, prevCID = e.CustomerID, cid
		}
		k := uint64(cid)<<32 | uint64(uint32(b.days[i]))
		gid, ok := b.keyIDs[k]
		if !ok {
			if len(b.groupKeys) == maxMappedGroups {
				return false
			}
			gid = int32(len(b.groupKeys))
			b.keyIDs[k] = gid
			b.groupKeys = append(b.groupKeys, dayKey{e.CustomerID, int64(b.days[i])})
			b.sizes = append(b.sizes, 0)
		}
		b.gids = append(b.gids, gid)
		b.sizes[gid]++
	}
	return true
}

// sortGroups groups b.entries by sorting them by customer, day and index,
// without maps: for batches of many customer-days.
func (b *batchRollups) sortGroups() {
	clear(b.customers)
	clear(b.keyIDs)
	entries := b.entries
	b.order = b.order[:0]
	for i := range entries {
		b.order = append(b.order, int32(i))
	}
	slices.SortFunc(b.order, func(x, y int32) int {
		if c := strings.Compare(entries[x].CustomerID, entries[y].CustomerID); c != 0 {
			return c
		}
		return cmp.Or(cmp.Compare(b.days[x], b.days[y]), cmp.Compare(x, y))
	})
	b.starts = b.starts[:0]
	for k, i := range b.order {
		if k == 0 || b.days[i] != b.days[b.order[k-1]] || entries[i].CustomerID != entries[b.order[k-1]].CustomerID {
			b.starts = append(b.starts, int32(k))
		}
	}
	b.starts = append(b.starts, int32(len(b.order)))
}

// len returns the number of groups.
func (b *batchRollups) len() int { return len(b.starts) - 1 }

// key returns the customer and day of group i.
func (b *batchRollups) key(i int) dayKey {
	first := b.order[b.starts[i]]
	return dayKey{b.entries[first].CustomerID, int64(b.days[first])}
}

// customerList returns the customers of the groups, each once, in order.
func (b *batchRollups) customerList() []string {
	var out []string
	for i := range b.len() {
		if c := b.key(i).customer; len(out) == 0 || out[len(out)-1] != c {
			out = append(out, c)
		}
	}
	return out
}

// rollup returns the rollup of group i. Its distribution is valid until the
// next call.
func (b *batchRollups) rollup(i int) rollup {
	var r rollup
	b.latencies = b.latencies[:0]
	for _, k := range b.order[b.starts[i]:b.starts[i+1]] {
		e := &b.entries[k]
		lat := e.Latency.Microseconds()
		r.add(e.Status, lat)
		if lat >= 0 { // else no latency (NoLatency): no value
			b.latencies = append(b.latencies, lat)
		}
	}
	slices.Sort(b.latencies)
	r.dist = distribution{values: b.values[:0], counts: b.counts[:0]}.appendSorted(b.latencies)
	b.values, b.counts = r.dist.values, r.dist.counts
	return r
}
