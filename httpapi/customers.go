package httpapi

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/logstats/logstats"
	"github.com/logstats/logstats/internal/statsjson"
)

// Limits of GET /customers/.
const (
	defaultCustomerLimit = 1000
	maxCustomerLimit     = 10000
)

func (s *server) handleCustomers() http.Handler {
	type customer struct {
		CustomerID    string `json:"customer_id"`
		TotalRequests int64  `json:"total_requests"`
		FirstDay      string `json:"first_day"`
		LastDay       string `json:"last_day"`
	}
	type response struct {
		Customers []customer `json:"customers"`
		// NextAfter, when set, is the ?after= value of the next page.
		NextAfter *string `json:"next_after"`
	}
	fleet := s.handleFleet()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if q.Has("from") {
			fleet.ServeHTTP(w, r)
			return
		}
		for _, k := range fleetParams {
			if q.Has(k) && k != "limit" {
				s.handleError(w, r, invalid(k+" goes with from: GET /customers/?from=YYYY-MM-DD lists each customer with its stats of the range"))
				return
			}
		}
		filter := logstats.CustomerFilter{Limit: defaultCustomerLimit}
		if v := q.Get("limit"); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > maxCustomerLimit {
				s.handleError(w, r, invalid("limit must be a whole number from 1 to "+strconv.Itoa(maxCustomerLimit)))
				return
			}
			filter.Limit = n
		}
		if q.Has("after") {
			after := q.Get("after")
			filter.After = &after
		}
		if c := callerOf(r); c.role == roleCustomer {
			filter.ID = &c.customer // a key lists its own customer alone
		}
		ctx, cancel := context.WithTimeout(r.Context(), s.opts.QueryTimeout)
		defer cancel()
		list, err := s.stats.FindCustomers(ctx, filter)
		if err != nil {
			s.handleError(w, r, err)
			return
		}
		resp := response{Customers: make([]customer, 0, len(list))}
		for _, c := range list {
			resp.Customers = append(resp.Customers, customer{c.ID, c.TotalRequests, c.FirstDay.String(), c.LastDay.String()})
		}
		if len(list) == filter.Limit {
			resp.NextAfter = &list[len(list)-1].ID
		}
		encode(w, http.StatusOK, resp)
	})
}

// fleetParams are the parameters of GET /customers/?from= (SPEC §15).
var fleetParams = []string{"from", "to", "percentiles", "failed", "sort", "order", "limit", "offset", "slo"}

// maxFleetOffset bounds offset, far above any number of customers.
const maxFleetOffset = 1 << 30

// handleFleet answers GET /customers/?from=: each customer with requests
// in the range, with its stats, sorted and paged.
func (s *server) handleFleet() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f, err := parseFleetQuery(r.URL.Query())
		if err != nil {
			s.handleError(w, r, err)
			return
		}
		if c := callerOf(r); c.role == roleCustomer {
			f.Customer = &c.customer // a key sees its own customer alone
		}
		ctx, cancel := context.WithTimeout(r.Context(), s.opts.QueryTimeout)
		defer cancel()
		fl, err := s.stats.Fleet(ctx, f)
		if err != nil {
			s.handleError(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, statsjson.AppendFleet(nil, fl, f.Percentiles))
	})
}

// parseFleetQuery reads the parameters of the fleet, each at most once,
// and refuses any other.
func parseFleetQuery(q url.Values) (logstats.FleetFilter, error) {
	var f logstats.FleetFilter
	for k, vs := range q {
		switch {
		case !slices.Contains(fleetParams, k):
			return f, invalid("unknown parameter " + strconv.Quote(sanitize(k)) + ": with from, this route takes " + strings.Join(fleetParams, ", "))
		case len(vs) > 1:
			return f, invalid(k + " is given " + strconv.Itoa(len(vs)) + " times; give it once")
		}
	}
	st, err := parseRange(q)
	if err != nil {
		return f, err
	}
	f.From, f.To, f.Percentiles, f.Failed = st.From, st.To, st.Percentiles, st.Failed
	f.Sort = q.Get("sort")
	if f.Ascending, err = parseOrder(q); err != nil {
		return f, err
	}
	if f.Limit, err = parseCount(q, "limit", 1, logstats.MaxFleetLimit); err != nil {
		return f, err
	}
	if f.Offset, err = parseCount(q, "offset", 0, maxFleetOffset); err != nil {
		return f, err
	}
	switch v := q.Get("slo"); v {
	case "":
	case "breached":
		f.Breached = true
	default:
		return f, invalid("slo: " + strconv.Quote(sanitize(v)) + " is not a filter of objectives; want breached")
	}
	return f, nil
}

// parseOrder reads order: desc (the default) or asc, which it reports.
func parseOrder(q url.Values) (ascending bool, err error) {
	switch o := q.Get("order"); o {
	case "", "desc":
		return false, nil
	case "asc":
		return true, nil
	default:
		return false, invalid("order: " + strconv.Quote(sanitize(o)) + " is neither asc nor desc")
	}
}

// parseCount reads the whole number of parameter k, from lo to hi; 0 when
// it is absent.
func parseCount(q url.Values, k string, lo, hi int) (int, error) {
	v := q.Get(k)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		return 0, invalid(k + ": " + strconv.Quote(sanitize(v)) + " is not a number from " + strconv.Itoa(lo) + " to " + strconv.Itoa(hi))
	}
	return n, nil
}
