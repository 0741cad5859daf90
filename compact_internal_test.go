package logstats

import (
	"maps"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"
	"time"
)

// TestTouchedDays adds the days of random batches and compares the result
// with a count of the batches that wrote each day: every day once, in key
// order, several exactly when more than one batch wrote it.
func TestTouchedDays(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	var groups batchRollups
	for round := range 300 {
		touched := touchedDays{limit: 1 << 30}
		batches := make(map[dayKey]int)
		for range 1 + rng.IntN(6) {
			customers := 1 + rng.IntN([]int{3, 40, 500}[rng.IntN(3)])
			entries := make([]Entry, rng.IntN(400))
			for i := range entries {
				entries[i] = Entry{
					Time:       time.Unix(1730000000+rng.Int64N(5*86400), 0),
					CustomerID: "c" + strconv.Itoa(rng.IntN(customers)),
					Status:     200,
				}
			}
			groups.group(entries, nil)
			for i := range groups.len() {
				batches[groups.key(i)]++
			}
			touched.add(&groups)
		}
		want := slices.SortedFunc(maps.Keys(batches), compareDayKeys)
		if !slices.Equal(touched.keys, want) {
			t.Fatalf("round %d: days %v, want %v", round, touched.keys, want)
		}
		for i, k := range touched.keys {
			if touched.several[i] != (batches[k] > 1) {
				t.Fatalf("round %d: day %v written by %d batches, several=%v", round, k, batches[k], touched.several[i])
			}
		}
		if len(touched.several) != len(touched.keys) {
			t.Fatalf("round %d: %d marks for %d days", round, len(touched.several), len(touched.keys))
		}
	}
}
