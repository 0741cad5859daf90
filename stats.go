package logstats

import (
	"context"
	"database/sql"
	"fmt"
	"math/bits"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// StatsService answers statistics queries from the rollups the Ingester
// maintains. It never reads raw requests: a query reads one rollup row per day
// in its range (a few more while loads are running), whatever the number of
// requests. It is safe for concurrent use; set its fields before the first
// query.
type StatsService struct {
	// CacheFor, when positive, keeps answers in memory. A cached answer is
	// served without asking the database for up to CacheFor after the
	// service last checked the source ledger; then one small query on the
	// ledger tells whether any load or Prune committed since, and if so the
	// cache is dropped. Answers may thus lag a commit by up to CacheFor.
	// Changes made to the tables by hand are not seen until the next load.
	// Default 0: no cache.
	CacheFor time.Duration
	// CacheEntries bounds the number of cached answers (the cache is
	// emptied when it is full). Default DefaultCacheEntries.
	CacheEntries int
	// DayZone, when set, is the zone answers name as the one their days are
	// in. When nil (as NewStatsService leaves it), each answer names the
	// database's (see DayZone), read once the database has one for good: it
	// records one, or holds data and so keeps UTC.
	DayZone *time.Location
	// Driver tells which errors say the database is unreachable (they get
	// KindUnavailable). NewStatsService sets it to db's driver when that is
	// a Driver; set it for a *sql.DB opened another way.
	Driver Driver
	// Routes turns paths into routes for Breakdown and for the filters of
	// FindStats (SPEC §14). When nil, a route is the path with the
	// automatic step of ParseRoutes.
	Routes *Routes
	// Dimensions names dimensions that breakdowns and filters accept as
	// keys besides those the ledger records for the loaded sources (a
	// server's -dimension, before it has loaded anything). A request of a
	// source without a dimension has the empty value.
	Dimensions []string
	// Failed says which status classes count as failed when a query does
	// not say (SPEC §15); zero means Failed4xx5xx.
	Failed FailedStatuses
	// Objectives are every customer's objectives but those of customers
	// with their own (SetObjectives): the server's -slo. Answers evaluate
	// them over their range (CustomerStats.Objectives).
	Objectives []Objective

	db     *sql.DB
	zone   dayZoneCache
	cache  statsCache
	arenas sync.Pool // of *[]int64, for decoding distributions
}

// NewStatsService returns a StatsService that reads from db. It does no I/O.
func NewStatsService(db *sql.DB) *StatsService {
	return &StatsService{db: db, Driver: driverOf(db)}
}

// StatsFilter selects the days of a stats query.
type StatsFilter struct {
	// From is the first day (of the day zone); the zero Date means from the first day with data.
	From Date
	// To is the last day (of the day zone), inclusive; nil means no end.
	To *Date
	// Percentiles are extra latency percentiles to compute, beyond the median
	// and p99.
	Percentiles []Percentile
	// Match, when not empty, narrows the stats to the requests it selects
	// (see Match). They are then computed from the raw requests, as a
	// Breakdown is, not from the rollups, and not cached.
	Match []Match
	// ComparePrevious adds the stats of the previous range of as many
	// days, ending the day before From (CustomerStats.Previous), with the
	// same Match and Percentiles (SPEC §15). It needs From and To.
	ComparePrevious bool
	// Failed says which status classes count as failed; zero means the
	// service's Failed.
	Failed FailedStatuses
	// Interval cuts the range into weeks or months (CustomerStats.Periods)
	// instead of days (CustomerStats.Daily).
	Interval Interval
}

// Stats are the statistics of a customer's requests over some days.
// The latency fields and Uptime are only meaningful when TotalRequests > 0;
// they are zero otherwise.
type Stats struct {
	TotalRequests      int64 // all requests
	SuccessfulRequests int64 // the others
	// FailedRequests counts the requests of the classes counted as failed:
	// status 400 and above, or 500 and above with Failed5xx.
	FailedRequests int64
	// RequestsByStatusClass counts requests by status class: [0] is 1xx,
	// [1] is 2xx, ... [4] is 5xx.
	RequestsByStatusClass [5]int64
	// Uptime is SuccessfulRequests / TotalRequests * 100, rounded half away
	// from zero to 2 decimals.
	Uptime float64
	// TimedRequests counts the requests with a latency (see NoLatency).
	// The latency figures below are theirs, and all zero, with no
	// Percentiles, when it is 0.
	TimedRequests int64
	// AverageLatency, MedianLatency and P99Latency are exact, rounded half
	// away from zero to whole microseconds. Percentiles interpolate linearly
	// between closest ranks, as numpy's default and PERCENTILE_CONT do.
	AverageLatency time.Duration // the mean
	MedianLatency  time.Duration // the 50th percentile
	P99Latency     time.Duration // the 99th percentile
	MinLatency     time.Duration // the smallest latency
	MaxLatency     time.Duration // the largest latency
	// Percentiles holds the latencies of StatsFilter.Percentiles, in order.
	Percentiles []PercentileLatency
}

// PercentileLatency is the latency at a percentile.
type PercentileLatency struct {
	Percentile Percentile    // the percentile asked for
	Latency    time.Duration // its latency, rounded to whole microseconds
}

// DailyStats are the statistics of one day of the day zone.
type DailyStats struct {
	Date  Date  // the day, of the day zone
	Stats Stats // the day's statistics
}

// CustomerStats are a customer's statistics over a range of days, overall and
// per day (days with at least one request, ascending).
type CustomerStats struct {
	CustomerID string       // the customer asked for
	DayZone    string       // the zone the days are cut in (StatsService.DayZone)
	From       Date         // the filter's From
	To         *Date        // the filter's To; nil for no end
	Stats      Stats        // the statistics of the whole range
	Daily      []DailyStats // each day with requests, ascending (IntervalDay)
	// Periods are, for IntervalWeek and IntervalMonth, each week or month
	// with requests, ascending, cut to the range; Daily is then nil.
	Periods []PeriodStats
	// Previous are the stats of the range before, when the filter asked
	// for them (StatsFilter.ComparePrevious); nil otherwise.
	Previous *RangeStats
	// Failed is which status classes were counted as failed.
	Failed FailedStatuses
	// Objectives are how the customer's objectives (its own, else the
	// service's) fare over the range; nil when it has none.
	Objectives []ObjectiveStatus
}

// RangeStats are the statistics of a customer's requests over the days
// from From to To, inclusive.
type RangeStats struct {
	From, To Date
	Stats    Stats
}

// FindStats returns the statistics of customerID over the days of f. A
// customer without requests in the range (or unknown) gets zero counts and no
// days. It returns an error wrapping ErrInvalidRange when f.To is before
// f.From.
func (s *StatsService) FindStats(ctx context.Context, customerID string, f StatsFilter) (*CustomerStats, error) {
	st, err := s.findCompared(ctx, customerID, f)
	return st, classify(s.Driver, err)
}

// findCompared is findCached, with the previous range's stats when f asks
// for them.
func (s *StatsService) findCompared(ctx context.Context, customerID string, f StatsFilter) (*CustomerStats, error) {
	if !f.ComparePrevious {
		return s.findCached(ctx, customerID, f)
	}
	if f.From.IsZero() || f.To == nil {
		return nil, fmt.Errorf("%w: comparing with the previous range needs its first and last days (from and to)", ErrInvalidRange)
	}
	f.ComparePrevious = false
	st, err := s.findCached(ctx, customerID, f)
	if err != nil {
		return nil, err
	}
	days := int(daysSinceEpoch(*f.To) - daysSinceEpoch(f.From) + 1)
	prev, prevTo := f, f.From.AddDays(-1)
	prev.From, prev.To = f.From.AddDays(-days), &prevTo
	before, err := s.findCached(ctx, customerID, prev)
	if err != nil {
		return nil, fmt.Errorf("the previous range: %w", err)
	}
	st.Previous = &RangeStats{From: prev.From, To: prevTo, Stats: before.Stats}
	return st, nil
}

// findCached is FindStats with the cache, when it is on.
func (s *StatsService) findCached(ctx context.Context, customerID string, f StatsFilter) (*CustomerStats, error) {
	f.Failed = f.Failed.or(s.Failed)
	if f.To != nil && !f.From.IsZero() && f.To.Before(f.From) {
		return nil, fmt.Errorf("%w: to (%s) is before from (%s)", ErrInvalidRange, f.To, f.From)
	}
	if len(f.Match) > 0 {
		return s.findFiltered(ctx, customerID, f)
	}
	if s.CacheFor <= 0 {
		return s.findStats(ctx, customerID, f)
	}
	key := cacheKey(customerID, f)
	st, gen := s.lookup(ctx, key)
	if st == nil {
		var err error
		if st, err = s.findStats(ctx, customerID, f); err != nil {
			return nil, err
		}
		s.store(key, st, gen)
	}
	return st.clone(), nil
}

// findStats is FindStats without the cache.
func (s *StatsService) findStats(ctx context.Context, customerID string, f StatsFilter) (*CustomerStats, error) {
	zone, err := s.zoneName(ctx)
	if err != nil {
		return nil, fmt.Errorf("find stats: %w", err)
	}
	query := `SELECT day, ` + rollupValueColumns + ` FROM logstats_rollups WHERE customer_id = ?`
	args := []any{customerID}
	if !f.From.IsZero() {
		query += ` AND day >= ?`
		args = append(args, f.From.String())
	}
	if f.To != nil {
		query += ` AND day <= ?`
		args = append(args, f.To.String())
	}
	// The whole key: through a sharded head, an order with ties (by day
	// alone) came back with a day's rows apart (MariaDB 10.11), and the
	// rows are merged by day whatever their order anyway.
	query += ` ORDER BY day, source_id, seq`
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("find stats: %w", err)
	}
	defer rows.Close()

	// The day's distributions live in one pooled buffer: nothing in the
	// answer points into it.
	arena, release := s.arena()
	defer release()

	out := &CustomerStats{CustomerID: customerID, DayZone: zone, From: f.From, To: f.To, Failed: f.Failed}
	var days []rollup
	var dates []Date
	sorted := true
	for rows.Next() {
		var day dayValue
		var r rollup
		if err := scanRollup(rows, &r, arena, &day); err != nil {
			return nil, fmt.Errorf("find stats: %w", err)
		}
		if n := len(dates); n > 0 && dates[n-1] == day.Date {
			days[n-1].merge(&r) // several rows of one day, before compaction
			continue
		}
		sorted = sorted && (len(dates) == 0 || dates[len(dates)-1].Before(day.Date))
		days, dates = append(days, r), append(dates, day.Date)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("find stats: %w", err)
	}
	if !sorted {
		days, dates = mergeByDate(days, dates)
	}

	// Each day's quantiles come from its own distribution; the range's come
	// from all of them, searched by rank rather than merged.
	var total rollup
	union := rankedUnion{parts: make([]rankedDist, 0, len(days))}
	periods := periodMerger{interval: f.Interval, from: f.From, to: f.To, percentiles: f.Percentiles, failed: f.Failed}
	for i := range days {
		d := &days[i]
		rd := d.dist.intoRanked()
		if f.Interval == IntervalDay {
			out.Daily = append(out.Daily, DailyStats{Date: dates[i], Stats: d.stats(rd, f.Percentiles, f.Failed)})
		} else {
			periods.add(dates[i], d, rd)
		}
		if len(rd.values) > 0 {
			union.include(rd)
		}
		d.dist = distribution{}
		total.merge(d)
	}
	periods.flush()
	out.Stats, out.Periods = total.stats(union, f.Percentiles, f.Failed), periods.out
	objectives, _, err := s.customerObjectives(ctx, customerID)
	if err != nil {
		return nil, fmt.Errorf("find stats: %w", err)
	}
	out.Objectives = evaluateAll(objectives, union, &out.Stats)
	return out, nil
}

// zoneName returns the name of the zone the answers' days are in: the
// service's DayZone, else the database's.
func (s *StatsService) zoneName(ctx context.Context) (string, error) {
	if s.DayZone != nil {
		return s.DayZone.String(), nil
	}
	zone, err := s.zone.get(ctx, s.db)
	if err != nil {
		return "", err
	}
	return zone.String(), nil
}

// arena returns a pooled buffer to decode distributions into, and the
// function that gives it back (when it is not too large to keep).
func (s *StatsService) arena() (*[]int64, func()) {
	arena, _ := s.arenas.Get().(*[]int64)
	if arena == nil {
		arena = new([]int64)
	}
	return arena, func() {
		if cap(*arena) <= maxPooledArena {
			*arena = (*arena)[:0]
			s.arenas.Put(arena)
		}
	}
}

// maxPooledArena is the largest decoding buffer findStats keeps for the next
// query (in int64s: 8 MiB), so that one query over years of days does not pin
// its memory.
const maxPooledArena = 1 << 20

// stats computes the statistics of r, whose latencies are those of dist,
// counting the classes of failed (not zero) as failed requests.
func (r *rollup) stats(dist ranked, percentiles []Percentile, failed FailedStatuses) Stats {
	st := Stats{
		TotalRequests:         r.total,
		FailedRequests:        failed.failed(&r.byClass),
		RequestsByStatusClass: r.byClass,
	}
	st.SuccessfulRequests = r.total - st.FailedRequests
	if r.total == 0 {
		return st
	}
	st.Uptime = float64(roundDiv(uint64(st.SuccessfulRequests), 10000, uint64(r.total))) / 100
	n := r.timed()
	if st.TimedRequests = n; n == 0 {
		return st // no latency figures
	}
	st.AverageLatency = usDuration(meanUS(r.sumUS, n))
	st.MinLatency, st.MaxLatency = usDuration(r.minUS), usDuration(r.maxUS)
	st.MedianLatency = usDuration(quantile(dist, n, 1, 2))
	st.P99Latency = usDuration(quantile(dist, n, 99, 100))
	for _, p := range percentiles {
		st.Percentiles = append(st.Percentiles, PercentileLatency{p, usDuration(quantile(dist, n, p.num, p.den))})
	}
	return st
}

func usDuration(us int64) time.Duration { return time.Duration(us) * time.Microsecond }

// roundDiv returns a*m/b rounded half up, for a <= b, with 128-bit
// intermediates.
func roundDiv(a, m, b uint64) uint64 {
	hi, lo := bits.Mul64(a, 2*m)
	lo, carry := bits.Add64(lo, b, 0)
	q, _ := bits.Div64(hi+carry, lo, 2*b)
	return q
}

// Percentile is a percentile in (0, 100], kept as an exact fraction.
type Percentile struct {
	num, den uint64 // the quantile num/den, in (0, 1]
	text     string // canonical decimal form: "50", "99.9"
}

// ParsePercentile parses a percentile such as "50", "95" or "99.9": a decimal
// number in (0, 100] with at most six decimal places. It returns an error
// wrapping ErrInvalidPercentile otherwise.
func ParsePercentile(s string) (Percentile, error) {
	bad := func() (Percentile, error) {
		return Percentile{}, fmt.Errorf("%w: %q (want a number above 0 and at most 100, like 95 or 99.9)", ErrInvalidPercentile, truncateForMessage(s))
	}
	intPart, frac, hasDot := strings.Cut(s, ".")
	if hasDot && frac == "" {
		return bad()
	}
	frac = strings.TrimRight(frac, "0")
	if intPart == "" || len(intPart) > 3 || len(frac) > 6 || strings.Trim(intPart+frac, "0123456789") != "" {
		return bad()
	}
	num, err := strconv.ParseUint(intPart+frac, 10, 64)
	if err != nil {
		return bad()
	}
	den := uint64(100)
	for range frac {
		den *= 10
	}
	if num == 0 || num > den {
		return bad()
	}
	text := strings.TrimLeft(intPart, "0")
	if text == "" {
		text = "0"
	}
	if frac != "" {
		text += "." + frac
	}
	return Percentile{num: num, den: den, text: text}, nil
}

// String returns the percentile in canonical decimal form: "99.9".
func (p Percentile) String() string { return p.text }

// Customer is a customer with data.
type Customer struct {
	ID            string // the customer id
	TotalRequests int64  // requests loaded, of all days
	FirstDay      Date   // the first day with requests
	LastDay       Date   // the last day with requests
}

// CustomerFilter pages through customers, in ascending order of ID.
type CustomerFilter struct {
	// After lists only customers whose ID sorts after it (byte order).
	After *string
	// Limit is the most customers to return; 0 means no limit.
	Limit int
	// ID, when set, lists only the customer with this ID (none if it has no
	// data).
	ID *string
}

// FindCustomers returns the customers with data, ordered by ID.
func (s *StatsService) FindCustomers(ctx context.Context, f CustomerFilter) ([]Customer, error) {
	cs, err := s.findCustomers(ctx, f)
	return cs, classify(s.Driver, err)
}

func (s *StatsService) findCustomers(ctx context.Context, f CustomerFilter) ([]Customer, error) {
	query := `SELECT customer_id, SUM(total), MIN(day), MAX(day) FROM logstats_rollups`
	var args []any
	var where []string
	if f.After != nil {
		where = append(where, `customer_id > ?`)
		args = append(args, *f.After)
	}
	if f.ID != nil {
		where = append(where, `customer_id = ?`)
		args = append(args, *f.ID)
	}
	if len(where) > 0 {
		query += ` WHERE ` + strings.Join(where, ` AND `)
	}
	query += ` GROUP BY customer_id ORDER BY customer_id`
	if f.Limit > 0 {
		query += ` LIMIT ?`
		args = append(args, f.Limit)
	}
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("find customers: %w", err)
	}
	defer rows.Close()
	var out []Customer
	for rows.Next() {
		var c Customer
		var first, last dayValue
		if err := rows.Scan(&c.ID, &c.TotalRequests, &first, &last); err != nil {
			return nil, fmt.Errorf("find customers: %w", err)
		}
		c.FirstDay, c.LastDay = first.Date, last.Date
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("find customers: %w", err)
	}
	return out, nil
}

// mergeByDate merges the rollups of equal dates and sorts them by date,
// for rows that did not come in the order asked for.
func mergeByDate(days []rollup, dates []Date) ([]rollup, []Date) {
	idx := make([]int, len(days))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int { return dates[a].Compare(dates[b]) })
	var outDays []rollup
	var outDates []Date
	for _, i := range idx {
		if n := len(outDates); n > 0 && outDates[n-1] == dates[i] {
			outDays[n-1].merge(&days[i])
			continue
		}
		outDays, outDates = append(outDays, days[i]), append(outDates, dates[i])
	}
	return outDays, outDates
}
