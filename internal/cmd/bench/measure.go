package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"
)

// bench runs the measurements.
type bench struct {
	cfg config
}

// sizeResult holds every figure measured on one log size.
type sizeResult struct {
	Lines int
	Bytes int64

	// Ingest, end to end (process start to exit), median of the repetitions.
	MySQLRunner, MySQLSeedLoad, MySQLRawLoad time.Duration
	SQLiteRunner, SQLiteImport, GoAccess     time.Duration
	// DuckDB is read_csv into a new DuckDB database file, by node.
	DuckDB time.Duration
	// SQLiteRowsRunner is the runner's load with -raw rows, run once.
	SQLiteRowsRunner time.Duration
	// Peak RSS of the runner, in KiB, per backend (the largest of the reps).
	MySQLRunnerRSS, SQLiteRunnerRSS int64

	// Parse only: runner -dry-run and awk, median.
	DryRun, Awk time.Duration

	// Storage is the room the log takes in each raw mode.
	Storage storageResult
	// Export is the export of the customer with the most requests.
	Export *exportResult

	// Stats latencies over the same random requests.
	Stats []statsResult
	// Throughput with wrk, on the largest size of at most 1M lines.
	Wrk []wrkResult
}

// run executes a command and returns its wall time. Its output goes to the
// log only when it fails.
func (b *bench) run(ctx context.Context, name string, args ...string) (time.Duration, error) {
	d, _, err := b.execute(ctx, false, name, args...)
	return d, err
}

// output executes a command and returns its wall time and standard output;
// its standard error goes to the log only when it fails.
func (b *bench) output(ctx context.Context, name string, args ...string) (time.Duration, []byte, error) {
	return b.execute(ctx, true, name, args...)
}

func (b *bench) execute(ctx context.Context, keepStdout bool, name string, args ...string) (time.Duration, []byte, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	if keepStdout {
		cmd.Stdout = &stdout
	}
	start := time.Now()
	err := cmd.Run()
	elapsed := time.Since(start)
	if err != nil {
		return 0, nil, fmt.Errorf("%s %s: %v\n%s", name, strings.Join(args, " "), err, tail(stderr.String()))
	}
	return elapsed, stdout.Bytes(), nil
}

// shell runs a shell pipeline and returns its wall time.
func (b *bench) shell(ctx context.Context, script string) (time.Duration, error) {
	return b.run(ctx, "bash", "-o", "pipefail", "-c", script)
}

// timed runs a command under /usr/bin/time and returns its wall time and
// peak RSS in KiB.
func (b *bench) timed(ctx context.Context, name string, args ...string) (time.Duration, int64, error) {
	rssFile := filepath.Join(b.cfg.work, "rss.txt")
	d, err := b.run(ctx, "/usr/bin/time", append([]string{"-f", "%M", "-o", rssFile, name}, args...)...)
	if err != nil {
		return 0, 0, err
	}
	text, err := os.ReadFile(rssFile)
	if err != nil {
		return 0, 0, err
	}
	rss, err := strconv.ParseInt(strings.TrimSpace(string(text)), 10, 64)
	return d, rss, err
}

func tail(s string) string {
	if len(s) > 2000 {
		return "..." + s[len(s)-2000:]
	}
	return s
}

// reps is how many times measurements on n lines are repeated.
func (b *bench) reps(n int) int {
	if n > 1_000_000 {
		return 1
	}
	return max(b.cfg.reps, 1)
}

// median runs f reps times and returns the median duration and the largest
// second value (peak RSS).
func median(reps int, f func() (time.Duration, int64, error)) (time.Duration, int64, error) {
	ds, peaks, err := medians(reps, f)
	if err != nil {
		return 0, 0, err
	}
	return ds[0], peaks[0], nil
}

// medians runs each of fs in turn, reps rounds of them, so that a machine
// that gets busier or quieter (it is shared) weighs on each alike, and
// returns each one's median duration and largest second value (peak RSS).
func medians(reps int, fs ...func() (time.Duration, int64, error)) ([]time.Duration, []int64, error) {
	runs := make([][]time.Duration, len(fs))
	peaks := make([]int64, len(fs))
	for range reps {
		for i, f := range fs {
			d, v, err := f()
			if err != nil {
				return nil, nil, err
			}
			runs[i] = append(runs[i], d)
			peaks[i] = max(peaks[i], v)
		}
	}
	meds := make([]time.Duration, len(fs))
	for i, ds := range runs {
		slices.Sort(ds)
		meds[i] = ds[len(ds)/2]
	}
	return meds, peaks, nil
}

func noRSS(d time.Duration, err error) (time.Duration, int64, error) { return d, 0, err }

// generate writes a log of n lines of format with loggen, and returns its
// path and size.
func (b *bench) generate(ctx context.Context, format string, n int) (string, int64, error) {
	path := filepath.Join(b.cfg.work, fmt.Sprintf("%s-%d.log", format, n))
	log.Printf("%d lines: generating %s", n, path)
	if _, err := b.run(ctx, b.bin("loggen"), "-format", format, "-lines", strconv.Itoa(n), "-o", path); err != nil {
		return "", 0, err
	}
	fi, err := os.Stat(path)
	if err != nil {
		return "", 0, err
	}
	return path, fi.Size(), nil
}

// size measures everything on a log of n lines.
func (b *bench) size(ctx context.Context, n int) (*sizeResult, error) {
	res := &sizeResult{Lines: n}
	logPath, size, err := b.generate(ctx, "logstats", n)
	if err != nil {
		return nil, err
	}
	res.Bytes = size
	reps := b.reps(n)

	log.Printf("%d lines: parse only (runner -dry-run, awk)", n)
	if res.DryRun, _, err = median(reps, func() (time.Duration, int64, error) {
		return noRSS(b.run(ctx, b.bin("runner"), "-dry-run", logPath))
	}); err != nil {
		return nil, err
	}
	if res.Awk, _, err = median(reps, func() (time.Duration, int64, error) {
		return noRSS(b.run(ctx, "awk", "{n+=$6} END {print n}", logPath))
	}); err != nil {
		return nil, err
	}

	log.Printf("%d lines: MySQL loads (Django schema, raw table, runner), in turn", n)
	ds, peaks, err := medians(reps, func() (time.Duration, int64, error) {
		return noRSS(b.loadSeed(ctx, logPath))
	}, func() (time.Duration, int64, error) {
		return noRSS(b.loadRaw(ctx, logPath))
	}, func() (time.Duration, int64, error) {
		if err := b.freshMySQL(ctx, "bench_logstats"); err != nil {
			return 0, 0, err
		}
		return b.timed(ctx, b.bin("runner"), "-progress", "off", "-complete", "-dsn", b.mysqlDSN("bench_logstats"), logPath)
	})
	if err != nil {
		return nil, err
	}
	res.MySQLSeedLoad, res.MySQLRawLoad, res.MySQLRunner, res.MySQLRunnerRSS = ds[0], ds[1], ds[2], peaks[2]
	if err := b.mysqlStorage(ctx, &res.Storage); err != nil {
		return nil, err
	}

	log.Printf("%d lines: SQLite loads (sqlite3 .import, DuckDB read_csv, GoAccess, runner), in turn", n)
	sqlitePath := filepath.Join(b.cfg.work, "logstats.db")
	ds, peaks, err = medians(reps, func() (time.Duration, int64, error) {
		return noRSS(b.sqliteImport(ctx, logPath))
	}, func() (time.Duration, int64, error) {
		return noRSS(b.duckdb(ctx, logPath, n))
	}, func() (time.Duration, int64, error) {
		return noRSS(b.goaccess(ctx, logPath))
	}, func() (time.Duration, int64, error) {
		removeDB(sqlitePath)
		return b.timed(ctx, b.bin("runner"), "-progress", "off", "-complete", "-dsn", "sqlite://"+sqlitePath, logPath)
	})
	if err != nil {
		return nil, err
	}
	res.SQLiteImport, res.DuckDB, res.GoAccess, res.SQLiteRunner, res.SQLiteRunnerRSS = ds[0], ds[1], ds[2], ds[3], peaks[3]
	st := &res.Storage
	if st.SQLiteBlocks, st.SQLiteBlocksRaw, err = b.sqliteSize(ctx, sqlitePath, blocksTable); err != nil {
		return nil, err
	}
	log.Printf("%d lines: SQLite load with -raw rows, for the database's size", n)
	rowsPath := filepath.Join(b.cfg.work, "rows.db")
	removeDB(rowsPath)
	if res.SQLiteRowsRunner, err = b.run(ctx, b.bin("runner"), "-progress", "off", "-complete", "-raw", "rows", "-dsn", "sqlite://"+rowsPath, logPath); err != nil {
		return nil, err
	}
	if st.SQLiteRows, st.SQLiteRowsRaw, err = b.sqliteSize(ctx, rowsPath, rowsTable); err != nil {
		return nil, err
	}
	removeDB(rowsPath)
	os.Remove(logPath) // the databases hold what the rest needs

	log.Printf("%d lines: export of the customer with the most requests", n)
	if res.Export, err = b.export(ctx, n, sqlitePath); err != nil {
		return nil, err
	}

	log.Printf("%d lines: stats queries", n)
	if res.Stats, err = b.stats(ctx, n, sqlitePath); err != nil {
		return nil, err
	}
	if b.wrkSize() == n {
		log.Printf("%d lines: HTTP throughput (wrk)", n)
		if res.Wrk, err = b.wrk(ctx, sqlitePath); err != nil {
			return nil, err
		}
	}
	removeDB(sqlitePath)
	for _, db := range []string{"bench_seed", "bench_raw", "bench_logstats"} {
		if err := b.sql(ctx, "", "DROP DATABASE IF EXISTS "+db); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// wrkSize is the size wrk runs on: the largest of at most 1M lines.
func (b *bench) wrkSize() int {
	best := 0
	for _, n := range b.cfg.sizes {
		if n <= 1_000_000 && n > best {
			best = n
		}
	}
	if best == 0 {
		best = slices.Min(b.cfg.sizes)
	}
	return best
}

func removeDB(path string) {
	for _, suffix := range []string{"", "-wal", "-shm", "-journal"} {
		os.Remove(path + suffix)
	}
}

func (b *bench) bin(name string) string { return filepath.Join(b.cfg.bin, name) }

// mysqlArgs are the mariadb client's connection arguments.
func (b *bench) mysqlArgs(db string) []string {
	args := []string{"--local-infile=1", "-h", b.cfg.mysqlHost, "-P", b.cfg.mysqlPort, "-u", b.cfg.mysqlUser, "--batch", "--skip-column-names"}
	if db != "" {
		args = append(args, db)
	}
	return args
}

func (b *bench) mysqlDSN(db string) string {
	return fmt.Sprintf("mysql://%s@%s:%s/%s", b.cfg.mysqlUser, b.cfg.mysqlHost, b.cfg.mysqlPort, db)
}

// sql runs statements with the mariadb client and returns the wall time.
func (b *bench) sqlTimed(ctx context.Context, db, stmts string) (time.Duration, error) {
	return b.run(ctx, "mariadb", append(b.mysqlArgs(db), "-e", stmts)...)
}

func (b *bench) sql(ctx context.Context, db, stmts string) error {
	_, err := b.sqlTimed(ctx, db, stmts)
	return err
}

// query runs one query with the mariadb client and returns its output.
func (b *bench) query(ctx context.Context, q string) (string, error) {
	out, err := exec.CommandContext(ctx, "mariadb", append(b.mysqlArgs(""), "-e", q)...).Output()
	return strings.TrimSpace(string(out)), err
}

func (b *bench) freshMySQL(ctx context.Context, db string) error {
	return b.sql(ctx, "", "DROP DATABASE IF EXISTS "+db+"; CREATE DATABASE "+db)
}

// seedSchema is the table of the original Django app: an auto-increment id
// and an index on (customer_id, timestamp), which its stats query uses.
const seedSchema = `CREATE TABLE logs_apirequest (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  timestamp DATETIME(6) NOT NULL,
  customer_id VARCHAR(128) NOT NULL,
  request_path VARCHAR(2048) NOT NULL,
  status_code INT NOT NULL,
  duration DOUBLE NOT NULL,
  KEY customer_ts (customer_id, timestamp)
) ENGINE=InnoDB`

// loadSeed times LOAD DATA LOCAL INFILE of the log into the seed's schema.
func (b *bench) loadSeed(ctx context.Context, logPath string) (time.Duration, error) {
	if err := b.freshMySQL(ctx, "bench_seed"); err != nil {
		return 0, err
	}
	if err := b.sql(ctx, "bench_seed", seedSchema); err != nil {
		return 0, err
	}
	return b.sqlTimed(ctx, "bench_seed", fmt.Sprintf(`LOAD DATA LOCAL INFILE '%s' INTO TABLE logs_apirequest
		FIELDS TERMINATED BY ' ' LINES TERMINATED BY '\n'
		(@d, @t, customer_id, request_path, status_code, duration) SET timestamp = CONCAT(@d, ' ', @t)`, logPath))
}

// loadRaw times LOAD DATA LOCAL INFILE of the log into logstats's own raw
// table (created by the runner's migrations), without rollups or ledger: the
// server parses the lines and computes the columns itself.
func (b *bench) loadRaw(ctx context.Context, logPath string) (time.Duration, error) {
	if err := b.freshMySQL(ctx, "bench_raw"); err != nil {
		return 0, err
	}
	// The runner's -prune-before with no file only migrates and prunes
	// (nothing): it creates the tables.
	if _, err := b.run(ctx, b.bin("runner"), "-dsn", b.mysqlDSN("bench_raw"), "-prune-before", "1970-01-02"); err != nil {
		return 0, err
	}
	return b.sqlTimed(ctx, "bench_raw", fmt.Sprintf(`SET time_zone = '+00:00'; SET @row = 0;
		LOAD DATA LOCAL INFILE '%s' INTO TABLE logstats_raw_requests
		FIELDS TERMINATED BY ' ' LINES TERMINATED BY '\n'
		(@d, @t, customer_id, path, status, @lat)
		SET source_id = 1, src_offset = (@row := @row + 1),
			ts_us = UNIX_TIMESTAMP(CONCAT(@d, ' ', @t)) * 1000000, latency_us = ROUND(@lat * 1000000)`, logPath))
}

// sqliteImport times sqlite3's .import of the log into a table of its six
// fields.
func (b *bench) sqliteImport(ctx context.Context, logPath string) (time.Duration, error) {
	db := filepath.Join(b.cfg.work, "import.db")
	removeDB(db)
	defer removeDB(db)
	if _, err := b.run(ctx, "sqlite3", db, "CREATE TABLE requests (day TEXT NOT NULL, time TEXT NOT NULL, customer_id TEXT NOT NULL, path TEXT NOT NULL, status INTEGER NOT NULL, latency REAL NOT NULL)"); err != nil {
		return 0, err
	}
	return b.run(ctx, "sqlite3", db, ".separator ' '", ".import "+logPath+" requests")
}

// goaccess times GoAccess building its JSON report of the log. GoAccess
// requires a client address on every line, which these logs have not, so a
// fixed one is prefixed by sed on the way in (sed runs on the other core).
func (b *bench) goaccess(ctx context.Context, logPath string) (time.Duration, error) {
	out := filepath.Join(b.cfg.work, "goaccess.json")
	defer os.Remove(out)
	return b.shell(ctx, fmt.Sprintf(`sed 's/^/127.0.0.1 /' %q | goaccess - --log-format='%%h %%d %%t %%e %%U %%s %%T' --date-format=%%Y-%%m-%%d --time-format=%%T --no-progress -o %q`, logPath, out))
}

// machineInfo describes where the figures come from.
type machineInfo struct {
	CPU, Kernel, Go, MariaDB string
	Commit                   string // of the logstats checkout measured
	Cores                    int
	RAM, BufferPool          int64 // bytes
	SQLite, GoAccessVersion  string
	Awk, Wrk                 string
	DuckDB, Node, Curl       string
}

func (b *bench) machine(ctx context.Context) (machineInfo, error) {
	m := machineInfo{Cores: runtime.NumCPU(), Go: runtime.Version()}
	cmd := exec.CommandContext(ctx, "git", "describe", "--always", "--dirty")
	cmd.Dir = b.cfg.moduleRoot
	if out, err := cmd.Output(); err == nil {
		m.Commit = strings.TrimSpace(string(out))
	}
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
		f.Close()
	}
	if text, err := os.ReadFile("/proc/meminfo"); err == nil {
		if f := regexp.MustCompile(`MemTotal:\s+(\d+) kB`).FindSubmatch(text); f != nil {
			kb, _ := strconv.ParseInt(string(f[1]), 10, 64)
			m.RAM = kb << 10
		}
	}
	if out, err := exec.CommandContext(ctx, "uname", "-sr").Output(); err == nil {
		m.Kernel = strings.TrimSpace(string(out))
	}
	out, err := b.query(ctx, "SELECT VERSION(), @@innodb_buffer_pool_size, @@local_infile")
	if err != nil {
		return m, fmt.Errorf("MariaDB/MySQL on %s:%s: %v (is it running?)", b.cfg.mysqlHost, b.cfg.mysqlPort, err)
	}
	f := strings.Split(out, "\t")
	if len(f) != 3 || f[2] != "1" && f[2] != "ON" {
		return m, fmt.Errorf("MariaDB/MySQL must allow LOAD DATA LOCAL INFILE (local_infile=ON) for the references; got %q", out)
	}
	m.MariaDB = f[0]
	m.BufferPool, _ = strconv.ParseInt(f[1], 10, 64)
	version := func(name string, args ...string) string {
		out, _ := exec.CommandContext(ctx, name, args...).CombinedOutput()
		line, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
		return line
	}
	m.SQLite = version("sqlite3", "--version")
	if fields := strings.Fields(m.SQLite); len(fields) > 0 {
		m.SQLite = fields[0]
	}
	m.GoAccessVersion = strings.TrimSuffix(strings.ReplaceAll(version("goaccess", "--version"), " - ", " "), ".")
	m.Awk, _, _ = strings.Cut(version("awk", "--version"), ",")
	m.Wrk = strings.Join(strings.Fields(version("wrk", "-v"))[:min(2, len(strings.Fields(version("wrk", "-v"))))], " ")
	m.Node = "node " + version("node", "--version")
	curl := strings.Fields(version("curl", "--version"))
	m.Curl = strings.Join(curl[:min(2, len(curl))], " ")
	if m.DuckDB, err = b.duckdbVersion(ctx); err != nil {
		return m, err
	}
	return m, nil
}
