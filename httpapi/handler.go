// Package httpapi serves logstats over HTTP: a dashboard, health and
// readiness checks, per-customer statistics, the customer list and log
// loading. Every response but the dashboard's page and the metrics is JSON,
// errors included.
//
// Mount the handler returned by [NewHandler] on an http.Server of your own (or
// under a prefix with http.StripPrefix); the server's timeouts and shutdown
// are the application's to choose, as examples/server shows.
package httpapi

import (
	"database/sql"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/logstats/logstats"
)

// Defaults of Options.
const (
	DefaultMaxBodyBytes = 256 << 20
	DefaultQueryTimeout = 10 * time.Second
	DefaultLogFile      = "api_requests.log"
)

// Options are the optional settings of the handler.
type Options struct {
	// LogFile is what a POST /load without a body or path loads.
	// Default DefaultLogFile.
	LogFile string
	// DataDir is the directory that POST /load?path=NAME may read from;
	// nothing outside it is ever opened. Default: the directory of LogFile.
	DataDir string
	// LoadToken, when set, must be sent as "Authorization: Bearer <token>"
	// to POST /load.
	LoadToken string
	// MaxBodyBytes bounds an uploaded log, before and after gzip
	// decompression. Default DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// QueryTimeout bounds each statistics query. Default DefaultQueryTimeout.
	QueryTimeout time.Duration
	// TempDir is where uploads are spooled before loading. Default os.TempDir().
	TempDir string
	// Metrics are served at GET /metrics. Default: NewMetrics(db), of this
	// handler alone.
	Metrics *Metrics
}

// server holds the dependencies of the handlers.
type server struct {
	logger   *slog.Logger
	db       *sql.DB
	stats    *logstats.StatsService
	ingester *logstats.Ingester
	opts     Options
	// dashboard serves GET /.
	dashboard http.Handler
	// buffers recycles the *[]byte that stats answers are encoded into: an
	// answer of 30 days is about 10 KB, and under load their garbage cost
	// more than their encoding.
	buffers sync.Pool
}

// NewHandler returns the API's http.Handler. db is pinged by /ready; stats
// answers the statistics routes; ingester serves POST /load (nil disables
// loading: /load answers 503). The handler is safe for concurrent use.
func NewHandler(logger *slog.Logger, db *sql.DB, stats *logstats.StatsService, ingester *logstats.Ingester, opts Options) http.Handler {
	if opts.LogFile == "" {
		opts.LogFile = DefaultLogFile
	}
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if opts.QueryTimeout <= 0 {
		opts.QueryTimeout = DefaultQueryTimeout
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if opts.Metrics == nil {
		opts.Metrics = NewMetrics(db)
	}
	s := &server{logger: logger, db: db, stats: stats, ingester: ingester, opts: opts}
	if d, err := newDashboard(); err != nil {
		// Only a broken build gets here (see TestDashboard_Page); the API
		// still works.
		logger.Error("dashboard unavailable", "err", err)
		s.dashboard = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			s.writeError(w, r, http.StatusInternalServerError, "the dashboard is unavailable in this build; the API works")
		})
	} else {
		s.dashboard = d
	}
	mux := http.NewServeMux()
	s.addRoutes(mux)
	var h http.Handler = mux
	h = redirectUncleanPaths(h)
	h = limitRequestSize(h)
	h = recoverPanics(logger, h)
	h = observeRequests(logger, opts.Metrics, h)
	return h
}
