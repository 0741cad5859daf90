package httpapi

import (
	"context"
	"errors"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/logstats/logstats"
	"github.com/logstats/logstats/internal/statsjson"
)

// Breakdowns is what GET /customers/{id}/breakdown uses;
// *logstats.StatsService is one.
type Breakdowns interface {
	Breakdown(ctx context.Context, customerID string, f logstats.BreakdownFilter) (*logstats.Breakdown, error)
}

// matchKeys are the query parameters that narrow a breakdown or the stats
// to some requests (SPEC §14), in the order they are read.
var matchKeys = []string{"endpoint", "method", "route", "path", "status", "status_class"}

// The other parameters of the stats and breakdown routes.
var (
	statsParams     = []string{"from", "to", "percentiles", "failed", "interval", "compare"}
	breakdownParams = []string{"from", "to", "percentiles", "failed", "by", "sort", "order", "limit"}
)

// parseMatches reads the filters of q: every parameter that is not one of
// params, each at most once, those of matchKeys first. The service refuses
// a key that is neither built in nor a dimension it has (unknownParameter
// then names the route's parameters), so that a filter misspelt, or not
// known to this server, never answers as if it had filtered. An empty
// value is a value (the requests without one).
func parseMatches(q url.Values, params ...string) ([]logstats.Match, error) {
	keys := slices.Clone(matchKeys)
	for _, k := range slices.Sorted(maps.Keys(q)) { // in order, whatever the map's
		if !slices.Contains(matchKeys, k) && !slices.Contains(params, k) {
			keys = append(keys, k)
		}
	}
	var out []logstats.Match
	for _, k := range keys {
		vs, ok := q[k]
		if !ok {
			continue
		}
		if len(vs) > 1 {
			return nil, invalid(sanitize(k) + " is given " + strconv.Itoa(len(vs)) + " times; each filter at most once")
		}
		out = append(out, logstats.Match{Key: k, Value: vs[0]})
	}
	return out, nil
}

// unknownParameter returns err, or, when it is an unknown key that came
// as a filter parameter of q (not in by), an answer that says so with the
// parameters the route takes, params among them.
func unknownParameter(err error, q url.Values, params []string) error {
	var uk *logstats.UnknownKeyError
	if !errors.As(err, &uk) || !q.Has(uk.Key) {
		return err
	}
	return invalid("unknown parameter " + strconv.Quote(sanitize(uk.Key)) + ": this route takes " + strings.Join(params, ", ") +
		" and the filters " + strings.Join(matchKeys, ", ") + dimensionsNote(uk.Dimensions))
}

// dimensionsNote names the dimensions there are, for a message.
func dimensionsNote(dims []string) string {
	if len(dims) == 0 {
		return " (no dimension is loaded)"
	}
	return ", and the dimensions " + strings.Join(dims, ", ")
}

// parseBreakdownQuery reads by (required), from (required), to, sort,
// order, limit, percentiles and the filters.
func parseBreakdownQuery(r *http.Request) (logstats.BreakdownFilter, error) {
	var f logstats.BreakdownFilter
	st, err := parseQuery(r, breakdownParams)
	if err != nil {
		return f, err
	}
	f.From, f.To, f.Percentiles, f.Match, f.Failed = st.From, st.To, st.Percentiles, st.Match, st.Failed
	q := r.URL.Query()
	for _, k := range []string{"by", "sort", "order", "limit"} {
		if n := len(q[k]); n > 1 {
			return f, invalid(k + " is given " + strconv.Itoa(n) + " times; give it once")
		}
	}
	by := q.Get("by")
	if by == "" {
		return f, invalid("by is required: ?by=endpoint (or method, route, path, status, status_class, a dimension's name, several separated by commas)")
	}
	for _, k := range strings.Split(by, ",") {
		f.By = append(f.By, strings.TrimSpace(k))
	}
	f.Sort = q.Get("sort")
	if f.Ascending, err = parseOrder(q); err != nil {
		return f, err
	}
	f.Limit, err = parseCount(q, "limit", 1, logstats.MaxBreakdownLimit)
	return f, err
}

func (s *server) handleBreakdown() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.breakdowns == nil {
			s.handleError(w, r, httpError(http.StatusServiceUnavailable, "breakdowns are not served by this server"))
			return
		}
		id := r.PathValue("id")
		if err := logstats.ValidCustomerID(id); err != nil {
			s.handleError(w, r, invalid(err.Error()))
			return
		}
		f, err := parseBreakdownQuery(r)
		if err != nil {
			s.handleError(w, r, err)
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), s.opts.QueryTimeout)
		defer cancel()
		b, err := s.breakdowns.Breakdown(ctx, id, f)
		if err != nil {
			s.handleError(w, r, unknownParameter(err, r.URL.Query(), breakdownParams))
			return
		}
		writeJSON(w, http.StatusOK, statsjson.AppendBreakdown(nil, b, f.Percentiles))
	})
}
