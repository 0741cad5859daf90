// Command runner loads log files into the logstats database.
//
//	go run ./examples/runner testdata/api_requests.log
//
// It loads each FILE (default api_requests.log; - is stdin; a glob such as
// 'logs/*.log.gz' is expanded) exactly once: lines loaded before are skipped,
// so running it again is harmless. It prints a line per file and, for several
// files, a total; -json prints all of it as one JSON object instead. Logs
// (malformed lines, warnings; -log-level info for more) go to stderr.
//
// With -follow it keeps running, loading every line appended to the files
// that match its arguments, across rotations, until SIGINT or SIGTERM:
//
//	go run ./examples/runner -follow '/var/log/nginx/access.log*'
package main

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/logstats/logstats"
	"github.com/logstats/logstats/internal/cli"
	"github.com/logstats/logstats/internal/dsn"
	"github.com/logstats/logstats/internal/runner"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// After the first signal, a second one ends the process at once.
	context.AfterFunc(ctx, stop)
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "runner:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("runner", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: runner [flags] [FILE|GLOB ...]   (default api_requests.log; - is stdin)")
		fmt.Fprintln(stderr, "       runner [flags] -follow FILE|GLOB ...")
		fmt.Fprintln(stderr, "       runner [flags] -verify | -sources | -forget SOURCE")
		fmt.Fprintln(stderr, "       runner [flags] -export CUSTOMER -from YYYY-MM-DD [-to YYYY-MM-DD] [-export-format ndjson|csv]")
		fmt.Fprintln(stderr, "       runner [flags] -breakdown CUSTOMER -by KEYS -from YYYY-MM-DD [-to YYYY-MM-DD] [-sort FIELD] [-order asc|desc] [-limit N] [-json]")
		fmt.Fprintln(stderr, "       runner [flags] -fleet -from YYYY-MM-DD [-to YYYY-MM-DD] [-sort FIELD] [-order asc|desc] [-limit N] [-failed 5xx] [-json]")
		fmt.Fprintln(stderr, "       runner [flags] -set-slo CUSTOMER=OBJECTIVES")
		fmt.Fprintln(stderr, "       runner [flags] -create-key CUSTOMER [-key-label TEXT] [-link BASEURL] | -list-keys | -revoke-key ID")
		fs.PrintDefaults()
	}
	dbFlags := dsn.AddFlags(fs)
	dbFlags.AddShardsFlag()
	parseFlags := cli.AddParseFlags(fs)
	routesFlags := cli.AddRoutesFlags(fs)
	objectiveFlags := cli.AddObjectiveFlags(fs)
	logFlags := cli.AddLogFlags(fs, "warn")
	version := cli.AddVersionFlag(fs)
	var cfg runner.Config
	fs.BoolVar(&cfg.JSON, "json", false, "print the summary on stdout as one JSON object (files, totals, prune, error)")
	fs.BoolVar(&cfg.Strict, "strict", false, "stop at the first malformed line (default: report it and go on)")
	fs.BoolVar(&cfg.Complete, "complete", false, "the files are complete: load a last line that has no newline\n(default: leave it for a later run, since the file may still be being written)")
	fs.StringVar(&cfg.PruneBefore, "prune-before", "", "after loading, delete the requests and rollups of days before this `YYYY-MM-DD`\n(with no FILE, only prune)")
	fs.IntVar(&cfg.Batch, "batch", logstats.DefaultBatchLines, "lines per transaction")
	rawFlag := cli.AddRawFlag(fs)
	fs.StringVar(&cfg.Progress, "progress", "auto", "progress bar on stderr: auto (when stderr is a terminal), on or off")
	memLimit := cli.AddMemoryLimitFlag(fs, 40, "memory flat whatever the file's size")
	fs.StringVar(&cfg.CPUProfile, "cpuprofile", "", "write a CPU profile of the run to this `file` (for go tool pprof)")
	fs.BoolVar(&cfg.Follow, "follow", false, "keep running: load the files that match the FILE and GLOB arguments, then every line\nappended to them, across rotations (cover the rotated names: 'logs/access.log*'),\nuntil SIGINT or SIGTERM, which commits what was read and exits 0")
	fs.BoolVar(&cfg.Verify, "verify", false, "check the database instead of loading: each source's raw requests against its ledger,\neach customer-day's rollup against its raw requests, no XA transaction in doubt;\nprints each discrepancy and exits 1 if there is any")
	fs.BoolVar(&cfg.DryRun, "dry-run", false, "only parse the files, on every core, and report what a load would; touch no database")
	fs.StringVar(&cfg.CreateKey, "create-key", "", "make a key that reads this `CUSTOMER`'s numbers alone through the server (with its\n-admin-token set), print it once and exit; only its SHA-256 is stored")
	fs.StringVar(&cfg.KeyLabel, "key-label", "", "with -create-key: a note kept with the key, such as who it is for")
	fs.StringVar(&cfg.Link, "link", "", "with -create-key: the dashboard's address (`BASEURL`, https://stats.example.com/), to print\nthe link that opens it on the customer: BASEURL#key=KEY")
	fs.BoolVar(&cfg.ListKeys, "list-keys", false, "list the customer keys (id, customer, label, created, last used; never the keys) and exit")
	fs.StringVar(&cfg.RevokeKey, "revoke-key", "", "revoke the key with this `ID` (from -list-keys) and exit: it reads nothing from then on")
	fs.BoolVar(&cfg.Sources, "sources", false, "list the loaded logs (id, name, format, customer selector and default, lines, requests,\nfirst and last day) and exit")
	fs.StringVar(&cfg.Forget, "forget", "", "undo the loads of this `SOURCE` (an id of -sources, or its file name) and exit: its requests,\nits share of the rollups and its ledger row go, so it can be loaded again with other flags")
	fs.StringVar(&cfg.Export, "export", "", "write this `CUSTOMER`'s raw requests of -from to -to on stdout (as GET /customers/{id}/requests)\nand exit")
	fs.StringVar(&cfg.Breakdown, "breakdown", "", "print this `CUSTOMER`'s requests of -from to -to grouped by the keys of -by, with each group's\nstats, as a table (or as GET /customers/{id}/breakdown does with -json) and exit")
	fs.BoolVar(&cfg.Fleet, "fleet", false, "print every customer with requests from -from to -to with its stats, ordered by -sort, as a\ntable (or as GET /customers/?from= does with -json) and exit")
	fs.StringVar(&cfg.SetSLO, "set-slo", "", "store a customer's own objectives and exit: `CUSTOMER=OBJECTIVES`, such as cust_1=uptime>=99.9,p99<=0.5\n(as PUT /customers/{id}/slo; CUSTOMER= for none at all, CUSTOMER=default to delete its own)")
	fs.StringVar(&cfg.By, "by", "", "with -breakdown: the `KEYS` to group by, comma-separated: endpoint (method and route), method,\nroute, path, status, status_class, or the name of a -dimension")
	fs.StringVar(&cfg.Sort, "sort", "", "with -breakdown and -fleet: the stats `FIELD` to order the groups or customers by, largest first (default\ntotal_requests; uptime, p99_latency, median_latency, total_failed_requests, p95, ...)")
	fs.StringVar(&cfg.Order, "order", "", "with -breakdown and -fleet: desc (the largest -sort first; the default) or asc")
	fs.IntVar(&cfg.Limit, "limit", 0, "with -breakdown and -fleet: how many groups or customers to print, 1 to 10000 (default 100);\na breakdown sums the rest as other")
	fs.StringVar(&cfg.From, "from", "", "with -export, -breakdown and -fleet: the first day, `YYYY-MM-DD` (of the database's day zone)")
	fs.StringVar(&cfg.To, "to", "", "with -export, -breakdown and -fleet: the last day, `YYYY-MM-DD` (default: the last with data)")
	fs.StringVar(&cfg.ExportFormat, "export-format", "", "with -export: ndjson (one JSON object a request; the default) or csv (with a header line)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *version {
		fmt.Fprintln(stdout, cli.Version("runner"))
		return nil
	}
	cfg.Args = fs.Args()
	var err error
	if cfg.Raw, err = rawFlag.Mode(); err != nil {
		return err
	}

	defer memLimit.Apply(getenv)()
	var logger *slog.Logger
	return runner.Run(ctx, cfg, runner.Env{
		Stdin: stdin, Stdout: stdout, Stderr: stderr,
		Logger: func() (*slog.Logger, error) {
			var err error
			logger, err = logFlags.Logger(stderr)
			return logger, err
		},
		Parse: func() (logstats.ParseConfig, error) {
			ini, err := dbFlags.Section("log")
			if err != nil {
				return logstats.ParseConfig{}, err
			}
			return parseFlags.Config(getenv, ini)
		},
		Routes: func() (*logstats.Routes, error) {
			ini, err := dbFlags.Section("log")
			if err != nil {
				return nil, err
			}
			return routesFlags.Routes(getenv, ini)
		},
		Failed: func() (logstats.FailedStatuses, error) {
			ini, err := dbFlags.Section("slo")
			if err != nil {
				return 0, err
			}
			return objectiveFlags.Failed(getenv, ini)
		},
		Objectives: func() ([]logstats.Objective, error) {
			ini, err := dbFlags.Section("slo")
			if err != nil {
				return nil, err
			}
			return objectiveFlags.Objectives(getenv, ini)
		},
		OpenDB: func(ctx context.Context) (*sql.DB, error) {
			db, d, from, err := dbFlags.Open(ctx, getenv)
			if err == nil {
				logger.Debug("database ready", "db", d.String(), "from", from)
			}
			return db, err
		},
	})
}
