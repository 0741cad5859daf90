package logstats

import (
	"context"
	"database/sql"
	"slices"
	"strings"
	"sync"
	"time"
)

// DefaultCacheEntries bounds a StatsService's cache when CacheEntries is 0.
const DefaultCacheEntries = 10_000

// statsCache keeps FindStats answers while the data they came from does not
// change. Every commit that changes rollups changes the source ledger (a load
// moves a committed offset; Prune touches every source), so a small query on
// the ledger, made at most once per CacheFor, tells whether the cached answers
// still hold.
type statsCache struct {
	mu      sync.Mutex
	entries map[string]*CustomerStats
	version ledgerVersion
	gen     uint64    // bumped whenever entries are dropped
	checked time.Time // when version was last read; zero: never
}

// ledgerVersion summarises the source ledger, and the customers' own
// objectives (SetObjectives), which other processes may write.
type ledgerVersion struct {
	sources, offsets, updated     int64
	objectives, objectivesUpdated int64
}

func readLedgerVersion(ctx context.Context, db *sql.DB) (ledgerVersion, error) {
	var v ledgerVersion
	err := db.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(SUM(committed_offset), 0), COALESCE(MAX(updated_us), 0),
		(SELECT COUNT(*) FROM logstats_objectives), (SELECT COALESCE(SUM(updated_us), 0) FROM logstats_objectives) FROM logstats_sources`).
		Scan(&v.sources, &v.offsets, &v.updated, &v.objectives, &v.objectivesUpdated)
	return v, err
}

// dropCache forgets every cached answer, after a change this service made.
func (s *StatsService) dropCache() {
	c := &s.cache
	c.mu.Lock()
	defer c.mu.Unlock()
	clear(c.entries)
	c.gen++
}

// lookup returns the cached answer for key, if any, and the generation that
// an answer computed now must be stored under.
func (s *StatsService) lookup(ctx context.Context, key string) (*CustomerStats, uint64) {
	c := &s.cache
	c.mu.Lock()
	if !c.checked.IsZero() && time.Since(c.checked) <= s.CacheFor {
		defer c.mu.Unlock()
		return c.entries[key], c.gen
	}
	c.mu.Unlock() // not held during the query
	v, err := readLedgerVersion(ctx, s.db)
	c.mu.Lock()
	defer c.mu.Unlock()
	if err != nil || v != c.version {
		// A change, or no way to tell: drop everything.
		clear(c.entries)
		c.gen++
		c.version = v
	}
	c.checked = time.Time{}
	if err == nil {
		c.checked = time.Now()
	}
	return c.entries[key], c.gen
}

// store caches st under key, unless the entries were dropped since the
// lookup that returned gen (st may then predate the change).
func (s *StatsService) store(key string, st *CustomerStats, gen uint64) {
	c := &s.cache
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen || c.checked.IsZero() {
		return
	}
	limit := s.CacheEntries
	if limit <= 0 {
		limit = DefaultCacheEntries
	}
	if c.entries == nil || len(c.entries) >= limit {
		c.entries = make(map[string]*CustomerStats)
	}
	c.entries[key] = st
}

// cacheKey identifies a query.
func cacheKey(customerID string, f StatsFilter) string {
	var b strings.Builder
	b.WriteString(customerID)
	b.WriteByte(0)
	if !f.From.IsZero() {
		b.WriteString(f.From.String())
	}
	b.WriteByte(0)
	if f.To != nil {
		b.WriteString(f.To.String())
	}
	b.WriteByte(0)
	b.WriteString(f.Failed.String())
	b.WriteByte(0)
	b.WriteString(f.Interval.String())
	for _, p := range f.Percentiles {
		b.WriteByte(0)
		b.WriteString(p.String())
	}
	return b.String()
}

// clone copies st deeply enough that the caller may change it.
func (st *CustomerStats) clone() *CustomerStats {
	out := *st
	if st.To != nil {
		to := *st.To
		out.To = &to
	}
	out.Stats.Percentiles = slices.Clone(st.Stats.Percentiles)
	out.Daily = slices.Clone(st.Daily)
	for i := range out.Daily {
		out.Daily[i].Stats.Percentiles = slices.Clone(out.Daily[i].Stats.Percentiles)
	}
	out.Objectives = slices.Clone(st.Objectives)
	out.Periods = slices.Clone(st.Periods)
	for i := range out.Periods {
		out.Periods[i].Stats.Percentiles = slices.Clone(out.Periods[i].Stats.Percentiles)
	}
	return &out
}
