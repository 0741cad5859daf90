// Command bench measures logstats against reference tools on this machine,
// side by side in one run, and writes BENCHMARKS.md. Run it through
// scripts/bench.sh, which builds the binaries it drives and installs the
// reference tools.
//
// Every figure it writes is measured here, in this run: each load and query
// of logstats is paired with a reference doing the same work on the same
// input (MariaDB's LOAD DATA, sqlite3's .import, DuckDB's read_csv, GoAccess,
// awk, a seed-style query, the server's /health/), and the report gives their
// ratio.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// config is what the flags set.
type config struct {
	bin        string // directory of the built runner, server and loggen
	duckdb     string // scripts/duckdb/load.mjs, beside the node_modules holding DuckDB
	work       string // scratch directory for logs and databases
	out        string // BENCHMARKS.md path
	sizes      []int
	reps       int // repetitions of each measurement on inputs of ≤ 1M lines
	statsN     int // stats requests per size and backend
	wrkFor     time.Duration
	wrkConns   int
	mysqlUser  string
	mysqlHost  string
	mysqlPort  string
	moduleRoot string
	visibleFor time.Duration // how long the visibility measurement writes
	// breakdownProfile, when set, is where the breakdown's process writes
	// a CPU profile of its timed runs.
	breakdownProfile string
}

func main() {
	log.SetFlags(0)
	log.SetPrefix("bench: ")
	if len(os.Args) > 1 && os.Args[1] == "breakdown-query" {
		// A process of its own, which the run starts to time a breakdown.
		if err := breakdownQuery(os.Args[2:]); err != nil {
			log.Fatal(err)
		}
		return
	}
	if len(os.Args) > 1 && os.Args[1] == "fleet-query" {
		// A process of its own, which the run starts to time a fleet.
		if err := fleetQuery(os.Args[2:]); err != nil {
			log.Fatal(err)
		}
		return
	}
	var cfg config
	sizes := flag.String("sizes", "100000,1000000", "log sizes in lines, comma-separated")
	flag.StringVar(&cfg.bin, "bin", "", "directory holding the built runner, server and loggen binaries (required)")
	flag.StringVar(&cfg.duckdb, "duckdb", "", "scripts/duckdb/load.mjs where npm installed its package.json, which node runs for the DuckDB reference (required)")
	flag.StringVar(&cfg.work, "work", filepath.Join(os.TempDir(), "logstats-bench"), "scratch directory (logs and databases; 10M lines need about 3 GB)")
	flag.StringVar(&cfg.out, "out", "BENCHMARKS.md", "report to write")
	flag.IntVar(&cfg.reps, "reps", 3, "repetitions of each measurement on logs of up to 1M lines (the median is reported); larger logs run once")
	flag.IntVar(&cfg.statsN, "stats-requests", 200, "stats requests per size, backend and path")
	flag.DurationVar(&cfg.wrkFor, "wrk-duration", 20*time.Second, "duration of each wrk run")
	flag.IntVar(&cfg.wrkConns, "wrk-connections", 64, "wrk connections")
	flag.StringVar(&cfg.mysqlUser, "mysql-user", "root", "MariaDB/MySQL user (password from $MYSQL_PWD)")
	flag.StringVar(&cfg.mysqlHost, "mysql-host", "127.0.0.1", "MariaDB/MySQL host")
	flag.StringVar(&cfg.mysqlPort, "mysql-port", "3306", "MariaDB/MySQL port")
	flag.StringVar(&cfg.moduleRoot, "module", ".", "the logstats module's directory, for go test -bench")
	flag.DurationVar(&cfg.visibleFor, "visibility-duration", 30*time.Second, "how long the visibility measurement writes to a followed log, per backend")
	onlyVisibility := flag.Bool("only-visibility", false, "only measure how soon a followed line is visible, and print it (no report)")
	flag.StringVar(&cfg.breakdownProfile, "breakdown-cpuprofile", "", "write a CPU profile of logstats's timed breakdowns to this file")
	onlyFleet := flag.Int("only-fleet", 0, "only measure the fleet of 1,000 customers with this many requests (and ten times as many) against DuckDB, and print it (no report)")
	onlyBreakdown := flag.Int("only-breakdown", 0, "only measure a breakdown of this many requests of one customer against DuckDB, and print it (no report)")
	flag.Parse()
	if cfg.bin == "" {
		log.Fatal("-bin is required; run scripts/bench.sh")
	}
	if cfg.duckdb == "" && !*onlyVisibility {
		log.Fatal("-duckdb is required; run scripts/bench.sh, which installs DuckDB")
	}
	for _, s := range strings.Split(*sizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1000 {
			log.Fatalf("-sizes: %q is not a size of at least 1000 lines", s)
		}
		cfg.sizes = append(cfg.sizes, n)
	}
	if err := os.MkdirAll(cfg.work, 0o755); err != nil {
		log.Fatal(err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if *onlyVisibility {
		b := &bench{cfg: cfg}
		for _, backend := range []string{"sqlite", "mysql"} {
			v, err := b.visibility(ctx, backend, cfg.visibleFor)
			if err != nil {
				log.Fatal(err)
			}
			log.Printf("%s: %d probes over %.0f s at %d lines/s: p50 %v, p95 %v, max %v, %d never seen",
				backend, v.Probes, v.Seconds, v.LinesPerS, v.P50, v.P95, v.Max, v.Unseen)
		}
		return
	}
	if *onlyBreakdown > 0 {
		bd, err := (&bench{cfg: cfg}).breakdown(ctx, *onlyBreakdown)
		if err != nil {
			log.Fatal(err)
		}
		log.Printf("breakdown of %d requests (%d endpoints): logstats %v, DuckDB %v (%.2f×); with %d requests of others %v; filtered stats %v",
			bd.Requests, bd.Groups, bd.Logstats, bd.DuckDB, ratio(bd.DuckDB, bd.Logstats), bd.Others, bd.Crowded, bd.Filtered)
		return
	}
	if *onlyFleet > 0 {
		fl, err := (&bench{cfg: cfg}).fleet(ctx, *onlyFleet)
		if err != nil {
			log.Fatal(err)
		}
		log.Printf("fleet of %d customers, %d requests: logstats %v, DuckDB %v (%.2f×); at ten times the requests: logstats %v, DuckDB %v (%.2f×)",
			fl.Customers, fl.Requests, fl.Logstats, fl.DuckDB, ratio(fl.DuckDB, fl.Logstats), fl.LogstatsX10, fl.DuckDBX10, ratio(fl.DuckDBX10, fl.LogstatsX10))
		return
	}
	rep, err := run(ctx, cfg)
	if err != nil {
		log.Fatal(err)
	}
	// Sections other scripts write (scripts/bench-spider.sh) are kept.
	old, _ := os.ReadFile(cfg.out)
	if err := os.WriteFile(cfg.out, []byte(rep.markdown()+keptSections(string(old))), 0o644); err != nil {
		log.Fatal(err)
	}
	log.Printf("wrote %s", cfg.out)
}

// run measures every size and returns the report.
func run(ctx context.Context, cfg config) (*report, error) {
	b := &bench{cfg: cfg}
	rep := &report{Started: time.Now().UTC(), Cfg: cfg}
	var err error
	if rep.Machine, err = b.machine(ctx); err != nil {
		return nil, err
	}
	log.Printf("machine: %s", rep.Machine.CPU)
	if rep.Formats, err = b.formatBenchmarks(ctx); err != nil {
		return nil, err
	}
	if rep.Nginx, err = b.nginx(ctx, b.wrkSize()); err != nil {
		return nil, err
	}
	for _, backend := range []string{"SQLite", "MySQL"} {
		v, err := b.visibility(ctx, strings.ToLower(backend), cfg.visibleFor)
		if err != nil {
			return nil, err
		}
		v.Backend = backend
		rep.Visible = append(rep.Visible, v)
	}
	for _, n := range cfg.sizes {
		s, err := b.size(ctx, n)
		if err != nil {
			return nil, fmt.Errorf("%d lines: %w", n, err)
		}
		rep.Sizes = append(rep.Sizes, s)
	}
	if rep.Breakdown, err = b.breakdown(ctx, b.wrkSize()); err != nil {
		return nil, fmt.Errorf("breakdown: %w", err)
	}
	if rep.Fleet, err = b.fleet(ctx, b.wrkSize()); err != nil {
		return nil, fmt.Errorf("fleet: %w", err)
	}
	if rep.Profiles, err = b.profiles(ctx, rep); err != nil {
		return nil, err
	}
	rep.Elapsed = time.Since(rep.Started)
	return rep, nil
}
