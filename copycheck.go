package logstats

import (
	"context"
	"fmt"
)

// copySamples is how many of a new source's first requests are looked up in
// the other sources.
const copySamples = 16

// checkNotLoadedElsewhere refuses a new source when most of its first
// requests (a sample spread over its first batch) were loaded already from
// one other source: that is a loaded log with its first line edited or lines
// cut from its start (so its identity changed), and loading it would count
// the rest twice. Identical requests in unrelated logs (same microsecond,
// customer, path, status and latency, for most of a sample, all from one
// other log) are not a plausible accident.
//
// The sample is taken from the requests of the batch's first customer, so
// that one query, reading that customer's raw requests once (on the days of
// the sample, when they are in blocks), answers it. A database that keeps
// no raw requests cannot tell.
func (ing *Ingester) checkNotLoadedElsewhere(ctx context.Context, src *source, entries []Entry) error {
	if len(entries) == 0 {
		return nil
	}
	customer := entries[0].CustomerID
	var same []int
	for i := range entries {
		if entries[i].CustomerID == customer {
			same = append(same, i)
		}
	}
	n := min(copySamples, len(same))
	want := make(map[requestKey]int, n) // sample -> how many times it was drawn
	var keys []requestKey
	for i := range n {
		k := keyOf(&entries[same[i*len(same)/n]])
		if want[k]++; want[k] == 1 {
			keys = append(keys, k)
		}
	}
	held, err := src.store.holders(ctx, customer, src.id, keys)
	if err != nil {
		return fmt.Errorf("check source %s: %w", src.name, err)
	}
	found := make(map[int64]int) // other source -> sampled requests it holds
	for k, ids := range held {
		for _, id := range ids {
			found[id] += want[k]
		}
	}
	// Half of a larger sample; all of one or two requests, unless the source
	// starts with another's lines by accident (checkFrom): then, what
	// follows them being loaded already is the likelier story, and a log
	// that only shares them goes on with requests of its own.
	need := n
	if n > 2 || src.checkFrom > 0 {
		need = (n + 1) / 2
	}
	for id, k := range found {
		if k < need {
			continue
		}
		var other string
		if err := ing.db.QueryRowContext(ctx, `SELECT name FROM logstats_sources WHERE source_id = ?`, id).Scan(&other); err != nil {
			other = fmt.Sprintf("source %d", id)
		}
		return fmt.Errorf("%w: %s: %d of %d of its first requests sampled were loaded already from %s; it looks like that log with its first lines edited or cut, and loading it would count them twice. Nothing was loaded",
			ErrSourceChanged, src.name, k, n, other)
	}
	return nil
}
