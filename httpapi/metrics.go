package httpapi

import (
	"database/sql"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/logstats/logstats"
)

// Metrics are the Prometheus metrics that the handler serves at GET /metrics,
// in a registry of their own (never the global one):
//
//   - logstats_http_requests_total{route,method,code}: requests answered;
//   - logstats_http_request_duration_seconds{route,method,code}: their
//     latency, a histogram. route is the route's pattern, such as
//     /customers/{id}/stats, or "unmatched";
//   - logstats_load_lines_total{result}: lines read by loads, by result:
//     inserted, malformed, already_loaded or blank;
//   - logstats_loads_total{outcome}: loads, by outcome: ok or error;
//   - logstats_load_duration_seconds: how long loads took, a histogram;
//   - logstats_upload_spool_bytes: what the uploads being loaded keep on
//     disk now;
//   - logstats_auth_failures_total: requests refused for wrong credentials;
//   - go_sql_*{db_name="logstats"}: the database/sql pool's statistics
//     (open, in use and idle connections, waits);
//   - go_* and process_*: the Go runtime's and the process's.
//
// Use one Metrics per handler; an application can register its own
// collectors in Registry to serve them at the same /metrics.
type Metrics struct {
	registry     *prometheus.Registry
	requests     *prometheus.CounterVec
	duration     *prometheus.HistogramVec
	loadLines    *prometheus.CounterVec
	loads        *prometheus.CounterVec
	loadDuration prometheus.Histogram
	spoolBytes   prometheus.Gauge
	authFailures prometheus.Counter
}

// NewMetrics returns the metrics of a handler over db (nil: no pool
// statistics).
func NewMetrics(db *sql.DB) *Metrics {
	m := &Metrics{
		registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "logstats_http_requests_total",
			Help: "HTTP requests answered, by route, method and status code.",
		}, []string{"route", "method", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "logstats_http_request_duration_seconds",
			Help:    "Time to answer HTTP requests, by route, method and status code.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 10, 60},
		}, []string{"route", "method", "code"}),
		loadLines: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "logstats_load_lines_total",
			Help: "Log lines read by loads, by result: inserted, malformed, already_loaded or blank.",
		}, []string{"result"}),
		loads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "logstats_loads_total",
			Help: "Loads, by outcome: ok or error.",
		}, []string{"outcome"}),
		loadDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "logstats_load_duration_seconds",
			Help:    "Time loads took, failed ones included.",
			Buckets: prometheus.ExponentialBuckets(0.01, 4, 10), // 10 ms to about 44 min
		}),
	}
	m.spoolBytes = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "logstats_upload_spool_bytes",
		Help: "Bytes the uploads being loaded keep on disk now (unlinked temporary files, which du does not see).",
	})
	m.authFailures = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "logstats_auth_failures_total",
		Help: "Requests refused for wrong, unknown or revoked credentials.",
	})
	m.registry.MustRegister(m.requests, m.duration, m.loadLines, m.loads, m.loadDuration, m.spoolBytes, m.authFailures,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if db != nil {
		m.registry.MustRegister(collectors.NewDBStatsCollector(db, "logstats"))
	}
	for _, result := range []string{"inserted", "malformed", "already_loaded", "blank"} {
		m.loadLines.WithLabelValues(result) // present at 0 before the first load
	}
	for _, outcome := range []string{"ok", "error"} {
		m.loads.WithLabelValues(outcome)
	}
	return m
}

// Registry is the registry /metrics serves.
func (m *Metrics) Registry() *prometheus.Registry { return m.registry }

// CountAlerts exports the counts of an alert deliverer (package alert):
// logstats_alert_events_total{outcome="queued|delivered|dropped"} and
// logstats_alert_delivery_failures_total (each failed try).
func (m *Metrics) CountAlerts(counts func() (queued, delivered, failed, dropped int64)) {
	for _, c := range []struct {
		outcome string
		value   func() float64
	}{
		{"queued", func() float64 { q, _, _, _ := counts(); return float64(q) }},
		{"delivered", func() float64 { _, d, _, _ := counts(); return float64(d) }},
		{"dropped", func() float64 { _, _, _, x := counts(); return float64(x) }},
	} {
		m.registry.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "logstats_alert_events_total", Help: "Alert events queued by evaluations, delivered to the webhook, and dropped after an hour of failures.",
			ConstLabels: prometheus.Labels{"outcome": c.outcome},
		}, c.value))
	}
	m.registry.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name: "logstats_alert_delivery_failures_total", Help: "Deliveries of alert events that failed (each try; they are retried).",
	}, func() float64 { _, _, f, _ := counts(); return float64(f) }))
}

// ObserveLoad counts a load that took elapsed, whether it went through
// POST /load or not (a server's loads at start, say). res may be nil when
// err is not.
func (m *Metrics) ObserveLoad(res *logstats.LoadResult, elapsed time.Duration, err error) {
	outcome := "ok"
	if err != nil {
		outcome = "error"
	}
	m.loads.WithLabelValues(outcome).Inc()
	m.loadDuration.Observe(elapsed.Seconds())
	if res != nil {
		m.loadLines.WithLabelValues("inserted").Add(float64(res.Inserted))
		m.loadLines.WithLabelValues("malformed").Add(float64(res.Malformed))
		m.loadLines.WithLabelValues("already_loaded").Add(float64(res.SkippedAlreadyLoaded))
		m.loadLines.WithLabelValues("blank").Add(float64(res.Blank))
	}
}

// observeRequest counts a request answered with status after elapsed.
func (m *Metrics) observeRequest(r *http.Request, status int, elapsed time.Duration) {
	labels := prometheus.Labels{"route": routeLabel(r.Pattern), "method": methodLabel(r.Method), "code": strconv.Itoa(status)}
	m.requests.With(labels).Inc()
	m.duration.With(labels).Observe(elapsed.Seconds())
}

// handler serves the registry in Prometheus's text (or protobuf) format.
func (m *Metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{Registry: m.registry, ErrorHandling: promhttp.ContinueOnError})
}

// routeLabel turns the pattern ServeMux matched ("GET /customers/{id}/stats/{$}")
// into a route label ("/customers/{id}/stats"); requests that matched no route
// (the catch-all "/", or answered before routing) are "unmatched", so that
// made-up paths cannot add labels.
func routeLabel(pattern string) string {
	_, path, found := strings.Cut(pattern, " ")
	if !found {
		path = pattern
	}
	if path == "" || path == "/" {
		return "unmatched"
	}
	path = strings.TrimSuffix(path, "{$}")
	if path != "/" {
		path = strings.TrimSuffix(path, "/")
	}
	return path
}

// methodLabel keeps the label's values few: other methods are "OTHER".
func methodLabel(m string) string {
	switch m {
	case "GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS":
		return m
	}
	return "OTHER"
}
