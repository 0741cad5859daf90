// Package runner is what examples/runner does, apart from its flags: expand
// globs, open the inputs, load (or, for a dry run, parse) each one exactly
// once with a progress bar, prune, and summarize the run as text or one JSON
// object.
package runner

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/pprof"

	"github.com/logstats/logstats"
	"github.com/logstats/logstats/internal/cli"
)

// MaxShownErrors is how many malformed lines a run reports per file.
const MaxShownErrors = 10

// Config is what a run does: the runner's flags.
type Config struct {
	Args        []string // FILE or GLOB arguments; "-" is stdin; none: api_requests.log
	JSON        bool     // print the summary as one JSON object
	Strict      bool     // stop at the first malformed line
	Complete    bool     // the files are complete: a last line without a newline is a line
	DryRun      bool     // only parse, on every core; touch no database
	PruneBefore string   // YYYY-MM-DD: after loading, delete the days before it
	Batch       int      // lines per transaction
	// Raw is how the database keeps raw requests: blocks, rows or none;
	// "" for the one it records (blocks when new).
	Raw      logstats.RawMode
	Format   string // the logs' format (logstats.ParseFormat); "" detects it
	Customer string // where the customer is (logstats.ParseCustomerSelector)
	// CustomerDefault is the customer of lines whose selector finds none.
	CustomerDefault string
	KeepQuery       bool   // keep the query string in the path
	Progress        string // progress bar on stderr: auto, on or off
	CPUProfile      string // file to write a CPU profile of the run to
	// Follow keeps running: Args are the files (globs) to follow, loaded
	// as they grow and rotate, until ctx is done.
	Follow bool
	// Verify checks the database (logstats.Verify) instead of loading.
	Verify bool
	// CreateKey, when set, makes a customer key of this customer instead
	// of loading: a key that reads this customer's numbers alone through
	// the server (SPEC §16), labelled KeyLabel; with Link (the dashboard's
	// address) the run also prints the link that opens it.
	CreateKey, KeyLabel, Link string
	// ListKeys lists the customer keys instead of loading.
	ListKeys bool
	// RevokeKey, when set, revokes the key with this id instead of loading.
	RevokeKey string
	// Sources lists the loaded logs instead of loading.
	Sources bool
	// Forget, when set, undoes the loads of this source (an id of
	// -sources, or a name) instead of loading.
	Forget string
	// Export, when set, writes this customer's raw requests of the days
	// From to To (YYYY-MM-DD; To "" for no end) on stdout instead of
	// loading, as ExportFormat says: ndjson (when "") or csv.
	Export, From, To, ExportFormat string
	// Breakdown, when set, prints this customer's requests of the days
	// From to To grouped by the keys of By (comma-separated), ordered by
	// the stats field Sort in Order, the first Limit groups, as a table (as JSON
	// with JSON), instead of loading.
	Breakdown, By, Sort string
	Order               string // asc or desc ("" is desc)
	Limit               int
	// Fleet prints every customer with requests of the days From to To
	// with its stats, ordered by Sort in Order, the first Limit, as a
	// table (as JSON with JSON), instead of loading.
	Fleet bool
	// SetSLO, when set, is CUSTOMER=OBJECTIVES: the customer's own
	// objectives to store instead of loading ("default" deletes them).
	SetSLO string
}

// Env is what a run works with.
type Env struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	// Logger makes the logger, which fails on a bad log level.
	Logger func() (*slog.Logger, error)
	// Parse says how to read the logs (from the flags, the environment
	// and the config file); nil reads them as the zero ParseConfig does.
	Parse func() (logstats.ParseConfig, error)
	// Routes says how a breakdown turns paths into routes; nil gives the
	// automatic step only.
	Routes func() (*logstats.Routes, error)
	// Failed says which status classes count as failed in the stats the
	// run prints; nil counts 4xx and 5xx.
	Failed func() (logstats.FailedStatuses, error)
	// Objectives are the objectives of the customers without their own,
	// in what the run prints; nil: none.
	Objectives func() ([]logstats.Objective, error)
	// OpenDB opens the database, once the inputs are open.
	OpenDB func(ctx context.Context) (*sql.DB, error)
}

// Run loads (or checks) every input of cfg and prints the summary: a line
// per file and a total on stdout, or with cfg.JSON one JSON object holding
// everything, failures included.
func Run(ctx context.Context, cfg Config, env Env) (err error) {
	sum := &Summary{DryRun: cfg.DryRun, Files: []FileSummary{}}
	defer func() {
		err = cli.WithAdvice(err) // what to do, in the runner's flags
		if cfg.Export == "" && cfg.Breakdown == "" && !cfg.Fleet || cfg.JSON && err != nil {
			sum.Print(env.Stdout, cfg.JSON, err) // -export, -breakdown or -fleet -json: the refusal only
		}
	}()
	logger, err := env.Logger()
	if err != nil {
		return err
	}
	if cfg.CPUProfile != "" {
		stop, err := startCPUProfile(cfg.CPUProfile)
		if err != nil {
			return err
		}
		defer stop()
	}
	var prune logstats.Date
	if cfg.PruneBefore != "" {
		if prune, err = logstats.ParseDate(cfg.PruneBefore); err != nil {
			return fmt.Errorf("-prune-before: %v", err)
		}
	}
	var pc logstats.ParseConfig
	if env.Parse != nil {
		if pc, err = env.Parse(); err != nil {
			return err
		}
	}
	text := env.Stdout
	if cfg.JSON || cfg.Export != "" {
		text = io.Discard
	}
	if cfg.keysAsked() || cfg.KeyLabel != "" || cfg.Link != "" {
		return runKeys(ctx, cfg, env, sum, text)
	}
	if cfg.Export != "" {
		return runExport(ctx, cfg, env)
	}
	if cfg.SetSLO != "" {
		return runSetSLO(ctx, cfg, env)
	}
	if cfg.Breakdown != "" && cfg.Fleet {
		return fmt.Errorf("-breakdown and -fleet go one at a time")
	}
	if cfg.Breakdown != "" {
		return runBreakdown(ctx, cfg, env)
	}
	if cfg.Fleet {
		return runFleet(ctx, cfg, env)
	}
	if cfg.From != "" || cfg.To != "" || cfg.ExportFormat != "" {
		return fmt.Errorf("-from, -to and -export-format go with -export CUSTOMER (-from and -to also with -breakdown CUSTOMER and -fleet)")
	}
	if cfg.By != "" || cfg.Sort != "" || cfg.Order != "" || cfg.Limit != 0 {
		return fmt.Errorf("-by, -sort, -order and -limit go with -breakdown CUSTOMER (-sort, -order and -limit also with -fleet)")
	}
	if cfg.Sources || cfg.Forget != "" {
		return runSources(ctx, cfg, env, sum, text)
	}
	if cfg.Verify {
		return runVerify(ctx, cfg, env, sum, text)
	}
	if cfg.Follow {
		return runFollow(ctx, cfg, env, pc, sum, text, logger)
	}
	files, err := ExpandArgs(cfg.Args)
	if err != nil {
		return err
	}
	if len(files) == 0 && prune.IsZero() {
		files = []string{"api_requests.log"}
	}
	if cfg.Progress != "on" && cfg.Progress != "off" && cfg.Progress != "auto" {
		return fmt.Errorf("-progress: want auto, on or off")
	}
	showProgress := cfg.Progress == "on" || cfg.Progress == "auto" && IsTerminal(env.Stderr)

	// Open every file first, so that a typo fails before any work.
	inputs := make([]*Input, 0, len(files))
	defer func() {
		for _, in := range inputs {
			in.Close()
		}
	}()
	for _, name := range files {
		in, err := OpenInput(name, env.Stdin)
		if err != nil {
			return err
		}
		in.Complete = in.Complete || cfg.Complete
		inputs = append(inputs, in)
	}
	// On SIGINT, close the inputs too: a load waiting on a read (a quiet
	// stdin) then stops.
	stopClosing := context.AfterFunc(ctx, func() {
		for _, in := range inputs {
			in.Close()
		}
	})
	defer stopClosing()

	if cfg.DryRun {
		for _, in := range inputs {
			if err := check(ctx, in, pc, sum, text, logger); err != nil {
				return err
			}
		}
		return nil
	}
	ing, closeDB, err := openIngester(ctx, cfg, env, pc)
	if err != nil {
		return err
	}
	defer closeDB()
	l := &loader{ing: ing, strict: cfg.Strict, progress: showProgress, sum: sum, stdout: text, stderr: env.Stderr, logger: logger}
	for _, in := range inputs {
		if err := l.load(ctx, in); err != nil {
			return err
		}
	}
	if !prune.IsZero() {
		res, err := ing.Prune(ctx, prune)
		if err != nil {
			return err
		}
		sum.Pruned = &PruneSummary{Before: prune.String(), Requests: res.Requests, Days: res.Days}
		fmt.Fprintf(text, "pruned days before %s: %d requests over %d customer-days\n", prune, res.Requests, res.Days)
		logger.Info("pruned", "before", prune.String(), "requests", res.Requests, "days", res.Days)
	}
	return nil
}

// openIngester opens the database and returns an Ingester of it, set as
// cfg and pc say, and the function that closes the database.
func openIngester(ctx context.Context, cfg Config, env Env, pc logstats.ParseConfig) (*logstats.Ingester, func() error, error) {
	db, err := env.OpenDB(ctx)
	if err != nil {
		return nil, nil, err
	}
	ing := logstats.NewIngester(db)
	ing.BatchLines, ing.ParseConfig = cfg.Batch, pc
	if ing.Raw = cfg.Raw; cfg.Raw != "" {
		// Recorded now, or refused: before any file is read.
		if err := logstats.SetRawMode(ctx, db, cfg.Raw); err != nil {
			db.Close()
			return nil, nil, fmt.Errorf("-raw %s: %w", cfg.Raw, err)
		}
	}
	return ing, db.Close, nil
}

// startCPUProfile starts writing a CPU profile to path; stop ends it.
func startCPUProfile(path string) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("-cpuprofile: %v", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("-cpuprofile: %v", err)
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}
