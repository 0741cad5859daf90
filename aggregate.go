package logstats

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
)

// An aggregator groups raw requests, a block's columns at a time, by the
// values of some keys, keeping each group's exact rollup. It works on the
// blocks' dictionaries: a block's methods, paths or routes are looked up
// once per distinct value, then each request is a few array reads, and a
// group's key is the numbers of its values, not strings.
type aggregator struct {
	parts   []keyPart
	matches []matchPart
	routes  *Routes
	// values are each string part's values, numbered in the order met.
	values [maxParts]interner
	// routeOf caches the route of each path met.
	routeOf map[string]string
	groups  []aggGroup
	index   map[groupKey]int32

	// The block being added: each request's key, whether it matches, and a
	// dictionary's translation to values' numbers or matches.
	keys  []groupKey
	keep  []bool
	trans []uint32
	hits  []bool
}

// A groupKey is a group's value of each part, in the order of the parts:
// for a string part the number of its value, for a status the code, for a
// status class its first digit, for a day its number (days since
// 1970-01-01, as an int32's bits).
type groupKey [maxParts]uint32

// An aggGroup is a group being aggregated: its requests' counts and the
// latencies not yet in its distribution.
type aggGroup struct {
	key    groupKey
	r      rollup
	lats   []int64
	merger distMerger
}

// latencyRun is how many latencies a group holds before it sorts them into
// a distribution: a group's memory grows with its distinct latencies.
const latencyRun = 1 << 16

func newAggregator(parts []keyPart, matches []matchPart, routes *Routes) *aggregator {
	return &aggregator{parts: parts, matches: matches, routes: routes, routeOf: make(map[string]string), index: make(map[groupKey]int32)}
}

// add adds the requests of cols, all of day, that match a's matches.
func (a *aggregator) add(day int64, cols *blockColumns) {
	n := cols.len()
	a.keep = resize(a.keep, n)
	for i := range a.keep {
		a.keep[i] = true
	}
	for _, m := range a.matches {
		a.match(m, cols)
	}
	a.keys = resize(a.keys, n)
	for p, part := range a.parts {
		a.keyColumn(p, part.kind, day, cols)
	}
	for i, keep := range a.keep {
		if !keep {
			continue
		}
		g, ok := a.index[a.keys[i]]
		if !ok {
			g = int32(len(a.groups))
			a.groups = append(a.groups, aggGroup{key: a.keys[i]})
			a.index[a.keys[i]] = g
		}
		a.groups[g].add(int(cols.statuses[i]), cols.latencies[i])
	}
}

// match clears keep for the requests of cols that m does not match.
func (a *aggregator) match(m matchPart, cols *blockColumns) {
	switch m.kind {
	case partStatus:
		for i, s := range cols.statuses {
			a.keep[i] = a.keep[i] && s == m.status
		}
		return
	case partStatusClass:
		for i, s := range cols.statuses {
			a.keep[i] = a.keep[i] && s/100 == m.status
		}
		return
	}
	dict, idx := a.dictionary(m.kind, cols)
	a.hits = resize(a.hits, len(dict))
	for j, v := range dict {
		if m.kind == partRoute {
			v = a.route(v)
		}
		a.hits[j] = v == m.value
	}
	for i, k := range idx {
		a.keep[i] = a.keep[i] && a.hits[k]
	}
}

// dictionary returns the dictionary of cols that kind reads (a route's,
// the paths), and each request's index into it.
func (a *aggregator) dictionary(kind partKind, cols *blockColumns) ([]string, []uint32) {
	if kind == partMethod {
		return cols.methods, cols.methodIdx
	}
	return cols.paths, cols.pathIdx
}

// route returns the route of path, computed once per distinct path.
func (a *aggregator) route(path string) string {
	r, ok := a.routeOf[path]
	if !ok {
		r = a.routes.Route(path)
		a.routeOf[strings.Clone(path)] = r
	}
	return r
}

// keyColumn sets part p of each request's key.
func (a *aggregator) keyColumn(p int, kind partKind, day int64, cols *blockColumns) {
	switch kind {
	case partStatus:
		for i, s := range cols.statuses {
			a.keys[i][p] = uint32(s)
		}
		return
	case partStatusClass:
		for i, s := range cols.statuses {
			a.keys[i][p] = uint32(s / 100)
		}
		return
	case partDay:
		for i := range a.keys {
			a.keys[i][p] = uint32(int32(day))
		}
		return
	}
	dict, idx := a.dictionary(kind, cols)
	a.trans = resize(a.trans, len(dict))
	for j, v := range dict {
		if kind == partRoute {
			v = a.route(v)
		}
		a.trans[j] = a.values[p].number(v)
	}
	for i, k := range idx {
		a.keys[i][p] = a.trans[k]
	}
}

func (g *aggGroup) add(status int, latencyUS int64) {
	g.r.add(status, latencyUS)
	if latencyUS >= 0 {
		if g.lats = append(g.lats, latencyUS); len(g.lats) == latencyRun {
			g.flush()
		}
	}
}

// flush moves the latencies held into the distribution being merged.
func (g *aggGroup) flush() {
	if len(g.lats) == 0 {
		return
	}
	slices.Sort(g.lats)
	var d distribution
	for i, v := range g.lats {
		if i > 0 && v == g.lats[i-1] {
			d.counts[len(d.counts)-1]++
			continue
		}
		d.values, d.counts = append(d.values, v), append(d.counts, 1)
	}
	g.merger.add(d)
	g.lats = g.lats[:0]
}

// A groupResult is a group's key, rollup and stats.
type groupResult struct {
	key    groupKey
	r      rollup
	ranked rankedDist
	stats  Stats
}

// results returns the groups with their stats, in the order first met.
func (a *aggregator) results(percentiles []Percentile) []groupResult {
	out := make([]groupResult, len(a.groups))
	for i := range a.groups {
		g := &a.groups[i]
		g.flush()
		o := &out[i]
		o.key, o.r = g.key, g.r
		o.ranked = g.merger.result().intoRanked()
		o.stats = o.r.stats(o.ranked, percentiles)
	}
	a.groups = nil
	return out
}

// mergeResults returns the stats of groups taken together.
func mergeResults(groups []groupResult, percentiles []Percentile) Stats {
	var total rollup
	union := rankedUnion{parts: make([]rankedDist, 0, len(groups))}
	for i := range groups {
		total.mergeCounts(&groups[i].r)
		if len(groups[i].ranked.values) > 0 {
			union.include(groups[i].ranked)
		}
	}
	return total.stats(union, percentiles)
}

// compareKeys orders keys by their values, part by part: strings as
// bytes, the other parts as numbers.
func (a *aggregator) compareKeys(x, y *groupKey) int {
	for p, part := range a.parts {
		var c int
		switch part.kind {
		case partStatus, partStatusClass:
			c = cmp.Compare(x[p], y[p])
		case partDay:
			c = cmp.Compare(int32(x[p]), int32(y[p]))
		default:
			c = strings.Compare(a.values[p].values[x[p]], a.values[p].values[y[p]])
		}
		if c != 0 {
			return c
		}
	}
	return 0
}

// keyValues returns the values of a key, as BreakdownGroup.Key has them.
func (a *aggregator) keyValues(k *groupKey) []string {
	out := make([]string, len(a.parts))
	for p, part := range a.parts {
		switch part.kind {
		case partStatus:
			out[p] = strconv.Itoa(int(k[p]))
		case partStatusClass:
			out[p] = strconv.Itoa(int(k[p])) + "xx"
		case partDay:
			out[p] = dayKey{day: int64(int32(k[p]))}.date().String()
		default:
			out[p] = a.values[p].values[k[p]]
		}
	}
	return out
}

// An interner numbers distinct strings in the order met.
type interner struct {
	numbers map[string]uint32
	values  []string
}

// number returns the number of s, giving it the next one if it is new (s
// is then copied: it may point into a block's memory).
func (in *interner) number(s string) uint32 {
	if n, ok := in.numbers[s]; ok {
		return n
	}
	if in.numbers == nil {
		in.numbers = make(map[string]uint32)
	}
	s = strings.Clone(s)
	n := uint32(len(in.values))
	in.numbers[s] = n
	in.values = append(in.values, s)
	return n
}
