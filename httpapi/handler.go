// Package httpapi serves logstats over HTTP: a dashboard, health and
// readiness checks, per-customer statistics, the export of a customer's raw
// requests, the customer list and log loading. Every response but the
// dashboard's page, the metrics and an export (NDJSON or CSV) is JSON,
// errors included.
//
// Mount the handler returned by [NewHandler] on an http.Server of your own (or
// under a prefix with http.StripPrefix); the server's timeouts and shutdown
// are the application's to choose, as examples/server shows.
package httpapi

import (
	"context"
	"database/sql"
	"io"
	"log/slog"
	"net/http"
	"reflect"
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
	// nothing outside it is ever opened. Default "": POST /load?path=
	// answers 404 saying how to turn it on.
	DataDir string
	// AdminToken, when set, turns authentication on: every route but
	// /health, /ready and the dashboard's page needs "Authorization: Bearer
	// <token>" with it or (for a customer's numbers) a customer key of
	// Deps.Keys, and the admin token alone manages keys and reads /metrics
	// and /openapi.json. Default "": reads are open to anyone who can
	// connect.
	AdminToken string
	// LoadToken, when set, must be sent as "Authorization: Bearer <token>"
	// to POST /load (the admin token works too).
	LoadToken string
	// LoopbackOnly says that the server listens on a loopback address: it
	// then answers only requests whose Host is a loopback address,
	// localhost or one of AllowedHosts, and any other gets 421, which is
	// what keeps a web page from reaching it through DNS rebinding.
	LoopbackOnly bool
	// AllowedHosts are more host names a LoopbackOnly server answers to,
	// such as the name a reverse proxy on the same machine sends.
	AllowedHosts []string
	// MaxBodyBytes bounds an uploaded log, before and after gzip
	// decompression. Default DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// MaxUploads is how many uploads are read at once; more get 503 with
	// Retry-After. Default DefaultMaxUploads.
	MaxUploads int
	// MaxSpoolBytes bounds the bytes that the uploads being loaded keep on
	// disk, all together; an upload that would go past it gets 507.
	// Default DefaultMaxSpoolBytes.
	MaxSpoolBytes int64
	// BodyIdleTimeout is how long an upload's body may stop arriving before
	// the request is cut. Default DefaultBodyIdleTimeout.
	BodyIdleTimeout time.Duration
	// QueryTimeout bounds each statistics query. Default DefaultQueryTimeout.
	QueryTimeout time.Duration
	// TempDir is where uploads are spooled before loading. Default os.TempDir().
	TempDir string
	// Metrics are served at GET /metrics. Default: NewMetrics of Deps.DB
	// when it is a *sql.DB (else of none), of this handler alone.
	Metrics *Metrics
	// Parse is how the Loader reads logs (the Ingester's ParseConfig): a
	// POST /load with ?format=, ?customer=, ?customer_default= or
	// ?keep_query= loads with it changed as they say.
	Parse logstats.ParseConfig
}

// Stats is what the statistics routes use; *logstats.StatsService is one.
type Stats interface {
	FindStats(ctx context.Context, customerID string, f logstats.StatsFilter) (*logstats.CustomerStats, error)
	FindCustomers(ctx context.Context, f logstats.CustomerFilter) ([]logstats.Customer, error)
	Fleet(ctx context.Context, f logstats.FleetFilter) (*logstats.Fleet, error)
}

// Loader is what POST /load uses; *logstats.Ingester is one. Load must
// return a non-nil result whenever its error is nil, with Errors non-nil
// (empty when no line was malformed), as *logstats.Ingester does: the
// handler encodes it as it is.
type Loader interface {
	Load(ctx context.Context, name string, r io.Reader, opts logstats.LoadOptions) (*logstats.LoadResult, error)
}

// Keys is what customer keys need: checking the key of each request, and
// the /keys routes; *logstats.KeyService is one.
type Keys interface {
	Authenticate(ctx context.Context, secret string) (*logstats.Key, error)
	CreateKey(ctx context.Context, customerID, label string) (*logstats.Key, string, error)
	FindKeys(ctx context.Context) ([]logstats.Key, error)
	RevokeKey(ctx context.Context, id string) error
}

// Pinger is what /ready uses, and what tells a failing database from other
// errors; *sql.DB is one.
type Pinger interface {
	PingContext(ctx context.Context) error
}

// Deps are what the handler depends on. Leave a field nil (not a nil
// pointer in an interface) to go without it.
type Deps struct {
	// Logger logs failures and refusals. Default: discard.
	Logger *slog.Logger
	// DB is pinged by /ready and when an error without a kind may be the
	// database's. Nil: always ready.
	DB Pinger
	// Stats answers the statistics and customer routes.
	Stats Stats
	// Loader serves POST /load. Nil disables loading: /load answers 503.
	Loader Loader
	// Watcher, when set, is the follower of the server's logs: /ready
	// waits for its first round and lists its files (register it with
	// Metrics.Watch for /metrics too).
	Watcher Watcher
	// Sources, when set, serves GET /sources (the admin's) and DELETE
	// /sources/{id} (the loader's, as POST /load). Nil: they answer 503.
	Sources Sources
	// Requests, when set, serves GET /customers/{id}/requests, the export
	// of a customer's raw requests. Default: logstats.Requests over DB when
	// it is a *sql.DB; else the route answers 503.
	Requests Requests
	// Breakdowns, when set, serves GET /customers/{id}/breakdown. Default:
	// Stats, when it has a Breakdown method (as *logstats.StatsService
	// has); else the route answers 503.
	Breakdowns Breakdowns
	// Keys, when set, are the customer keys that read one customer's
	// numbers each (see Options.AdminToken), managed at /keys. Nil: no
	// customer key is accepted.
	Keys Keys
	// Objectives, when set, serves /customers/{id}/slo. Default: Stats,
	// when it has the methods (as *logstats.StatsService has); else the
	// route answers 404.
	Objectives Objectives
}

// isNilPointer reports whether v is an interface holding a nil pointer.
func isNilPointer(v any) bool {
	rv := reflect.ValueOf(v)
	return rv.Kind() == reflect.Pointer && rv.IsNil()
}

// server holds the dependencies of the handlers.
type server struct {
	logger   *slog.Logger
	db       Pinger
	stats    Stats
	ingester Loader
	watcher  Watcher
	keys     Keys
	sources  Sources
	requests Requests
	// breakdowns serves the breakdowns (see Deps.Breakdowns).
	breakdowns Breakdowns
	// objectives serves /customers/{id}/slo (see Deps.Objectives).
	objectives Objectives
	opts       Options
	// The tokens, as their SHA-256 (see secret).
	adminToken, loadToken secret
	// failures counts failed authentications per client address.
	failures *failureLimiter
	uploads  *uploads
	// routes lists the endpoints, "METHOD /path", as route registered them.
	routes []string
	// dashboard serves GET /.
	dashboard http.Handler
	// buffers recycles the *[]byte that stats answers are encoded into: an
	// answer of 30 days is about 10 KB, and under load their garbage cost
	// more than their encoding.
	buffers sync.Pool
}

// NewHandler returns the API's http.Handler over deps. The handler is safe
// for concurrent use.
func NewHandler(deps Deps, opts Options) http.Handler {
	_, h := newServer(deps, opts)
	return h
}

// newServer returns the server of NewHandler and its handler.
func newServer(deps Deps, opts Options) (*server, http.Handler) {
	// A nil *sql.DB or *logstats.Ingester means none, as a nil interface does.
	if isNilPointer(deps.DB) {
		deps.DB = nil
	}
	if isNilPointer(deps.Stats) {
		deps.Stats = nil
	}
	if isNilPointer(deps.Loader) {
		deps.Loader = nil
	}
	if isNilPointer(deps.Watcher) {
		deps.Watcher = nil
	}
	if isNilPointer(deps.Keys) {
		deps.Keys = nil
	}
	if isNilPointer(deps.Sources) {
		deps.Sources = nil
	}
	if isNilPointer(deps.Requests) {
		deps.Requests = nil
	}
	if isNilPointer(deps.Breakdowns) {
		deps.Breakdowns = nil
	}
	if isNilPointer(deps.Objectives) {
		deps.Objectives = nil
	}
	if b, ok := deps.Stats.(Breakdowns); ok && deps.Breakdowns == nil {
		deps.Breakdowns = b
	}
	if o, ok := deps.Stats.(Objectives); ok && deps.Objectives == nil {
		deps.Objectives = o
	}
	if db, ok := deps.DB.(*sql.DB); ok && deps.Requests == nil {
		deps.Requests = dbRequests{db}
	}
	logger := deps.Logger
	if opts.LogFile == "" {
		opts.LogFile = DefaultLogFile
	}
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if opts.QueryTimeout <= 0 {
		opts.QueryTimeout = DefaultQueryTimeout
	}
	if opts.MaxUploads <= 0 {
		opts.MaxUploads = DefaultMaxUploads
	}
	if opts.MaxSpoolBytes <= 0 {
		opts.MaxSpoolBytes = DefaultMaxSpoolBytes
	}
	if opts.BodyIdleTimeout <= 0 {
		opts.BodyIdleTimeout = DefaultBodyIdleTimeout
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if opts.Metrics == nil {
		db, _ := deps.DB.(*sql.DB)
		opts.Metrics = NewMetrics(db)
	}
	s := &server{
		logger: logger, db: deps.DB, stats: deps.Stats, ingester: deps.Loader, watcher: deps.Watcher, keys: deps.Keys, sources: deps.Sources, requests: deps.Requests, breakdowns: deps.Breakdowns, objectives: deps.Objectives, opts: opts,
		adminToken: newSecret(opts.AdminToken), loadToken: newSecret(opts.LoadToken),
		failures: newFailureLimiter(time.Now), uploads: newUploads(opts),
	}
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
	h = s.checkOrigin(h)
	if opts.LoopbackOnly {
		h = s.checkHost(opts.AllowedHosts, h)
	}
	h = limitRequestSize(h)
	h = recoverPanics(logger, h)
	h = observeRequests(logger, opts.Metrics, h)
	return s, h
}
