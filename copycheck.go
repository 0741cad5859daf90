package logstats

import (
	"context"
	"fmt"
	"strings"
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
// that one query, reading that customer's raw rows once, answers it.
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
	type sample struct {
		ts, lat int64
		path    string
		status  int
	}
	want := make(map[sample]int, n) // sample -> how many times it was drawn
	var cond strings.Builder
	args := []any{customer, src.id}
	for i := range n {
		e := entries[same[i*len(same)/n]]
		s := sample{e.Time.UnixMicro(), e.Latency.Microseconds(), e.Path, e.Status}
		if want[s]++; want[s] > 1 {
			continue
		}
		if cond.Len() > 0 {
			cond.WriteString(" OR ")
		}
		cond.WriteString("(ts_us = ? AND path = ? AND status = ? AND latency_us = ?)")
		args = append(args, s.ts, s.path, s.status, s.lat)
	}
	rows, err := ing.db.QueryContext(ctx, `SELECT DISTINCT source_id, ts_us, path, status, latency_us FROM logstats_raw_requests
		WHERE customer_id = ? AND source_id <> ? AND (`+cond.String()+`)`, args...)
	if err != nil {
		return fmt.Errorf("check source %s: %w", src.name, err)
	}
	found := make(map[int64]int) // other source -> sampled requests it holds
	for rows.Next() {
		var id int64
		var s sample
		if err := rows.Scan(&id, &s.ts, &s.path, &s.status, &s.lat); err != nil {
			rows.Close()
			return fmt.Errorf("check source %s: %w", src.name, err)
		}
		found[id] += want[s]
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("check source %s: %w", src.name, err)
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
