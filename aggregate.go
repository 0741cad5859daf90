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
	// dims are the names of each source's dimensions; dimOf is, for the
	// block being added, the index among its source's dimensions of each
	// part's dimension (-1: its source has none of that name, so every
	// request has the empty value).
	dims  map[int64][]string
	dimOf [maxParts]int
	// values are each string part's values, numbered in the order met.
	values [maxParts]interner
	groups []aggGroup
	index  map[groupKey]int32

	// The block being added: whether each request matches, each part's
	// translation of codes to values and number of codes, the groups by
	// combination of codes, a dictionary's matches.
	keep  []bool
	trans [maxParts][]uint32
	cards [maxParts]int
	table []int32
	hits  []bool
	route []byte // the route of a path, being made
	// scratch is memory for sorting latencies.
	scratch []int64
}

// A groupKey is a group's value of each part, in the order of the parts:
// for a string part the number of its value, for a status the code, for a
// status class its first digit, for a day its dayCode.
type groupKey [maxParts]uint32

// dayCode is a day (days since 1970-01-01) as a groupKey holds it: an
// int32's bits; codeDay reads it back.
func dayCode(day int64) uint32 { return uint32(int32(day)) }
func codeDay(v uint32) int64   { return int64(int32(v)) }

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

func newAggregator(parts []keyPart, matches []matchPart, routes *Routes, dims map[int64][]string) *aggregator {
	return &aggregator{parts: parts, matches: matches, routes: routes, dims: dims, index: make(map[groupKey]int32)}
}

// columns returns the columns of a block that a reads, besides latencies
// and statuses.
func (a *aggregator) columns() columnSet {
	var want columnSet
	add := func(kind partKind) {
		switch kind {
		case partMethod:
			want |= colMethods
		case partRoute, partPath:
			want |= colPaths
		case partDimension:
			want |= colDimensions
		}
	}
	for _, p := range a.parts {
		add(p.kind)
	}
	for _, m := range a.matches {
		add(m.kind)
	}
	return want
}

// add adds the requests of cols, all of day and of source, that match a's
// matches.
func (a *aggregator) add(day, source int64, cols *blockColumns) {
	n := cols.len()
	a.keep = resize(a.keep, n)
	for i := range a.keep {
		a.keep[i] = true
	}
	for _, m := range a.matches {
		a.match(m, source, cols)
	}
	for p, part := range a.parts {
		if part.kind == partDimension {
			a.dimOf[p] = a.dimIndex(source, part.name, cols)
		}
	}
	// Each part's value of a request is first its code in the block (its
	// index in the block's dictionary, its status), and the codes of all
	// parts make one number, the request's combination. A table by
	// combination then finds each request's group, looked up by its values
	// once per combination the block has, when the combinations are few
	// enough for a table; else each request is looked up.
	size := 1
	for p, part := range a.parts {
		a.translate(p, part.kind, day, cols) // every part: group reads them all
		if size *= a.cards[p]; size > max(4*n, 1<<12) {
			size = 0 // too many combinations for a table; and 0 stays 0
		}
	}
	if size == 0 {
		for i, keep := range a.keep {
			if keep {
				g := a.group(cols, i) // may grow a.groups
				a.groups[g].add(int(cols.statuses[i]), cols.latencies[i], &a.scratch)
			}
		}
		return
	}
	a.table = resize(a.table, size)
	for i := range a.table {
		a.table[i] = -1
	}
	for i, keep := range a.keep {
		if !keep {
			continue
		}
		c := 0
		for p, part := range a.parts {
			c = c*a.cards[p] + int(a.code(p, part.kind, cols, i))
		}
		g := a.table[c]
		if g < 0 {
			g = a.group(cols, i)
			a.table[c] = g
		}
		a.groups[g].add(int(cols.statuses[i]), cols.latencies[i], &a.scratch)
	}
}

// code returns the code in the block of request i's value of part p, of
// kind: an index into a dictionary, or what the status makes.
func (a *aggregator) code(p int, kind partKind, cols *blockColumns, i int) uint32 {
	switch kind {
	case partMethod:
		return cols.methodIdx[i]
	case partRoute, partPath:
		return cols.pathIdx[i]
	case partStatus:
		return uint32(cols.statuses[i] - 100)
	case partStatusClass:
		return uint32(cols.statuses[i]/100 - 1)
	case partDimension:
		if d := a.dimOf[p]; d >= 0 {
			return cols.dims[d].idx[i]
		}
	}
	return 0 // the day, a dimension the source lacks: one value a block
}

// dimIndex returns the index of the dimension name among those of source,
// whose block cols is, or -1 when the source does not have it.
func (a *aggregator) dimIndex(source int64, name string, cols *blockColumns) int {
	d := slices.Index(a.dims[source], name)
	if d >= len(cols.dims) {
		return -1 // a block written without it: Verify reports such a block
	}
	return d
}

// group returns the group of request i of cols, adding it if it is new.
func (a *aggregator) group(cols *blockColumns, i int) int32 {
	var k groupKey
	for p, part := range a.parts {
		k[p] = a.trans[p][a.code(p, part.kind, cols, i)]
	}
	g, ok := a.index[k]
	if !ok {
		g = int32(len(a.groups))
		a.groups = append(a.groups, aggGroup{key: k})
		a.index[k] = g
	}
	return g
}

// match clears keep for the requests of cols, of source, that m does not
// match.
func (a *aggregator) match(m matchPart, source int64, cols *blockColumns) {
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
	dim := -1
	if m.kind == partDimension {
		dim = a.dimIndex(source, m.name, cols)
	}
	dict, idx := a.dictionary(m.kind, dim, cols)
	if idx == nil { // a dimension the source lacks: every value is empty
		if m.value != "" {
			clear(a.keep)
		}
		return
	}
	a.hits = resize(a.hits, len(dict))
	for j, v := range dict {
		if m.kind == partRoute {
			a.route = a.routes.appendRoute(a.route[:0], v)
			a.hits[j] = string(a.route) == m.value
		} else {
			a.hits[j] = v == m.value
		}
	}
	for i, k := range idx {
		a.keep[i] = a.keep[i] && a.hits[k]
	}
}

// dictionary returns the dictionary of cols that kind reads (a route's,
// the paths; a dimension's, its column dim), and each request's index into
// it; nil for a dimension the block does not have (dim < 0).
func (a *aggregator) dictionary(kind partKind, dim int, cols *blockColumns) ([]string, []uint32) {
	switch kind {
	case partMethod:
		return cols.methods, cols.methodIdx
	case partDimension:
		if dim < 0 {
			return nil, nil
		}
		return cols.dims[dim].values, cols.dims[dim].idx
	}
	return cols.paths, cols.pathIdx
}

// translate makes the translation of part p's codes in cols (see code) to
// their values (see groupKey), and sets how many codes there are.
func (a *aggregator) translate(p int, kind partKind, day int64, cols *blockColumns) {
	t := a.trans[p][:0]
	switch kind {
	case partStatus, partStatusClass:
		if len(a.trans[p]) > 0 {
			return // the same for every block
		}
		first, n := 100, 500 // the codes are status-100, and status/100-1
		if kind == partStatusClass {
			first, n = 1, 5
		}
		for c := range n {
			t = append(t, uint32(first+c))
		}
	case partDay:
		t = append(t, dayCode(day))
	case partDimension:
		if a.dimOf[p] < 0 {
			t = append(t, a.values[p].number(""))
			break
		}
		fallthrough
	default:
		dict, _ := a.dictionary(kind, a.dimOf[p], cols)
		for _, v := range dict {
			if kind == partRoute {
				// Once per distinct path of the block, without an
				// allocation unless the route is new.
				a.route = a.routes.appendRoute(a.route[:0], v)
				t = append(t, a.values[p].numberBytes(a.route))
			} else {
				t = append(t, a.values[p].number(v))
			}
		}
	}
	a.trans[p], a.cards[p] = t, len(t)
}

func (g *aggGroup) add(status int, latencyUS int64, scratch *[]int64) {
	g.r.add(status, latencyUS)
	if latencyUS >= 0 {
		if g.lats = append(g.lats, latencyUS); len(g.lats) == latencyRun {
			g.flush(scratch)
		}
	}
}

// flush moves the latencies held into the distribution being merged;
// scratch is memory for sorting them.
func (g *aggGroup) flush(scratch *[]int64) {
	if len(g.lats) == 0 {
		return
	}
	*scratch = sortLatencies(g.lats, *scratch)
	g.merger.add(distribution{}.appendSorted(g.lats))
	g.lats = g.lats[:0]
}

// merge adds the groups of b, an aggregator of the same parts, to a's.
func (a *aggregator) merge(b *aggregator) {
	for i := range b.groups {
		g := &b.groups[i]
		var k groupKey
		for p, part := range a.parts {
			switch part.kind {
			case partMethod, partRoute, partPath, partDimension:
				k[p] = a.values[p].number(b.values[p].values[g.key[p]])
			default:
				k[p] = g.key[p]
			}
		}
		j, ok := a.index[k]
		if !ok {
			j = int32(len(a.groups))
			a.groups = append(a.groups, aggGroup{key: k})
			a.index[k] = j
		}
		into := &a.groups[j]
		into.r.mergeCounts(&g.r)
		g.flush(&b.scratch)
		into.merger.take(&g.merger)
	}
	b.groups = nil
}

// A groupResult is a group's key, rollup and stats.
type groupResult struct {
	key    groupKey
	r      rollup
	ranked rankedDist
	stats  Stats
}

// results returns the groups with their stats, in the order first met.
func (a *aggregator) results(percentiles []Percentile, failed FailedStatuses) []groupResult {
	out := make([]groupResult, len(a.groups))
	for i := range a.groups {
		g := &a.groups[i]
		g.flush(&a.scratch)
		o := &out[i]
		o.key, o.r = g.key, g.r
		o.ranked = g.merger.result().intoRanked()
		o.stats = o.r.stats(o.ranked, percentiles, failed)
	}
	a.groups = nil
	return out
}

// mergeResults returns the stats of groups taken together.
func mergeResults(groups []groupResult, percentiles []Percentile, failed FailedStatuses) Stats {
	st, _ := mergeRanked(groups, percentiles, failed)
	return st
}

// mergeRanked is mergeResults, which also returns the groups' latencies
// together.
func mergeRanked(groups []groupResult, percentiles []Percentile, failed FailedStatuses) (Stats, ranked) {
	var total rollup
	union := rankedUnion{parts: make([]rankedDist, 0, len(groups))}
	for i := range groups {
		total.mergeCounts(&groups[i].r)
		if len(groups[i].ranked.values) > 0 {
			union.include(groups[i].ranked)
		}
	}
	return total.stats(union, percentiles, failed), union
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
			c = cmp.Compare(codeDay(x[p]), codeDay(y[p]))
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
			out[p] = dayKey{day: codeDay(k[p])}.date().String()
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
	return in.add(strings.Clone(s))
}

// numberBytes is number of string(b), which it copies only when new.
func (in *interner) numberBytes(b []byte) uint32 {
	if n, ok := in.numbers[string(b)]; ok {
		return n
	}
	return in.add(string(b))
}

func (in *interner) add(s string) uint32 {
	if in.numbers == nil {
		in.numbers = make(map[string]uint32)
	}
	n := uint32(len(in.values))
	in.numbers[s] = n
	in.values = append(in.values, s)
	return n
}
