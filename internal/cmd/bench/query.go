package main

import (
	"context"
	"database/sql"
	"flag"
	"os"
	"runtime/pprof"
	"time"

	"github.com/logstats/logstats"
	"github.com/logstats/logstats/internal/dsn"
)

// A queryProcess is a process of its own that the run starts to time a
// query in (`bench breakdown-query`, `bench fleet-query`): the database
// it asks, the range, how many timed runs, and where to write a CPU
// profile of them.
type queryProcess struct {
	svc      *logstats.StatsService
	db       *sql.DB
	from, to logstats.Date
	reps     int
	profile  string
}

// openQueryProcess parses the flags -db, -from, -to, -reps and
// -cpuprofile of args, and those more defines, and opens the database.
func openQueryProcess(name string, args []string, more func(fs *flag.FlagSet)) (*queryProcess, error) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	db := fs.String("db", "", "SQLite database file")
	fromText := fs.String("from", "", "first day")
	toText := fs.String("to", "", "last day")
	q := &queryProcess{}
	fs.IntVar(&q.reps, "reps", 5, "timed runs")
	fs.StringVar(&q.profile, "cpuprofile", "", "write a CPU profile of the timed runs to this file")
	if more != nil {
		more(fs)
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	var err error
	if q.from, err = logstats.ParseDate(*fromText); err != nil {
		return nil, err
	}
	if q.to, err = logstats.ParseDate(*toText); err != nil {
		return nil, err
	}
	d, err := dsn.Parse("sqlite://" + *db)
	if err != nil {
		return nil, err
	}
	if q.db, err = dsn.Open(context.Background(), d); err != nil {
		return nil, err
	}
	q.svc = logstats.NewStatsService(q.db)
	return q, nil
}

// time runs ask once (a warm-up), then q.reps times, profiled when asked,
// and returns the timed runs in milliseconds.
func (q *queryProcess) time(ask func() error) ([]float64, error) {
	var ms []float64
	for i := range q.reps + 1 {
		if i == 1 && q.profile != "" {
			f, err := os.Create(q.profile)
			if err != nil {
				return nil, err
			}
			if err := pprof.StartCPUProfile(f); err != nil {
				return nil, err
			}
			defer f.Close()
			defer pprof.StopCPUProfile()
		}
		start := time.Now()
		if err := ask(); err != nil {
			return nil, err
		}
		if i > 0 {
			ms = append(ms, float64(time.Since(start).Microseconds())/1000)
		}
	}
	return ms, nil
}
