package httpapi

import (
	"context"
	"net/http"
	"strconv"

	"github.com/logstats/logstats"
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
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
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
