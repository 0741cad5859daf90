package logstats

import (
	"errors"
	"math/big"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"
	"time"
)

func TestDistribution_RoundTrip(t *testing.T) {
	h := histogram{0: 3, 1: 1, 1000: 7, 86_400_000_000: 2}
	d := h.distribution()
	got, untimed, err := decodeDistribution(d.appendBinary(nil), 13, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.values) != 4 || got.values[3] != 86_400_000_000 || got.counts[2] != 7 || untimed != 0 {
		t.Fatalf("decoded %+v, %d untimed, want %+v", got, untimed, d)
	}
}

// TestDistribution_Untimed: a rollup with requests without a latency is
// written in V2 with their count, which decodes back; one without them is
// written in V1 as before.
func TestDistribution_Untimed(t *testing.T) {
	r := rollup{total: 5, untimed: 2, dist: histogram{7: 1, 9: 2}.distribution()}
	b := r.appendDist(nil)
	if b[0] != distEncodingV2 {
		t.Fatalf("encoded %x, want version %d", b, distEncodingV2)
	}
	got, untimed, err := decodeDistribution(b, 5, nil)
	if err != nil || untimed != 2 || !slices.Equal(got.values, []int64{7, 9}) || !slices.Equal(got.counts, []int64{1, 2}) {
		t.Fatalf("decoded %+v, %d untimed, %v", got, untimed, err)
	}
	if _, _, err := decodeDistribution(b, 4, nil); !errors.Is(err, ErrCorruptRollup) {
		t.Fatalf("a total the counts do not add up to: %v, want ErrCorruptRollup", err)
	}
	r.untimed, r.total = 0, 3
	if b := r.appendDist(nil); b[0] != distEncodingV1 {
		t.Fatalf("encoded %x, want version %d", b, distEncodingV1)
	}
	// All untimed: no values at all.
	all := rollup{total: 4, untimed: 4}
	got, untimed, err = decodeDistribution(all.appendDist(nil), 4, nil)
	if err != nil || untimed != 4 || got.len() != 0 {
		t.Fatalf("decoded %+v, %d untimed, %v", got, untimed, err)
	}
}

// TestRollup_Untimed: requests without a latency count in the totals and
// classes, not in the latency figures, whatever the order they come in or
// are merged in.
func TestRollup_Untimed(t *testing.T) {
	var a, b rollup
	a.add(200, -1)
	a.add(500, 30)
	a.add(200, 10)
	b.add(404, -1)
	if a.total != 3 || a.untimed != 1 || a.minUS != 10 || a.maxUS != 30 || a.sumUS.lo != 40 || a.byClass[1] != 2 || a.byClass[4] != 1 {
		t.Fatalf("a = %+v", a)
	}
	if b.total != 1 || b.timed() != 0 || b.minUS != 0 || b.maxUS != 0 {
		t.Fatalf("b = %+v", b)
	}
	var m rollup
	m.merge(&b)
	m.merge(&a)
	if m.total != 4 || m.untimed != 2 || m.minUS != 10 || m.maxUS != 30 || m.sumUS.lo != 40 {
		t.Fatalf("merged = %+v", m)
	}
}

func TestDecodeDistribution_ErrCorrupt(t *testing.T) {
	good := histogram{5: 1, 9: 2}.distribution().appendBinary(nil)
	for name, tc := range map[string]struct {
		b     []byte
		total int64
	}{
		"ErrEmpty":          {nil, 0},
		"ErrVersion":        {append([]byte{9}, good[1:]...), 3},
		"ErrTruncated":      {good[:len(good)-1], 3},
		"ErrTrailing":       {append(good, 0), 3},
		"ErrTotal":          {good, 4},
		"ErrZeroCount":      {[]byte{1, 1, 5, 0}, 0},
		"ErrNotAscending":   {[]byte{1, 2, 5, 1, 0, 1}, 2},
		"ErrHugeLength":     {[]byte{1, 0xff, 0xff, 0xff, 0xff, 0x0f}, 0},
		"ErrV2NoUntimed":    {append([]byte{2, 0}, good[1:]...), 3},
		"ErrV2TooMany":      {append([]byte{2, 5}, good[1:]...), 4},
		"ErrV2Truncated":    {[]byte{2}, 1},
		"ErrValueOverflows": {[]byte{1, 2, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 1}, 2},
	} {
		t.Run(name, func(t *testing.T) {
			if _, _, err := decodeDistribution(tc.b, tc.total, nil); !errors.Is(err, ErrCorruptRollup) {
				t.Fatalf("err=%v, want ErrCorruptRollup", err)
			}
		})
	}
}

// TestQuantile_HugeCounts checks the 128-bit arithmetic where int64 products
// would overflow: distributions of up to 10^12 values, quantiles chosen to
// fall between two distinct values at every bucket boundary (so that the
// interpolation has a non-zero fraction), compared with big.Rat.
func TestQuantile_HugeCounts(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	interpolated := 0
	for round := range 200 {
		k := 2 + rng.IntN(20)
		d := distribution{}
		v := int64(0)
		for range k {
			v += 1 + rng.Int64N(86_400_000_000/int64(k))
			d.values = append(d.values, v)
			d.counts = append(d.counts, []int64{1, 2, 1 + rng.Int64N(50_000_000_000)}[rng.IntN(3)])
		}
		rd := distribution{values: d.values, counts: slices.Clone(d.counts)}.intoRanked()
		cum := rd.cum
		n := cum[len(cum)-1]
		// A rank just below a bucket boundary, with a fraction of it: q =
		// (rank + f/1000) / (n-1), so den = (n-1)*1000 and (n-1)*num
		// overflows 64 bits.
		b := rng.IntN(k - 1)
		rank := cum[b] - 1
		f := 1 + rng.Int64N(999)
		num, den := uint64(rank*1000+f), uint64(n-1)*1000
		if round%2 == 0 { // and a plain percentile with six decimals
			num, den = uint64(1+rng.Int64N(100_000_000)), 100_000_000
		}
		got := quantile(rd, n, num, den)
		want := bigQuantile(d, n, num, den)
		if got != want {
			t.Fatalf("round %d: quantile(%d/%d) of %v x %v = %d, want %d", round, num, den, d.values, d.counts, got, want)
		}
		if rd.valueAt(rank) != rd.valueAt(rank+1) && round%2 == 1 {
			interpolated++
		}
	}
	if interpolated < 90 {
		t.Fatalf("only %d of 100 cases interpolated between distinct values", interpolated)
	}
	if got := meanUS(uint128{hi: 1, lo: 0}, 1<<40); got != 1<<24 {
		t.Fatalf("meanUS(2^64 / 2^40)=%d, want %d", got, 1<<24)
	}
	if got := roundDiv(1<<62, 10000, 1<<62); got != 10000 {
		t.Fatalf("roundDiv(2^62 * 10000 / 2^62)=%d, want 10000", got)
	}
}

// TestRankedUnion checks that the quantiles of several distributions searched
// by rank equal those of their merge, for overlapping and disjoint values,
// single values, huge counts and the extreme percentiles.
func TestRankedUnion(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for round := range 300 {
		var u rankedUnion
		var merged distribution
		for range 1 + rng.IntN(31) {
			h := histogram{}
			spread := []int64{1, 5, 1000, 3_000_000, 1 << 40}[rng.IntN(5)]
			base := rng.Int64N(2_000_000)
			for range 1 + rng.IntN(200) {
				h[base+rng.Int64N(spread)] += []int64{1, 1, 7, 1 + rng.Int64N(1<<40)}[rng.IntN(4)]
			}
			d := h.distribution()
			merged = mergeDistributions(merged, distribution{values: slices.Clone(d.values), counts: slices.Clone(d.counts)})
			u.include(d.intoRanked())
		}
		all := merged.intoRanked()
		n := all.cum[len(all.cum)-1]
		fracs := [][2]uint64{{1, 2}, {99, 100}, {1, 1}, {1, 1_000_000}, {999, 1000}, {1 + rng.Uint64N(1e8), 1e8}}
		for _, q := range fracs {
			if got, want := quantile(u, n, q[0], q[1]), quantile(all, n, q[0], q[1]); got != want {
				t.Fatalf("round %d: quantile %d/%d over %d parts = %d, merged gives %d", round, q[0], q[1], len(u.parts), got, want)
			}
		}
		for _, i := range []int64{0, n - 1, rng.Int64N(n)} {
			if got, want := u.valueAt(i), all.valueAt(i); got != want {
				t.Fatalf("round %d: value at rank %d = %d, merged gives %d", round, i, got, want)
			}
		}
	}
}

// TestDistMerger: merging any number of distributions of any sizes, in any
// order, gives their multiset union, as a histogram of all their values
// counts it.
func TestDistMerger(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	var m distMerger
	for round := range 200 {
		want := histogram{}
		parts := rng.IntN(40)
		for i := range parts {
			h := histogram{}
			size := 1 + rng.IntN(50)
			if i == 0 && round%2 == 0 {
				size = 2000 // a compacted row first, as compaction reads them
			}
			for range size {
				v := rng.Int64N(5000)
				h[v] += 1 + rng.Int64N(3)
			}
			for v, c := range h {
				want[v] += c
			}
			m.add(h.distribution())
		}
		got, wantDist := m.result(), want.distribution()
		if !slices.Equal(got.values, wantDist.values) || !slices.Equal(got.counts, wantDist.counts) {
			t.Fatalf("round %d (%d parts): merged %d values, want %d", round, parts, got.len(), wantDist.len())
		}
		if len(m.stack) != 0 {
			t.Fatalf("round %d: result left %d distributions", round, len(m.stack))
		}
	}
}

// bigQuantile is the definition with big.Rat: h = (n-1)q, v[floor h] +
// (h - floor h)(v[floor h + 1] - v[floor h]), rounded half up.
func bigQuantile(d distribution, n int64, num, den uint64) int64 {
	q := new(big.Rat).SetFrac(new(big.Int).SetUint64(num), new(big.Int).SetUint64(den))
	h := new(big.Rat).Mul(big.NewRat(n-1, 1), q)
	lo := new(big.Int).Quo(h.Num(), h.Denom())
	at := func(i *big.Int) int64 {
		rank := new(big.Int).Set(i)
		for k, c := range d.counts {
			if rank.Cmp(big.NewInt(c)) < 0 {
				return d.values[k]
			}
			rank.Sub(rank, big.NewInt(c))
		}
		return d.values[len(d.values)-1]
	}
	vlo := at(lo)
	frac := new(big.Rat).Sub(h, new(big.Rat).SetInt(lo))
	if frac.Sign() == 0 {
		return vlo
	}
	vhi := at(new(big.Int).Add(lo, big.NewInt(1)))
	v := new(big.Rat).Mul(frac, big.NewRat(vhi-vlo, 1))
	v.Add(v, big.NewRat(vlo, 1)).Add(v, big.NewRat(1, 2))
	return new(big.Int).Quo(v.Num(), v.Denom()).Int64()
}

func FuzzDecodeDistribution(f *testing.F) {
	f.Add(histogram{5: 1, 9: 2}.distribution().appendBinary(nil), int64(3))
	f.Add([]byte{1, 0}, int64(0))
	f.Add((&rollup{total: 4, untimed: 1, dist: histogram{5: 1, 9: 2}.distribution()}).appendDist(nil), int64(4))
	f.Fuzz(func(t *testing.T, b []byte, total int64) {
		d, untimed, err := decodeDistribution(b, total, nil)
		if err != nil {
			return
		}
		// Whatever decodes must encode back to the same bytes.
		r := rollup{total: total, untimed: untimed, dist: d}
		if got := r.appendDist(nil); string(got) != string(b) {
			t.Fatalf("re-encoded %x, want %x", got, b)
		}
	})
}

// TestBatchRollups checks a batch's rollups against a naive grouping (a map
// of histograms), in UTC and in a zone with a DST change: one group per
// customer and day of the zone, in key order, with the same counts, sums and
// distribution, each group's entries in the batch's order; batches of more
// customer-days than maxMappedGroups among them.
func TestBatchRollups(t *testing.T) {
	newYork, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Skip(err)
	}
	rng := rand.New(rand.NewPCG(5, 6))
	var b batchRollups // reused across rounds, as a load reuses it
	for round := range 200 {
		zone := []*time.Location{nil, time.UTC, newYork}[round%3]
		customers, n := 1+rng.IntN([]int{1, 5, 2000}[rng.IntN(3)]), rng.IntN(3000)
		if round%10 == 0 {
			// More customer-days than group numbers in maps: it sorts.
			customers, n = 20000, 12000
		}
		entries := make([]Entry, n)
		for i := range entries {
			entries[i] = Entry{
				Time:       time.Unix(1730000000+rng.Int64N(10*86400), 0).UTC(),
				CustomerID: "c" + strconv.Itoa(rng.IntN(customers)),
				Status:     100 + rng.IntN(500),
				Latency:    time.Duration([]int64{rng.Int64N(5), rng.Int64N(2_000_000), 86_400_000_000}[rng.IntN(3)]) * time.Microsecond,
			}
		}
		want := make(map[dayKey]*dayGroup)
		for _, e := range entries {
			loc := zone
			if loc == nil {
				loc = time.UTC
			}
			_, offset := e.Time.In(loc).Zone()
			k := dayKey{e.CustomerID, floorDiv(e.Time.Unix()+int64(offset), 86400)}
			g := want[k]
			if g == nil {
				g = &dayGroup{key: k, hist: histogram{}}
				want[k] = g
			}
			g.r.add(e.Status, e.Latency.Microseconds())
			g.hist[e.Latency.Microseconds()]++
		}
		b.group(entries, zone)
		if b.len() != len(want) {
			t.Fatalf("round %d: %d groups, want %d", round, b.len(), len(want))
		}
		for i := range b.len() {
			k, got := b.key(i), b.rollup(i)
			if i > 0 && compareDayKeys(b.key(i-1), k) >= 0 {
				t.Fatalf("round %d: group %d %v after %v: not in key order", round, i, k, b.key(i-1))
			}
			g := want[k]
			if g == nil {
				t.Fatalf("round %d: group %v should not be there", round, k)
			}
			g.r.dist = g.hist.distribution()
			if !got.equal(&g.r) {
				t.Fatalf("round %d: group %v: %s, want %s", round, k, got.describe(), g.r.describe())
			}
			// Its entries in the batch's order, as blocks keep them.
			if m := b.order[b.starts[i]:b.starts[i+1]]; !slices.IsSorted(m) {
				t.Fatalf("round %d: group %v: entries %v not in the batch's order", round, k, m)
			}
		}
	}
}
