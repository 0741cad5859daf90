package main

import (
	"context"
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

// profiles takes a CPU profile of the runner for each kind of target that
// was missed: the load on MySQL, on SQLite (against sqlite3, DuckDB or
// GoAccess), of an nginx log on SQLite (against GoAccess), and the dry
// run; each on a log the size of the largest missed, or of the largest log
// of at most 1M lines when the target has no size.
func (b *bench) profiles(ctx context.Context, rep *report) ([]profile, error) {
	missed := make(map[string]int) // kind → lines
	for _, t := range rep.targets() {
		if t.met {
			continue
		}
		kind := ""
		switch {
		case strings.HasPrefix(t.what, "MySQL ingest"):
			kind = "mysql"
		case strings.HasPrefix(t.what, "SQLite ingest"):
			kind = "sqlite"
		case strings.HasPrefix(t.what, "parse only"):
			kind = "parse"
		case strings.HasPrefix(t.what, "nginx log, SQLite load"):
			kind = "nginx"
		case strings.HasPrefix(t.what, "breakdown"):
			kind = "breakdown"
		case strings.HasPrefix(t.what, "fleet"):
			kind = "fleet"
		default:
			continue
		}
		n := t.lines
		if n == 0 {
			n = b.wrkSize()
		}
		missed[kind] = max(missed[kind], n)
	}
	if len(missed) == 0 {
		return nil, nil
	}
	var out []profile
	if missed["fleet"] > 0 && rep.Fleet != nil {
		// Taken by the fleet's own process, of its timed runs.
		top, err := exec.CommandContext(ctx, "go", "tool", "pprof", "-top", "-nodecount", "25", b.bin("bench"), rep.Fleet.Profile).Output()
		if err != nil {
			return nil, fmt.Errorf("go tool pprof: %v", err)
		}
		out = append(out, profile{
			Title:   fmt.Sprintf("Fleet of %s customers, %s requests (SQLite)", thousands(float64(rep.Fleet.Customers)), count(rep.Fleet.Requests)),
			Command: "bench fleet-query -cpuprofile fleet.pprof ... && go tool pprof -top -nodecount 25 bench fleet.pprof",
			Top:     string(top),
		})
	}
	if missed["breakdown"] > 0 && rep.Breakdown != nil && rep.Breakdown.Profile != "" {
		// Taken by the breakdown's own process, of its timed runs.
		top, err := exec.CommandContext(ctx, "go", "tool", "pprof", "-top", "-nodecount", "25", b.bin("bench"), rep.Breakdown.Profile).Output()
		if err != nil {
			return nil, fmt.Errorf("go tool pprof: %v", err)
		}
		out = append(out, profile{
			Title:   fmt.Sprintf("Breakdown by endpoint of %s requests of one customer (SQLite)", count(rep.Breakdown.Requests)),
			Command: "bench breakdown-query -cpuprofile breakdown.pprof ... && go tool pprof -top -nodecount 25 bench breakdown.pprof",
			Top:     string(top),
		})
	}
	prof := filepath.Join(b.cfg.work, "cpu.pprof")
	sqlitePath := filepath.Join(b.cfg.work, "profile.db")
	defer removeDB(sqlitePath)
	generated := make(map[string]bool)                                   // the logs made so far
	for _, kind := range []string{"mysql", "sqlite", "parse", "nginx"} { // the breakdown's is above
		n := missed[kind]
		if n == 0 {
			continue
		}
		format := "logstats"
		if kind == "nginx" {
			format = "nginx"
		}
		logPath := filepath.Join(b.cfg.work, fmt.Sprintf("profile-%s-%d.log", format, n))
		if !generated[logPath] {
			if _, err := b.run(ctx, b.bin("loggen"), "-format", format, "-lines", strconv.Itoa(n), "-o", logPath); err != nil {
				return nil, err
			}
			generated[logPath] = true
			defer os.Remove(logPath)
		}
		args := []string{"-progress", "off", "-complete", "-cpuprofile", prof}
		title := ""
		switch kind {
		case "mysql":
			if err := b.freshMySQL(ctx, "bench_profile"); err != nil {
				return nil, err
			}
			args = append(args, "-dsn", b.mysqlDSN("bench_profile"))
			title = fmt.Sprintf("Runner loading %s lines into MySQL (the client's CPU only; the server's work is not in it)", count(n))
		case "sqlite":
			removeDB(sqlitePath)
			args = append(args, "-dsn", "sqlite://"+sqlitePath)
			title = fmt.Sprintf("Runner loading %s lines into SQLite", count(n))
		case "parse":
			args = append(args, "-dry-run")
			title = fmt.Sprintf("Runner -dry-run on %s lines", count(n))
		case "nginx":
			removeDB(sqlitePath)
			args = append(args, "-format", "nginx", "-dsn", "sqlite://"+sqlitePath)
			title = fmt.Sprintf("Runner loading an nginx log of %s lines into SQLite", count(n))
		}
		log.Printf("profiling: %s", title)
		if _, err := b.run(ctx, b.bin("runner"), append(args, logPath)...); err != nil {
			return nil, err
		}
		top, err := exec.CommandContext(ctx, "go", "tool", "pprof", "-top", "-nodecount", "25", b.bin("runner"), prof).Output()
		if err != nil {
			return nil, fmt.Errorf("go tool pprof: %v", err)
		}
		out = append(out, profile{
			Title:   title,
			Command: "runner " + strings.Join(args, " ") + " LOG && go tool pprof -top -nodecount 25 runner " + filepath.Base(prof),
			Top:     string(top),
		})
	}
	b.sql(ctx, "", "DROP DATABASE IF EXISTS bench_profile")
	return out, nil
}
