// Command server serves the logstats HTTP API.
//
//	go run ./examples/server -load testdata/api_requests.log
//
// It uses an embedded SQLite database (logstats.db) unless -dsn,
// $LOGSTATS_DSN or the [mysql] section of config.ini names MySQL.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/logstats/logstats"
	"github.com/logstats/logstats/alert"
	"github.com/logstats/logstats/follow"
	"github.com/logstats/logstats/httpapi"
	"github.com/logstats/logstats/internal/cli"
	"github.com/logstats/logstats/internal/dsn"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// After the first signal, a second one ends the process at once.
	context.AfterFunc(ctx, stop)
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "server:", cli.WithAdvice(err))
		os.Exit(1)
	}
}

// defaultAddr is loopback only: serving other hosts is a decision to make
// with -addr (and a -load-token).
const defaultAddr = "127.0.0.1:8000"

// repeated is a flag that may be given several times.
type repeated []string

func (r *repeated) String() string     { return strings.Join(*r, ",") }
func (r *repeated) Set(v string) error { *r = append(*r, v); return nil }

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("server", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dbFlags := dsn.AddFlags(fs)
	parseFlags := cli.AddParseFlags(fs)
	routesFlags := cli.AddRoutesFlags(fs)
	objectiveFlags := cli.AddObjectiveFlags(fs)
	logFlags := cli.AddLogFlags(fs, "info")
	version := cli.AddVersionFlag(fs)
	rawFlag := cli.AddRawFlag(fs)
	memLimit := cli.AddMemoryLimitFlag(fs, 40, "a load's memory flat whatever the upload's size or number of customers")
	addr := fs.String("addr", defaultAddr, "address to listen on")
	logFile := fs.String("log-file", httpapi.DefaultLogFile, "log file that a bare POST /load loads")
	dataDir := fs.String("data-dir", "", "directory that POST /load?path=NAME may read (default: none, and ?path= is off)")
	var loads, watches repeated
	fs.Var(&loads, "load", "load this log `FILE` before serving (may repeat)")
	fs.Var(&watches, "watch", "follow the log files that match this `GLOB` while serving: load them, then every line\nappended, across rotations (may repeat; cover rotated names: 'logs/access.log*';\ndefault: $LOGSTATS_WATCH or config.ini [log] watch, comma-separated)")
	token := fs.String("load-token", "", "token that POST /load requires as 'Authorization: Bearer TOKEN' (default: $LOGSTATS_LOAD_TOKEN)")
	tokenFile := fs.String("load-token-file", "", "read the load token from this `FILE` (keeps it out of the process list)")
	adminToken := fs.String("admin-token", "", "token that turns authentication on: every read needs it or a customer key\n(-create-key), and keys, /metrics and /openapi.json need it (default: $LOGSTATS_ADMIN_TOKEN)")
	adminTokenFile := fs.String("admin-token-file", "", "read the admin token from this `FILE` (keeps it out of the process list)")
	openReads := fs.Bool("open-reads", false, "serve every customer's numbers to anyone who can connect, on a non-loopback address\nwithout -admin-token (refused otherwise)")
	var allowedHosts repeated
	fs.Var(&allowedHosts, "allowed-host", "on a loopback address, also answer requests for this host `NAME` (a reverse proxy's;\nby default only loopback addresses and localhost are; may repeat)")
	maxConns := fs.Int("max-conns", httpapi.DefaultMaxConns, "most connections at once; more are closed at once")
	maxConnsPerIP := fs.Int("max-conns-per-ip", httpapi.DefaultMaxConnsPerIP, "most connections at once from one client address; more are closed at once")
	maxUploads := fs.Int("max-uploads", httpapi.DefaultMaxUploads, "most uploads read at once; more get 503 with Retry-After")
	maxSpool := fs.Int64("max-spool", httpapi.DefaultMaxSpoolBytes, "most `bytes` the uploads being loaded keep on disk, all together; more get 507")
	maxBody := fs.Int64("max-body", httpapi.DefaultMaxBodyBytes, "largest log upload in bytes, after decompression")
	readHeaderTimeout := fs.Duration("read-header-timeout", 10*time.Second, "how long a client may take to send a request's headers")
	cacheFor := fs.Duration("cache-for", time.Second, "how long stats answers are served from memory before the server checks (one small query)\nwhether a load or prune committed since; 0 turns the cache off")
	alertWebhook := fs.String("alert-webhook", "", "POST an event to this `URL` when a customer's objective (-slo, PUT /customers/{id}/slo) goes from\n"+
		"met to breached or back over the last -slo-window days, signed with -alert-secret (default: $LOGSTATS_ALERT_WEBHOOK)")
	alertSecret := fs.String("alert-secret", "", "the key of the webhooks' HMAC-SHA256 signature, X-Logstats-Signature (default: $LOGSTATS_ALERT_SECRET)")
	alertSecretFile := fs.String("alert-secret-file", "", "read the alert secret from this `FILE` (keeps it out of the process list)")
	sloWindow := fs.Int("slo-window", logstats.DefaultAlertWindow, "how many `DAYS` alerts evaluate the objectives over, ending at each customer's newest day with data")
	grace := fs.Duration("shutdown-grace", 20*time.Second, "on SIGINT or SIGTERM, how long requests and loads in flight may take to finish\nbefore they are cancelled (a cancelled load rolls back its current batch)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *version {
		fmt.Fprintln(stdout, cli.Version("server"))
		return nil
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q; logs to load go after -load", fs.Arg(0))
	}
	defer memLimit.Apply(getenv)()
	var err error
	if *token, err = cli.Secret("load-token", *token, *tokenFile, "LOGSTATS_LOAD_TOKEN", getenv); err != nil {
		return err
	}
	if *adminToken, err = cli.Secret("admin-token", *adminToken, *adminTokenFile, "LOGSTATS_ADMIN_TOKEN", getenv); err != nil {
		return err
	}
	if err := checkTokens(*adminToken, *token); err != nil {
		return err
	}
	if *alertSecret, err = cli.Secret("alert-secret", *alertSecret, *alertSecretFile, "LOGSTATS_ALERT_SECRET", getenv); err != nil {
		return err
	}
	if *alertWebhook == "" {
		*alertWebhook = getenv("LOGSTATS_ALERT_WEBHOOK")
	}
	if err := checkAlerts(*alertWebhook, *alertSecret, *sloWindow); err != nil {
		return err
	}
	if _, err := rawFlag.Mode(); err != nil {
		return err
	}
	if *dataDir != "" {
		if err := checkDataDir(*dataDir); err != nil {
			return err
		}
	}
	// Listen before any work: whether the address is a loopback one
	// decides what the server may serve, and what it answers to.
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	defer ln.Close()
	loopback := isLoopback(ln.Addr())
	if !loopback && *adminToken == "" && !*openReads {
		return fmt.Errorf("-addr %s is not a loopback address, and without -admin-token anyone who can connect would read every customer's numbers: set -admin-token (or -admin-token-file), or pass -open-reads to serve them to anyone", *addr)
	}
	ini, err := dbFlags.Section("log")
	if err != nil {
		return err
	}
	parse, err := parseFlags.Config(getenv, ini)
	if err != nil {
		return err
	}
	routes, err := routesFlags.Routes(getenv, ini)
	if err != nil {
		return err
	}
	sloIni, err := dbFlags.Section("slo")
	if err != nil {
		return err
	}
	failed, err := objectiveFlags.Failed(getenv, sloIni)
	if err != nil {
		return err
	}
	objectives, err := objectiveFlags.Objectives(getenv, sloIni)
	if err != nil {
		return err
	}
	logger, err := logFlags.Logger(stderr)
	if err != nil {
		return err
	}
	if !loopback && *adminToken == "" {
		logger.Warn("serving every customer's numbers to anyone who can connect (-open-reads)", "addr", ln.Addr().String())
	}

	db, d, from, err := dbFlags.Open(ctx, getenv)
	if err != nil {
		return err
	}
	defer db.Close()
	logger.Info("database ready", "db", d.String(), "from", from)
	// An explicit -raw is recorded, or refused, before anything loads.
	raw, err := rawFlag.Record(ctx, db)
	if err != nil {
		return err
	}

	ing := logstats.NewIngester(db)
	ing.Raw = raw
	ing.ParseConfig = parse
	metrics := httpapi.NewMetrics(db)
	for _, path := range loads {
		start := time.Now()
		res, err := loadFile(ctx, ing, path)
		metrics.ObserveLoad(res, time.Since(start), err)
		if errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("-load %s: no such file (the sample log is testdata/api_requests.log)", path)
		}
		if err != nil {
			return fmt.Errorf("-load %s: %w", path, err)
		}
		logger.Info("loaded", "file", path, "lines", res.Lines, "inserted", res.Inserted,
			"already_loaded", res.SkippedAlreadyLoaded, "malformed", res.Malformed)
	}

	stats := logstats.NewStatsService(db)
	stats.CacheFor = *cacheFor
	stats.Routes = routes
	stats.Failed, stats.Objectives = failed, objectives
	for _, d := range parse.Dimensions {
		stats.Dimensions = append(stats.Dimensions, d.Name)
	}
	deps := httpapi.Deps{Logger: logger, DB: db, Stats: stats, Loader: ing, Sources: ing, Keys: logstats.NewKeyService(db)}
	if *alertWebhook != "" {
		// The alerts read the numbers without the cache: right after a
		// commit, it could still hold those of before.
		fresh := logstats.NewStatsService(db)
		fresh.Failed, fresh.Objectives = failed, objectives
		alerter := logstats.NewAlerter(db, fresh)
		alerter.Window = *sloWindow
		notifier := &alert.Notifier{Alerter: alerter, URL: *alertWebhook, Secret: []byte(*alertSecret), Logger: logger}
		ing.OnCommit = notifier.Changed
		metrics.CountAlerts(func() (queued, delivered, failed, dropped int64) {
			c := notifier.Counts()
			return c.Queued, c.Delivered, c.Failed, c.Dropped
		})
		done := make(chan error, 1)
		go func() { done <- notifier.Run(ctx) }()
		defer func() { <-done }()
		logger.Info("alerting", "webhook", *alertWebhook, "slo_window_days", *sloWindow)
	}
	globs := watchGlobs(watches, getenv, ini)
	if err := follow.CheckGlobs(globs); err != nil {
		return fmt.Errorf("-watch: %w", err)
	}
	if len(globs) > 0 {
		f := &follow.Follower{Ingester: ing, Globs: globs, Logger: logger}
		deps.Watcher = f
		metrics.Watch(f)
		done := make(chan error, 1)
		go func() { done <- f.Run(ctx) }()
		// After serving stops, the follower commits what it read (Run
		// returns once ctx is done and its round in flight is in).
		defer func() {
			if err := <-done; err != nil {
				logger.Error("watch", "err", err)
			}
		}()
		logger.Info("watching", "globs", globs)
	}
	handler := httpapi.NewHandler(deps, httpapi.Options{
		LogFile: *logFile, DataDir: *dataDir, AdminToken: *adminToken, LoadToken: *token,
		LoopbackOnly: loopback, AllowedHosts: allowedHosts,
		MaxBodyBytes: *maxBody, MaxUploads: *maxUploads, MaxSpoolBytes: *maxSpool,
		Metrics: metrics, Parse: parse,
	})
	// Requests get a base context that outlives shutdown's grace period only
	// if they finish: after it, cancelling it rolls back loads in flight.
	baseCtx, cancelRequests := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelRequests()
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: *readHeaderTimeout,
		ReadTimeout:       15 * time.Minute, // uploads of large logs
		WriteTimeout:      15 * time.Minute, // loads of large logs
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    1 << 20, // the handler refuses more than 32 KiB, in JSON

		BaseContext: func(net.Listener) context.Context { return baseCtx },
		ErrorLog:    slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	fmt.Fprintf(stdout, "logstats: serving on http://%s (database %s)\n", ln.Addr(), d)
	return cli.Serve(ctx, srv, httpapi.LimitListener(ln, *maxConns, *maxConnsPerIP), *grace, cancelRequests, logger)
}

// minAdminTokenBytes is the shortest admin token accepted: a token guessed
// at 20 tries a minute per address must be long.
const minAdminTokenBytes = 16

// checkTokens refuses tokens that cannot work, or that are too short.
func checkTokens(admin, load string) error {
	if admin != "" {
		if err := httpapi.ValidToken(admin); err != nil {
			return fmt.Errorf("-admin-token: %v", err)
		}
		if len(admin) < minAdminTokenBytes {
			return fmt.Errorf("-admin-token: at least %d characters, such as the output of: openssl rand -hex 32", minAdminTokenBytes)
		}
	}
	if load != "" {
		if err := httpapi.ValidToken(load); err != nil {
			return fmt.Errorf("-load-token: %v", err)
		}
	}
	return nil
}

// checkAlerts refuses alerts that cannot work: a webhook that is not an
// http(s) URL, one without a secret to sign with, a window under a day.
func checkAlerts(webhook, secret string, window int) error {
	if window < 1 {
		return fmt.Errorf("-slo-window %d: want at least 1 day", window)
	}
	if webhook == "" {
		if secret != "" {
			return fmt.Errorf("-alert-secret without -alert-webhook: say where to send the alerts")
		}
		return nil
	}
	if err := alert.CheckURL(webhook); err != nil {
		return fmt.Errorf("-alert-webhook: %v", err)
	}
	if len(secret) < minAdminTokenBytes {
		return fmt.Errorf("-alert-webhook needs -alert-secret (or -alert-secret-file, $LOGSTATS_ALERT_SECRET) of at least %d characters, which signs each event for the receiver to check, such as the output of: openssl rand -hex 32", minAdminTokenBytes)
	}
	return nil
}

// checkDataDir refuses a data directory that is the file system's root:
// every file of the machine would be POST /load?path='s to read.
func checkDataDir(dir string) error {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return fmt.Errorf("-data-dir %s: %v", dir, err)
	}
	if real, err := filepath.EvalSymlinks(abs); err == nil {
		abs = real
	}
	if filepath.Dir(abs) == abs {
		return fmt.Errorf("-data-dir %s is the file system's root: POST /load?path= would read any file of the machine; give the folder of your logs", dir)
	}
	fi, err := os.Stat(abs)
	if err != nil {
		return fmt.Errorf("-data-dir: %v", err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("-data-dir %s is not a directory", dir)
	}
	return nil
}

// isLoopback reports whether a listener's address is a loopback one.
func isLoopback(a net.Addr) bool {
	tcp, ok := a.(*net.TCPAddr)
	return ok && tcp.IP.IsLoopback()
}

// watchGlobs returns the globs to follow: the -watch flags, else
// $LOGSTATS_WATCH, else config.ini's [log] watch, comma-separated.
func watchGlobs(flags []string, getenv func(string) string, ini map[string]string) []string {
	if len(flags) > 0 {
		return flags
	}
	list := getenv("LOGSTATS_WATCH")
	if list == "" {
		list = ini["watch"]
	}
	var globs []string
	for _, g := range strings.Split(list, ",") {
		if g = strings.TrimSpace(g); g != "" {
			globs = append(globs, g)
		}
	}
	return globs
}

// loadFile loads the log at path under its base name. The file may still be
// growing: a last line without a newline waits for a later load.
func loadFile(ctx context.Context, ing *logstats.Ingester, path string) (*logstats.LoadResult, error) {
	f, err := os.Open(path)
	if err != nil {
		return &logstats.LoadResult{Source: filepath.Base(path)}, err
	}
	defer f.Close()
	return ing.Load(ctx, filepath.Base(path), f, logstats.LoadOptions{Growing: true})
}
