package logstats

import (
	"errors"
	"math/big"
	"testing"
)

func TestDistribution_RoundTrip(t *testing.T) {
	h := histogram{0: 3, 1: 1, 1000: 7, 86_400_000_000: 2}
	d := h.distribution()
	got, err := decodeDistribution(d.appendBinary(nil), 13)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.values) != 4 || got.values[3] != 86_400_000_000 || got.counts[2] != 7 {
		t.Fatalf("decoded %+v, want %+v", got, d)
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
		"ErrValueOverflows": {[]byte{1, 2, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 1}, 2},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := decodeDistribution(tc.b, tc.total); !errors.Is(err, ErrCorruptRollup) {
				t.Fatalf("err=%v, want ErrCorruptRollup", err)
			}
		})
	}
}

// TestQuantile_HugeCounts checks the 128-bit arithmetic where int64 products
// would overflow: a trillion requests, percentiles with six decimals.
func TestQuantile_HugeCounts(t *testing.T) {
	d := distribution{values: []int64{1, 86_400_000_000}, counts: []int64{999_999_999_999, 1}}
	n := int64(1_000_000_000_000)
	cum := d.cumulative()
	for _, tc := range []struct {
		num, den uint64
	}{{1, 2}, {99, 100}, {99_999_999, 100_000_000}, {1, 1}} {
		got := d.quantile(cum, n, tc.num, tc.den)
		// Reference with big.Rat: h = (n-1)q; ranks 0..n-2 hold 1, rank n-1 holds the max.
		h := new(big.Rat).Mul(big.NewRat(n-1, 1), new(big.Rat).SetFrac(new(big.Int).SetUint64(tc.num), new(big.Int).SetUint64(tc.den)))
		lo := new(big.Int).Quo(h.Num(), h.Denom())
		var want int64 = 1
		if lo.Int64() == n-1 {
			want = 86_400_000_000
		} else if lo.Int64() == n-2 && !h.IsInt() {
			frac := new(big.Rat).Sub(h, new(big.Rat).SetInt(lo))
			v := new(big.Rat).Mul(frac, big.NewRat(86_400_000_000-1, 1))
			v.Add(v, big.NewRat(1, 1)).Add(v, big.NewRat(1, 2))
			want = new(big.Int).Quo(v.Num(), v.Denom()).Int64()
		}
		if got != want {
			t.Fatalf("quantile(%d/%d)=%d, want %d", tc.num, tc.den, got, want)
		}
	}
	if got := meanUS(uint128{hi: 1, lo: 0}, 1<<40); got != 1<<24 {
		t.Fatalf("meanUS(2^64 / 2^40)=%d, want %d", got, 1<<24)
	}
}

func FuzzDecodeDistribution(f *testing.F) {
	f.Add(histogram{5: 1, 9: 2}.distribution().appendBinary(nil), int64(3))
	f.Add([]byte{1, 0}, int64(0))
	f.Fuzz(func(t *testing.T, b []byte, total int64) {
		d, err := decodeDistribution(b, total)
		if err != nil {
			return
		}
		// Whatever decodes must encode back to the same bytes.
		if got := d.appendBinary(nil); string(got) != string(b) {
			t.Fatalf("re-encoded %x, want %x", got, b)
		}
	})
}
