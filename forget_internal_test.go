package logstats

import (
	"slices"
	"testing"
)

// TestRollup_Pieces cuts a rollup whose distribution is too large for one
// row: each piece fits a row and is consistent, and their merge is the
// rollup.
func TestRollup_Pieces(t *testing.T) {
	h := make(histogram)
	var r rollup
	for i := int64(0); i < 1_100_000; i++ {
		lat := i * 1_000_003 // distinct values far apart: several bytes each
		status := 200 + 100*int(i%4)
		r.add(status, lat)
		h[lat]++
	}
	r.dist = h.distribution()
	pieces := r.pieces()
	if len(pieces) < 2 {
		t.Fatalf("%d pieces, want several", len(pieces))
	}
	var merged rollup
	for _, p := range pieces {
		if len(p.blob) > maxRollupBlob || !p.r.sumUS.fitsInt64() {
			t.Fatalf("a piece of %d bytes, sum %v: too large for a row", len(p.blob), p.r.sumUS)
		}
		var classes int64
		for _, c := range p.r.byClass {
			classes += c
		}
		if _, _, err := decodeDistribution(p.blob, p.r.total, nil); err != nil || classes != p.r.total {
			t.Fatalf("a piece of %d requests, %d by class: %v", p.r.total, classes, err)
		}
		merged.merge(&p.r)
	}
	if !merged.equal(&r) {
		t.Fatalf("merged pieces: %s, want %s", merged.describe(), r.describe())
	}
}

// TestRollup_Subtract takes requests out of a rollup, and refuses to take
// out what it does not count.
func TestRollup_Subtract(t *testing.T) {
	build := func(reqs [][2]int64) rollup {
		var r rollup
		h := make(histogram)
		for _, q := range reqs {
			r.add(int(q[0]), q[1])
			if q[1] >= 0 { // -1: no latency
				h[q[1]]++
			}
		}
		r.dist = h.distribution()
		return r
	}
	all := build([][2]int64{{200, 5}, {500, 9}, {200, 1}, {404, 5}, {200, -1}, {502, -1}})
	got := all
	sub := build([][2]int64{{200, 1}, {500, 9}, {502, -1}})
	if err := got.subtract(&sub); err != nil {
		t.Fatal(err)
	}
	if want := build([][2]int64{{200, 5}, {404, 5}, {200, -1}}); !got.equal(&want) || got.minUS != 5 || got.maxUS != 5 || got.untimed != 1 {
		t.Fatalf("subtract: %s, want %s", got.describe(), want.describe())
	}
	for _, bad := range [][][2]int64{{{200, 7}}, {{500, 5}, {500, 5}, {500, 5}}, {{200, 1}, {200, 5}, {200, 5}, {404, 9}, {500, 9}}, {{200, -1}, {200, -1}, {200, -1}}} {
		got, sub := all, build(bad)
		if err := got.subtract(&sub); err == nil {
			t.Fatalf("subtract %v: no error", bad)
		}
	}
	if !slices.Equal(all.dist.values, []int64{1, 5, 9}) {
		t.Fatalf("subtract changed its argument's distribution: %v", all.dist.values)
	}
}
