package decimal

import (
	"math"
	"testing"
)

func TestAppend(t *testing.T) {
	for _, tc := range []struct {
		n      int64
		places int
		want   string
	}{
		{0, 6, "0"},
		{1234000, 6, "1.234"},
		{1, 6, "0.000001"},
		{86400000000, 6, "86400"},
		{-1500000, 6, "-1.5"},
		{9999, 2, "99.99"},
		{-5, 2, "-0.05"},
		{42, 0, "42"},
		{math.MinInt64, 6, "-9223372036854.775808"},
	} {
		if got := string(Append([]byte("x"), tc.n, tc.places)); got != "x"+tc.want {
			t.Errorf("Append(%d, %d)=%q, want %q", tc.n, tc.places, got, "x"+tc.want)
		}
	}
}
