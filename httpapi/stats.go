package httpapi

import (
	"context"
	"fmt"
	"hash/fnv"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/logstats/logstats"
	"github.com/logstats/logstats/follow"
	"github.com/logstats/logstats/internal/statsjson"
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
		// Watched lists the followed files, when the server follows logs,
		// and WatchTotals adds them up; Warning says when bytes of them
		// were refused or lost (the server is still ready).
		Watched     []follow.FileStatus `json:"watched,omitempty"`
		WatchTotals *follow.Totals      `json:"watch_totals,omitempty"`
		Warning     string              `json:"warning,omitempty"`
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		status, res := http.StatusOK, response{Status: "ok"}
		if err := pingDB(ctx, s.db); err != nil {
			s.logger.Warn("not ready", "err", err)
			status, res = http.StatusServiceUnavailable, response{Status: "unavailable", Error: "the database does not answer a ping"}
		} else if s.watcher != nil {
			files, totals := s.watcher.Status()
			res.Watched, res.WatchTotals = files, &totals
			if totals.RefusedBytes > 0 || totals.LostBytes > 0 {
				res.Warning = fmt.Sprintf("%d bytes of the watched logs were refused (%d files refused now: see watched[].error) and %d lost to rotations; they are not in the stats",
					totals.RefusedBytes, totals.RefusedFiles, totals.LostBytes)
			}
			if totals.Rounds == 0 {
				// The first round loads what the files hold already.
				status, res.Status, res.Error = http.StatusServiceUnavailable, "starting", "loading the watched logs for the first time"
			}
		}
		// With auth on, only the admin sees more than ok or unavailable:
		// the watched files' paths are the server's business.
		if s.authOn() && !s.isAdmin(r) {
			res = response{Status: "ok"}
			if status != http.StatusOK {
				res.Status = "unavailable"
			}
		}
		encode(w, status, res)
	})
}

func pingDB(ctx context.Context, db Pinger) error {
	if db == nil {
		return nil
	}
	return db.PingContext(ctx)
}

// maxPooledResponse is the largest buffer kept for reuse.
const maxPooledResponse = 256 << 10

// maxPercentiles bounds the percentiles one request may ask for.
const maxPercentiles = 20

func (s *server) handleStats() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		if err := logstats.ValidCustomerID(id); err != nil {
			s.handleError(w, r, invalid(err.Error()))
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
			s.handleError(w, r, unknownParameter(err, r.URL.Query(), statsParams))
			return
		}
		buf, _ := s.buffers.Get().(*[]byte)
		if buf == nil {
			buf = new([]byte)
		}
		*buf = statsjson.AppendStats((*buf)[:0], st, filter)
		// An ETag of the answer lets a client (the dashboard, refreshing a
		// range that includes today) ask again for little: 304 until a
		// load changes the numbers.
		etag := bodyETag(*buf)
		w.Header().Set("ETag", etag)
		w.Header().Set("Cache-Control", "no-cache")
		if etagMatches(r.Header.Get("If-None-Match"), etag) {
			w.WriteHeader(http.StatusNotModified)
		} else {
			writeJSON(w, http.StatusOK, *buf)
		}
		if cap(*buf) <= maxPooledResponse {
			s.buffers.Put(buf)
		}
	})
}

// parseStatsQuery reads from (required), to, percentiles and the filters.
func parseStatsQuery(r *http.Request) (logstats.StatsFilter, error) {
	f, err := parseQuery(r, statsParams)
	if err != nil {
		return f, err
	}
	q := r.URL.Query()
	if n := len(q["interval"]); n > 1 {
		return f, invalid("interval is given " + strconv.Itoa(n) + " times; give it once")
	}
	if v := q.Get("interval"); v != "" {
		if f.Interval, err = logstats.ParseInterval(v); err != nil {
			return f, invalid("interval: " + err.Error())
		}
	}
	switch c := q.Get("compare"); {
	case len(q["compare"]) > 1:
		return f, invalid("compare is given " + strconv.Itoa(len(q["compare"])) + " times; give it once")
	case c == "previous":
		if f.To == nil {
			return f, invalid("compare=previous needs to: the previous range has as many days as from to to")
		}
		f.ComparePrevious = true
	case q.Has("compare"):
		return f, invalid("compare: " + strconv.Quote(sanitize(c)) + " is not a comparison; want previous")
	}
	return f, nil
}

// parseQuery is parseStatsQuery of a route whose parameters, besides the
// filters, are params.
func parseQuery(r *http.Request, params []string) (logstats.StatsFilter, error) {
	q := r.URL.Query()
	f, err := parseRange(q)
	if err != nil {
		return f, err
	}
	f.Match, err = parseMatches(q, params...)
	return f, err
}

// parseRange reads what every stats query takes: from (required), to,
// percentiles and failed.
func parseRange(q url.Values) (logstats.StatsFilter, error) {
	var f logstats.StatsFilter
	var err error
	if f.From, f.To, err = parseDays(q); err != nil {
		return f, err
	}
	if f.Percentiles, err = parsePercentiles(q); err != nil {
		return f, err
	}
	f.Failed, err = parseFailed(q)
	return f, err
}

// parsePercentiles reads percentiles, each once, at most maxPercentiles.
func parsePercentiles(q url.Values) ([]logstats.Percentile, error) {
	ps := q.Get("percentiles")
	if ps == "" {
		return nil, nil
	}
	var out []logstats.Percentile
	seen := map[string]bool{}
	for _, p := range strings.Split(ps, ",") {
		pc, err := logstats.ParsePercentile(strings.TrimSpace(p))
		if err != nil {
			return nil, invalid("percentiles: " + err.Error())
		}
		if !seen[pc.String()] {
			seen[pc.String()] = true
			out = append(out, pc)
		}
	}
	if len(out) > maxPercentiles {
		return nil, invalid("percentiles: at most " + strconv.Itoa(maxPercentiles) + " at a time")
	}
	return out, nil
}

// parseFailed reads failed, the classes counted as failed (zero: the
// server's).
func parseFailed(q url.Values) (logstats.FailedStatuses, error) {
	switch n := len(q["failed"]); {
	case n == 0:
		return 0, nil
	case n > 1:
		return 0, invalid("failed is given " + strconv.Itoa(n) + " times; give it once")
	}
	f, err := logstats.ParseFailedStatuses(q.Get("failed"))
	if err != nil {
		return 0, invalid("failed: " + err.Error())
	}
	return f, nil
}

// parseDays reads the days of a customer's route: from (required) and to
// (optional, not before from).
func parseDays(q url.Values) (from logstats.Date, to *logstats.Date, err error) {
	s := q.Get("from")
	if s == "" {
		return from, nil, invalid("from is required: ?from=YYYY-MM-DD")
	}
	if from, err = logstats.ParseDate(s); err != nil {
		return from, nil, invalid("from: " + err.Error())
	}
	if s := q.Get("to"); s != "" {
		d, err := logstats.ParseDate(s)
		if err != nil {
			return from, nil, invalid("to: " + err.Error())
		}
		if d.Before(from) {
			return from, nil, invalid("to (" + d.String() + ") is before from (" + from.String() + ")")
		}
		to = &d
	}
	return from, to, nil
}

// bodyETag is a strong ETag of a response body.
func bodyETag(body []byte) string {
	h := fnv.New64a()
	h.Write(body)
	return `"` + strconv.FormatUint(h.Sum64(), 36) + `"`
}

// etagMatches reports whether an If-None-Match header names etag (or is *).
func etagMatches(header, etag string) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimSpace(t)
		if t == "*" || strings.TrimPrefix(t, "W/") == etag {
			return true
		}
	}
	return false
}
