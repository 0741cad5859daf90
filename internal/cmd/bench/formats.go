package main

import (
	"context"
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"time"
)

// nginxResult is logstats against GoAccess on one nginx-format log.
type nginxResult struct {
	Lines int
	Bytes int64
	// DryRun1 is runner -dry-run on one core (GOMAXPROCS=1), as GoAccess
	// parses; DryRun on every core.
	DryRun1, DryRun time.Duration
	// SQLite is a runner load into a new SQLite database.
	SQLite time.Duration
	// GoAccess builds its JSON report of the same file, with the combined
	// format and the trailing request time (%T).
	GoAccess time.Duration
}

// nginx measures logstats and GoAccess on an nginx log of n lines.
func (b *bench) nginx(ctx context.Context, n int) (*nginxResult, error) {
	res := &nginxResult{Lines: n}
	logPath, size, err := b.generate(ctx, "nginx", n)
	if err != nil {
		return nil, err
	}
	defer os.Remove(logPath)
	res.Bytes = size
	reps := b.reps(n)
	log.Printf("nginx, %d lines: parse only (runner -dry-run on one core and on all), GoAccess, SQLite load", n)
	if res.DryRun1, _, err = median(reps, func() (time.Duration, int64, error) {
		return noRSS(b.shell(ctx, fmt.Sprintf("GOMAXPROCS=1 %q -dry-run -format nginx %q", b.bin("runner"), logPath)))
	}); err != nil {
		return nil, err
	}
	if res.DryRun, _, err = median(reps, func() (time.Duration, int64, error) {
		return noRSS(b.run(ctx, b.bin("runner"), "-dry-run", "-format", "nginx", logPath))
	}); err != nil {
		return nil, err
	}
	out := filepath.Join(b.cfg.work, "goaccess-nginx.json")
	defer os.Remove(out)
	if res.GoAccess, _, err = median(reps, func() (time.Duration, int64, error) {
		return noRSS(b.run(ctx, "goaccess", logPath, `--log-format=%h %^[%d:%t %^] "%r" %s %b "%R" "%u" %T`,
			"--date-format=%d/%b/%Y", "--time-format=%T", "--no-progress", "-o", out))
	}); err != nil {
		return nil, err
	}
	dbPath := filepath.Join(b.cfg.work, "nginx.db")
	defer removeDB(dbPath)
	if res.SQLite, _, err = median(reps, func() (time.Duration, int64, error) {
		removeDB(dbPath)
		return noRSS(b.run(ctx, b.bin("runner"), "-progress", "off", "-complete", "-format", "nginx", "-dsn", "sqlite://"+dbPath, logPath))
	}); err != nil {
		return nil, err
	}
	return res, nil
}

// formatBench is BenchmarkParse's figures for one format.
type formatBench struct {
	Format      string
	NsPerLine   float64
	MBPerSecond float64
	AllocsPerOp int
}

// formatBenchmarks runs BenchmarkParse for every built-in format (one core,
// one Parser), the median of three runs each.
func (b *bench) formatBenchmarks(ctx context.Context) ([]formatBench, error) {
	cmd := exec.CommandContext(ctx, "go", "test", "-run", "^$", "-bench", "^BenchmarkParse$", "-benchmem", "-benchtime", "1s", "-count", "3", ".")
	cmd.Dir = b.cfg.moduleRoot
	out, err := cmd.CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("go test -bench BenchmarkParse: %v\n%s", err, out)
	}
	re := regexp.MustCompile(`BenchmarkParse/(\S+?)(?:-\d+)?\s+\d+\s+([\d.]+) ns/op\s+([\d.]+) MB/s\s+\d+ B/op\s+(\d+) allocs/op`)
	byFormat := map[string][]formatBench{}
	var order []string
	for _, m := range re.FindAllStringSubmatch(string(out), -1) {
		ns, _ := strconv.ParseFloat(m[2], 64)
		mbs, _ := strconv.ParseFloat(m[3], 64)
		allocs, _ := strconv.Atoi(m[4])
		if byFormat[m[1]] == nil {
			order = append(order, m[1])
		}
		byFormat[m[1]] = append(byFormat[m[1]], formatBench{m[1], ns, mbs, allocs})
	}
	if len(order) == 0 {
		return nil, fmt.Errorf("no BenchmarkParse result in:\n%s", out)
	}
	var res []formatBench
	for _, f := range order {
		runs := byFormat[f]
		slices.SortFunc(runs, func(a, b formatBench) int { return int(a.NsPerLine - b.NsPerLine) })
		mid := runs[len(runs)/2]
		for _, r := range runs {
			mid.AllocsPerOp = max(mid.AllocsPerOp, r.AllocsPerOp)
		}
		res = append(res, mid)
	}
	return res, nil
}
