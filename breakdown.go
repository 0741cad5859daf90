package logstats

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"runtime"
	"slices"
	"strconv"
	"strings"
)

// BreakdownFilter says how Breakdown groups a customer's requests.
type BreakdownFilter struct {
	// From is the first day (of the day zone); the zero Date means from the
	// first day with data.
	From Date
	// To is the last day (of the day zone), inclusive; nil means no end.
	To *Date
	// By are the keys to group by, at least one, each at most once:
	// "endpoint" (which stands for "method" and "route"), "method",
	// "route", "path", "status", "status_class", or the name of a
	// dimension (one the ledger records for a source, or one of
	// StatsService.Dimensions).
	By []string
	// Match narrows the requests to those whose keys have the values
	// given (see Match).
	Match []Match
	// Sort is the field of the groups' stats they are ordered by, named as
	// in the API's STATS object: "total_requests" (the default),
	// "total_successful_requests", "total_failed_requests",
	// "timed_requests", "uptime", "average_latency", "median_latency",
	// "p99_latency", "min_latency", "max_latency", or "pN" for any
	// percentile N ("p95"). Groups without the figure (no timed request,
	// for a latency) come last; ties are broken by the keys, ascending.
	Sort string
	// Ascending orders the groups from the smallest value up; the default
	// is from the largest down.
	Ascending bool
	// Limit is how many groups to return, 1 to MaxBreakdownLimit; 0 means
	// DefaultBreakdownLimit. The others are merged into Breakdown.Other.
	Limit int
	// Percentiles are extra latency percentiles to compute for each group,
	// beyond the median and p99.
	Percentiles []Percentile
	// Failed says which status classes count as failed; zero means the
	// service's Failed.
	Failed FailedStatuses
}

// Bounds of BreakdownFilter.Limit.
const (
	DefaultBreakdownLimit = 100
	MaxBreakdownLimit     = 10_000
)

// A Match selects the requests whose key Key has the value Value. Key is
// any key of a breakdown (BreakdownFilter.By): "endpoint" takes a method
// and a route separated by a space ("GET /v1/users/{id}"), "status" a
// code (100 to 599), "status_class" a class ("5xx"); the others match
// their value exactly, the empty value selecting requests that have none
// (a log without methods).
type Match struct {
	Key, Value string
}

// A Breakdown is a customer's requests over a range of days, grouped.
type Breakdown struct {
	CustomerID string
	DayZone    string   // the zone the days are cut in
	From       Date     // the filter's From
	To         *Date    // the filter's To; nil for no end
	By         []string // the keys grouped by, "endpoint" spelled as "method", "route"
	// TotalGroups is how many groups the requests make, Groups the first
	// Limit of them in the order asked for.
	TotalGroups int
	Groups      []BreakdownGroup
	// Other are the stats of the groups past the limit, all together; nil
	// when none was cut.
	Other *Stats
	// Failed is which status classes were counted as failed.
	Failed FailedStatuses
}

// A BreakdownGroup is the requests that share a value of each key.
type BreakdownGroup struct {
	// Key holds the group's value of each key of Breakdown.By, in order: a
	// status as its code ("503"), a status class as "5xx".
	Key   []string
	Stats Stats
}

// Breakdown groups the requests of customerID on the days of f by the
// keys of f.By and returns the exact stats of each group (SPEC §14). It
// reads the raw requests of those days, so its cost grows with the
// customer's requests in the range, not with the database; a database
// whose raw mode is RawNone keeps none, and Breakdown returns an error
// wrapping ErrNoRawRequests. Routes are those of s.Routes (the automatic
// step only, when nil). Errors for an unknown key, sort field or limit
// wrap ErrInvalidBreakdown.
func (s *StatsService) Breakdown(ctx context.Context, customerID string, f BreakdownFilter) (*Breakdown, error) {
	b, err := s.breakdown(ctx, customerID, f)
	return b, classify(s.Driver, err)
}

func (s *StatsService) breakdown(ctx context.Context, customerID string, f BreakdownFilter) (*Breakdown, error) {
	if f.To != nil && !f.From.IsZero() && f.To.Before(f.From) {
		return nil, fmt.Errorf("%w: to (%s) is before from (%s)", ErrInvalidRange, f.To, f.From)
	}
	if len(f.By) == 0 {
		return nil, fmt.Errorf("%w: group by at least one key: %s, or a dimension", ErrInvalidBreakdown, builtinKeys)
	}
	scan, err := s.openScan(ctx)
	if err != nil {
		return nil, fmt.Errorf("break down %s: %w", customerID, err)
	}
	parts, err := parseKeys(f.By, scan.names)
	if err != nil {
		return nil, err
	}
	matches, err := parseMatches(f.Match, scan.names)
	if err != nil {
		return nil, err
	}
	limit, err := pageLimit(f.Limit, DefaultBreakdownLimit, MaxBreakdownLimit)
	if err != nil {
		return nil, err
	}
	field, percentiles, err := parseSort(f.Sort, f.Percentiles)
	if err != nil {
		return nil, err
	}

	zone, agg, err := s.aggregate(ctx, scan, customerID, f.From, f.To, parts, matches)
	if err != nil {
		return nil, fmt.Errorf("break down %s: %w", customerID, err)
	}
	failed := f.Failed.or(s.Failed)
	groups := agg.results(percentiles, failed)
	slices.SortFunc(groups, func(a, b groupResult) int {
		return cmp.Or(field.compare(&a.stats, &b.stats, f.Ascending), agg.compareKeys(&a.key, &b.key))
	})

	out := &Breakdown{CustomerID: customerID, DayZone: zone, From: f.From, To: f.To, TotalGroups: len(groups), Failed: failed}
	for _, p := range parts {
		out.By = append(out.By, p.name)
	}
	for i := range groups[:min(limit, len(groups))] {
		g := &groups[i]
		field.trim(&g.stats, len(f.Percentiles))
		out.Groups = append(out.Groups, BreakdownGroup{Key: agg.keyValues(&g.key), Stats: g.stats})
	}
	if len(groups) > limit {
		other := mergeResults(groups[limit:], f.Percentiles, failed)
		out.Other = &other
	}
	return out, nil
}

// A rawScan is what a breakdown reads the raw requests with: the store,
// and the names of the dimensions, of each source and all told.
type rawScan struct {
	store *rawStore
	dims  map[int64][]string // by source, those with dimensions
	names []string           // every dimension a key may name
}

// openScan opens the raw store and reads the sources' dimensions.
func (s *StatsService) openScan(ctx context.Context) (*rawScan, error) {
	store, err := openRawStore(ctx, s.db, DialectUnknown)
	if err != nil {
		return nil, err
	}
	dims, err := store.sourceDimensions(ctx)
	if err != nil {
		return nil, err
	}
	names := dimensionUnion(slices.Clone(s.Dimensions), dims)
	return &rawScan{store: store, dims: dims, names: names}, nil
}

// aggregate reads the raw requests of customer on the days from from to
// to that match matches, and groups them by parts. It returns the name of
// the day zone the answer is in, and the groups.
func (s *StatsService) aggregate(ctx context.Context, scan *rawScan, customer string, from Date, to *Date, parts []keyPart, matches []matchPart) (string, *aggregator, error) {
	zone := scan.store.zone.String()
	if s.DayZone != nil {
		zone = s.DayZone.String()
	}
	routes := s.Routes
	if routes == nil {
		routes = &Routes{auto: true}
	}
	// An aggregator a core, merged at the end.
	aggs := make([]*aggregator, min(runtime.GOMAXPROCS(0), maxAggregators))
	for i := range aggs {
		aggs[i] = newAggregator(parts, matches, routes, scan.dims)
	}
	err := scan.store.scanDays(ctx, customer, from, to, aggs[0].columns(), len(aggs), scan.dims, func(worker int, day, source int64, cols *blockColumns) error {
		aggs[worker].add(day, source, cols)
		return ctx.Err()
	})
	if err != nil {
		return "", nil, err
	}
	for _, a := range aggs[1:] {
		aggs[0].merge(a)
	}
	return zone, aggs[0], nil
}

// maxAggregators bounds the goroutines that decode and group the blocks of
// one breakdown.
const maxAggregators = 4

// The keys of a breakdown, and what each is of a request.
type partKind uint8

const (
	partMethod partKind = iota
	partRoute
	partPath
	partStatus
	partStatusClass
	partDay       // the day: filtered stats group by it
	partDimension // a dimension, by its name
)

// builtinKeys lists the keys that are not dimensions, for messages.
const builtinKeys = "endpoint, method, route, path, status, status_class"

var partOfKey = map[string]partKind{
	"method":       partMethod,
	"route":        partRoute,
	"path":         partPath,
	"status":       partStatus,
	"status_class": partStatusClass,
}

// A keyPart is one key a breakdown groups by.
type keyPart struct {
	kind partKind
	name string // the key's name, a dimension's for partDimension
}

// maxParts bounds the keys of a group: each key at most once, "endpoint"
// being two, the day, and the dimensions.
const maxParts = 6 + MaxDimensions

// keyPartOf returns the part that the key name (not "endpoint") is, among
// the built-in keys and the dimensions dims.
func keyPartOf(name string, dims []string) (keyPart, error) {
	if kind, ok := partOfKey[name]; ok {
		return keyPart{kind: kind, name: name}, nil
	}
	if slices.Contains(dims, name) {
		return keyPart{kind: partDimension, name: name}, nil
	}
	return keyPart{}, &UnknownKeyError{Key: name, Dimensions: dims}
}

// An UnknownKeyError is a key of a breakdown or a filter that is neither
// built in nor a dimension: errors.Is(err, ErrInvalidBreakdown) holds for
// it.
type UnknownKeyError struct {
	Key        string
	Dimensions []string // the dimensions there are, which it might have meant
}

func (e *UnknownKeyError) Error() string {
	return fmt.Sprintf("%v: unknown key %q: the keys are %s", ErrInvalidBreakdown, e.Key, e.Known())
}

// Known lists the keys there are: the built-in ones, then the dimensions.
func (e *UnknownKeyError) Known() string {
	if len(e.Dimensions) == 0 {
		return builtinKeys + " (no dimension is loaded: see -dimension)"
	}
	return builtinKeys + ", and the dimensions " + strings.Join(e.Dimensions, ", ")
}

// Unwrap returns ErrInvalidBreakdown.
func (e *UnknownKeyError) Unwrap() error { return ErrInvalidBreakdown }

// parseKeys returns the parts of keys, "endpoint" spelled out; dims are the
// names of the dimensions.
func parseKeys(keys, dims []string) ([]keyPart, error) {
	var parts []keyPart
	seen := make(map[string]bool)
	for _, k := range keys {
		names := []string{k}
		if k == "endpoint" {
			names = []string{"method", "route"}
		}
		for _, name := range names {
			part, err := keyPartOf(name, dims)
			if err != nil {
				return nil, err
			}
			if seen[name] {
				return nil, fmt.Errorf("%w: key %q given twice (endpoint is method and route)", ErrInvalidBreakdown, name)
			}
			seen[name] = true
			parts = append(parts, part)
		}
	}
	return parts, nil
}

// A matchPart is a Match on one part.
type matchPart struct {
	keyPart
	value  string
	status uint16 // the status, or the status class (5 for 5xx)
}

// parseMatches returns the parts of matches, "endpoint" spelled out; dims
// are the names of the dimensions.
func parseMatches(matches []Match, dims []string) ([]matchPart, error) {
	var out []matchPart
	seen := make(map[string]bool)
	add := func(name, value string) error {
		part, err := keyPartOf(name, dims)
		if err != nil {
			return err
		}
		if seen[name] {
			return fmt.Errorf("%w: key %q matched twice (endpoint is method and route)", ErrInvalidBreakdown, name)
		}
		seen[name] = true
		m := matchPart{keyPart: part, value: value}
		switch part.kind {
		case partStatus:
			n, err := strconv.Atoi(value)
			if err != nil || n < 100 || n > 599 {
				return fmt.Errorf("%w: status %q: want a code from 100 to 599", ErrInvalidBreakdown, value)
			}
			m.status = uint16(n)
		case partStatusClass:
			if len(value) != 3 || value[0] < '1' || value[0] > '5' || strings.ToLower(value[1:]) != "xx" {
				return fmt.Errorf("%w: status_class %q: want 1xx, 2xx, 3xx, 4xx or 5xx", ErrInvalidBreakdown, value)
			}
			m.status = uint16(value[0] - '0')
		}
		out = append(out, m)
		return nil
	}
	for _, m := range matches {
		if m.Key == "endpoint" {
			method, route, ok := strings.Cut(m.Value, " ")
			if !ok {
				return nil, fmt.Errorf("%w: endpoint %q: want a method and a route separated by a space, such as \"GET /v1/users/{id}\"", ErrInvalidBreakdown, m.Value)
			}
			if err := add("method", method); err != nil {
				return nil, err
			}
			if err := add("route", route); err != nil {
				return nil, err
			}
			continue
		}
		if err := add(m.Key, m.Value); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// A sortField is a figure of Stats that groups are ordered by.
type sortField struct {
	value func(st *Stats) (int64, bool) // false: the group has no such figure
	extra bool                          // a percentile computed for the sort alone
}

// pageLimit returns limit, def when it is 0, or an error when it is not
// from 1 to most.
func pageLimit(limit, def, most int) (int, error) {
	switch {
	case limit == 0:
		return def, nil
	case limit < 1 || limit > most:
		return 0, fmt.Errorf("%w: limit %d: want 1 to %d", ErrInvalidBreakdown, limit, most)
	}
	return limit, nil
}

// parseSort returns the field named name and the percentiles to compute:
// those asked for, and the one sorted by when it is not among them.
func parseSort(name string, asked []Percentile) (sortField, []Percentile, error) {
	field, extra, err := parseSortField(name, asked)
	if err != nil || extra == nil {
		return field, asked, err
	}
	field.extra = true
	return field, append(slices.Clip(asked), *extra), nil
}

// trim drops from st the percentile computed for the sort alone, after
// the asked ones.
func (f sortField) trim(st *Stats, asked int) {
	if f.extra && len(st.Percentiles) > asked {
		st.Percentiles = slices.Clip(st.Percentiles[:asked])
		if asked == 0 {
			st.Percentiles = nil
		}
	}
}

// parseSortField returns the field named name; for a percentile that is
// not among percentiles, also that percentile, to compute as well.
func parseSortField(name string, percentiles []Percentile) (sortField, *Percentile, error) {
	count := func(f func(st *Stats) int64) sortField {
		return sortField{value: func(st *Stats) (int64, bool) { return f(st), true }}
	}
	latency := func(f func(st *Stats) int64) sortField {
		return sortField{value: func(st *Stats) (int64, bool) {
			if st.TimedRequests == 0 {
				return 0, false // no latency figures
			}
			return f(st), true
		}}
	}
	switch name {
	case "", "total_requests":
		return count(func(st *Stats) int64 { return st.TotalRequests }), nil, nil
	case "total_successful_requests":
		return count(func(st *Stats) int64 { return st.SuccessfulRequests }), nil, nil
	case "total_failed_requests":
		return count(func(st *Stats) int64 { return st.FailedRequests }), nil, nil
	case "timed_requests":
		return count(func(st *Stats) int64 { return st.TimedRequests }), nil, nil
	case "uptime":
		return sortField{value: func(st *Stats) (int64, bool) { return int64(math.Round(st.Uptime * 100)), st.TotalRequests > 0 }}, nil, nil
	case "average_latency":
		return latency(func(st *Stats) int64 { return int64(st.AverageLatency) }), nil, nil
	case "median_latency":
		return latency(func(st *Stats) int64 { return int64(st.MedianLatency) }), nil, nil
	case "p99_latency":
		return latency(func(st *Stats) int64 { return int64(st.P99Latency) }), nil, nil
	case "min_latency":
		return latency(func(st *Stats) int64 { return int64(st.MinLatency) }), nil, nil
	case "max_latency":
		return latency(func(st *Stats) int64 { return int64(st.MaxLatency) }), nil, nil
	}
	if rest, ok := strings.CutPrefix(name, "p"); ok {
		if p, err := ParsePercentile(rest); err == nil {
			i := slices.IndexFunc(percentiles, func(q Percentile) bool { return q.String() == p.String() })
			var extra *Percentile
			if i < 0 {
				i, extra = len(percentiles), &p
			}
			return latency(func(st *Stats) int64 { return int64(st.Percentiles[i].Latency) }), extra, nil
		}
	}
	return sortField{}, nil, fmt.Errorf("%w: unknown sort field %q: want total_requests, total_successful_requests, total_failed_requests, timed_requests, uptime, average_latency, median_latency, p99_latency, min_latency, max_latency or a percentile such as p95", ErrInvalidBreakdown, name)
}

// compare orders a and b by the field, those without it last.
func (f sortField) compare(a, b *Stats, ascending bool) int {
	va, oka := f.value(a)
	vb, okb := f.value(b)
	return compareFigures(va, oka, vb, okb, ascending)
}

// compareFigures orders two figures, ascending or not, the missing ones
// (ok false) last.
func compareFigures(va int64, oka bool, vb int64, okb bool, ascending bool) int {
	switch {
	case !oka || !okb:
		return -cmp.Compare(b2i(oka), b2i(okb))
	case ascending:
		return cmp.Compare(va, vb)
	}
	return cmp.Compare(vb, va)
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// findFiltered is FindStats of the requests f.Match selects: their
// breakdown by day.
func (s *StatsService) findFiltered(ctx context.Context, customerID string, f StatsFilter) (*CustomerStats, error) {
	scan, err := s.openScan(ctx)
	if err != nil {
		return nil, fmt.Errorf("find stats: %w", err)
	}
	matches, err := parseMatches(f.Match, scan.names)
	if err != nil {
		return nil, err
	}
	parts := []keyPart{{kind: partDay, name: "day"}}
	zone, agg, err := s.aggregate(ctx, scan, customerID, f.From, f.To, parts, matches)
	if err != nil {
		return nil, fmt.Errorf("find stats: %w", err)
	}
	days := agg.results(f.Percentiles, f.Failed)
	slices.SortFunc(days, func(a, b groupResult) int { return agg.compareKeys(&a.key, &b.key) })
	objectives, _, err := s.customerObjectives(ctx, customerID)
	if err != nil {
		return nil, fmt.Errorf("find stats: %w", err)
	}
	st, union := mergeRanked(days, f.Percentiles, f.Failed)
	out := &CustomerStats{CustomerID: customerID, DayZone: zone, From: f.From, To: f.To, Failed: f.Failed,
		Stats: st, Objectives: evaluateAll(objectives, union, &st)}
	periods := periodMerger{interval: f.Interval, from: f.From, to: f.To, percentiles: f.Percentiles, failed: f.Failed}
	for i := range days {
		date := dayKey{day: codeDay(days[i].key[0])}.date()
		if f.Interval == IntervalDay {
			out.Daily = append(out.Daily, DailyStats{Date: date, Stats: days[i].stats})
		} else {
			periods.add(date, &days[i].r, days[i].ranked)
		}
	}
	periods.flush()
	out.Periods = periods.out
	return out, nil
}
