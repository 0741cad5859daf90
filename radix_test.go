package logstats

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// TestSortLatencies: the radix sort sorts, whatever the values' range
// (one pass to six) and number (below and above the comparison sort's
// threshold).
func TestSortLatencies(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var scratch []int64
	for _, n := range []int{0, 1, 511, 512, 513, 5000, 70000} {
		for _, limit := range []int64{1, 2, 2047, 2048, 1 << 22, 86_400_000_000, 1<<63 - 1} {
			v := make([]int64, n)
			for i := range v {
				v[i] = rng.Int64N(limit)
			}
			want := slices.Sorted(slices.Values(v))
			scratch = sortLatencies(v, scratch)
			if !slices.Equal(v, want) {
				t.Fatalf("%d values below %d: not sorted", n, limit)
			}
		}
	}
}
