package logstats

import (
	"math/bits"
	"slices"
)

// sortLatencies sorts non-negative values in place, using scratch (grown
// as needed and returned) for a radix sort of 11-bit digits when there are
// enough of them to pay: latencies of up to 2³³ µs (2.4 hours) take three
// passes, each a count and a scatter, where a comparison sort of 65,536
// values makes sixteen of them. A breakdown sorts every latency it reads.
func sortLatencies(v, scratch []int64) []int64 {
	if len(v) < 512 {
		slices.Sort(v)
		return scratch
	}
	var most int64
	for _, x := range v {
		most = max(most, x)
	}
	const digit = 11
	passes := (bits.Len64(uint64(most)) + digit - 1) / digit
	scratch = resize(scratch, len(v))
	src, dst := v, scratch
	var count [1 << digit]int
	for p := range passes {
		shift := uint(p * digit)
		clear(count[:])
		for _, x := range src {
			count[(x>>shift)&(1<<digit-1)]++
		}
		sum := 0
		for i, c := range count {
			count[i] = sum
			sum += c
		}
		for _, x := range src {
			d := (x >> shift) & (1<<digit - 1)
			dst[count[d]] = x
			count[d]++
		}
		src, dst = dst, src
	}
	if passes%2 == 1 {
		copy(v, src) // the last pass wrote into scratch
	}
	return scratch
}
