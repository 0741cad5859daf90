package httpapi

import (
	"context"
	"database/sql"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/logstats/logstats"
)

func handleHealth() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		encode(w, http.StatusOK, map[string]string{"status": "ok"})
	})
}

func (s *server) handleReady() http.Handler {
	type response struct {
		Status string `json:"status"`
		Error  string `json:"error,omitempty"`
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := pingDB(ctx, s.db); err != nil {
			s.logger.Warn("not ready", "err", err)
			encode(w, http.StatusServiceUnavailable, response{Status: "unavailable", Error: "the database does not answer a ping"})
			return
		}
		encode(w, http.StatusOK, response{Status: "ok"})
	})
}

func pingDB(ctx context.Context, db *sql.DB) error {
	if db == nil {
		return nil
	}
	return db.PingContext(ctx)
}

// maxPercentiles bounds the percentiles one request may ask for.
const maxPercentiles = 20

func (s *server) handleStats() http.Handler {
	type response struct {
		CustomerID string    `json:"customer_id"`
		FromDate   string    `json:"from_date"`
		ToDate     *string   `json:"to_date"`
		Stats      statsJSON `json:"stats"`
		Daily      []dayJSON `json:"daily"`
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		if err := logstats.ValidCustomerID(id); err != nil {
			s.handleError(w, r, clientError(http.StatusBadRequest, err.Error()))
			return
		}
		filter, err := parseStatsQuery(r)
		if err != nil {
			s.handleError(w, r, err)
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), s.opts.QueryTimeout)
		defer cancel()
		st, err := s.stats.FindStats(ctx, id, filter)
		if err != nil {
			s.handleError(w, r, err)
			return
		}
		resp := response{
			CustomerID: st.CustomerID,
			FromDate:   filter.From.String(),
			Stats:      newStatsJSON(st.Stats, filter.Percentiles),
			Daily:      make([]dayJSON, 0, len(st.Daily)),
		}
		if filter.To != nil {
			to := filter.To.String()
			resp.ToDate = &to
		}
		for _, d := range st.Daily {
			resp.Daily = append(resp.Daily, dayJSON{Date: d.Date.String(), statsJSON: newStatsJSON(d.Stats, filter.Percentiles)})
		}
		encode(w, http.StatusOK, resp)
	})
}

// parseStatsQuery reads from (required), to and percentiles.
func parseStatsQuery(r *http.Request) (logstats.StatsFilter, error) {
	var f logstats.StatsFilter
	q := r.URL.Query()
	from := q.Get("from")
	if from == "" {
		return f, clientError(http.StatusBadRequest, "from is required: ?from=YYYY-MM-DD")
	}
	d, err := logstats.ParseDate(from)
	if err != nil {
		return f, clientError(http.StatusBadRequest, "from: "+err.Error())
	}
	f.From = d
	if to := q.Get("to"); to != "" {
		d, err := logstats.ParseDate(to)
		if err != nil {
			return f, clientError(http.StatusBadRequest, "to: "+err.Error())
		}
		if d.Before(f.From) {
			return f, clientError(http.StatusBadRequest, "to ("+d.String()+") is before from ("+f.From.String()+")")
		}
		f.To = &d
	}
	if ps := q.Get("percentiles"); ps != "" {
		seen := map[string]bool{}
		for _, p := range strings.Split(ps, ",") {
			pc, err := logstats.ParsePercentile(strings.TrimSpace(p))
			if err != nil {
				return f, clientError(http.StatusBadRequest, "percentiles: "+err.Error())
			}
			if !seen[pc.String()] {
				seen[pc.String()] = true
				f.Percentiles = append(f.Percentiles, pc)
			}
		}
		if len(f.Percentiles) > maxPercentiles {
			return f, clientError(http.StatusBadRequest, "percentiles: at most "+strconv.Itoa(maxPercentiles)+" at a time")
		}
	}
	return f, nil
}

// statsJSON is the JSON form of logstats.Stats: the seed's fields, plus more.
// Latencies are in seconds; uptime and latencies are null without requests.
type statsJSON struct {
	TotalRequests           int64            `json:"total_requests"`
	TotalSuccessfulRequests int64            `json:"total_successful_requests"`
	TotalFailedRequests     int64            `json:"total_failed_requests"`
	Uptime                  *float64         `json:"uptime"`
	AverageLatency          *float64         `json:"average_latency"`
	MedianLatency           *float64         `json:"median_latency"`
	P99Latency              *float64         `json:"p99_latency"`
	MinLatency              *float64         `json:"min_latency"`
	MaxLatency              *float64         `json:"max_latency"`
	RequestsByStatusClass   map[string]int64 `json:"requests_by_status_class"`
	LatencyPercentiles      *percentilesJSON `json:"latency_percentiles,omitempty"`
}

type dayJSON struct {
	Date string `json:"date"`
	statsJSON
}

func newStatsJSON(st logstats.Stats, percentiles []logstats.Percentile) statsJSON {
	out := statsJSON{
		TotalRequests:           st.TotalRequests,
		TotalSuccessfulRequests: st.SuccessfulRequests,
		TotalFailedRequests:     st.FailedRequests,
		RequestsByStatusClass:   map[string]int64{},
	}
	for i, n := range st.RequestsByStatusClass {
		if n > 0 {
			out.RequestsByStatusClass[strconv.Itoa(i+1)+"xx"] = n
		}
	}
	if len(percentiles) > 0 {
		out.LatencyPercentiles = &percentilesJSON{names: percentiles, values: st.Percentiles}
	}
	if st.TotalRequests == 0 {
		return out
	}
	out.Uptime = &st.Uptime
	out.AverageLatency = seconds(st.AverageLatency)
	out.MedianLatency = seconds(st.MedianLatency)
	out.P99Latency = seconds(st.P99Latency)
	out.MinLatency = seconds(st.MinLatency)
	out.MaxLatency = seconds(st.MaxLatency)
	return out
}

// seconds converts a whole number of microseconds to seconds. The division
// of two exactly representable numbers is correctly rounded, so the JSON
// shows the exact decimal (0.115, not 0.11499999).
func seconds(d time.Duration) *float64 {
	v := float64(d.Microseconds()) / 1e6
	return &v
}

// percentilesJSON is {"p50": 0.1, "p99.9": 0.8}, in the order asked; the
// values are null when there were no requests.
type percentilesJSON struct {
	names  []logstats.Percentile
	values []logstats.PercentileLatency // empty without requests
}

func (p *percentilesJSON) MarshalJSON() ([]byte, error) {
	b := []byte{'{'}
	for i, name := range p.names {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendQuote(b, "p"+name.String())
		b = append(b, ':')
		if i >= len(p.values) {
			b = append(b, "null"...)
			continue
		}
		vb, err := json.Marshal(seconds(p.values[i].Latency))
		if err != nil {
			return nil, err
		}
		b = append(b, vb...)
	}
	return append(b, '}'), nil
}
