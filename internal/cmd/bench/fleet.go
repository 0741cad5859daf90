package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/logstats/logstats"
)

// fleetResult is the fleet of fleetCustomers customers over 30 days (SPEC
// §15), asked of logstats and of DuckDB, each in a process of its own
// after a warm-up, at two sizes: Requests, and ten times as many.
type fleetResult struct {
	Customers int
	Requests  int // over the 30 days, all customers together
	Reps      int
	// Logstats and DuckDB are the medians at Requests; LogstatsX10 and
	// DuckDBX10 at ten times as many requests per customer-day.
	Logstats, DuckDB, LogstatsX10, DuckDBX10 time.Duration
	// Profile is a CPU profile of logstats's timed fleets at Requests.
	Profile string
}

// fleetCustomers is how many customers the fleet's logs have.
const fleetCustomers = 1000

// fleet measures the fleet of 1,000 customers over 30 days with n
// requests, and with 10n.
func (b *bench) fleet(ctx context.Context, n int) (*fleetResult, error) {
	res := &fleetResult{Customers: fleetCustomers, Requests: n, Reps: max(5, b.cfg.reps)}
	res.Profile = filepath.Join(b.cfg.work, "fleet.pprof")
	from, to := genStart, genStart.AddDays(genDays-1)
	customer := func(rng *rand.Rand) string { return fmt.Sprintf("c%04d", rng.IntN(fleetCustomers)) }
	for i, size := range []int{n, 10 * n} {
		name := "fleet-" + strconv.Itoa(size)
		logPath, csvPath := filepath.Join(b.cfg.work, name+".log"), filepath.Join(b.cfg.work, name+".csv")
		db, duck := filepath.Join(b.cfg.work, name+".db"), filepath.Join(b.cfg.work, name+".duckdb")
		log.Printf("fleet: %d requests of %d customers: generating, loading SQLite and DuckDB", size, fleetCustomers)
		err := writeBreakdownLog(logPath, csvPath, size, uint64(3+i), customer)
		removeDB(db)
		removeDuckDB(duck)
		if err == nil {
			_, err = b.run(ctx, b.bin("runner"), "-progress", "off", "-complete", "-dsn", "sqlite://"+db, logPath)
		}
		var out []byte
		if err == nil {
			_, out, err = b.output(ctx, "node", b.duckdbScript("breakdown.mjs"), "load", duck, csvPath)
		}
		os.Remove(logPath)
		os.Remove(csvPath)
		defer removeDB(db)
		defer removeDuckDB(duck)
		if err != nil {
			return nil, err
		}
		var loaded struct{ Rows int }
		if err := json.Unmarshal(out, &loaded); err != nil || loaded.Rows != size {
			return nil, fmt.Errorf("DuckDB loaded %s (%v), want %d rows", out, err, size)
		}

		log.Printf("fleet: asking %d times each after a warm-up", res.Reps)
		args := []string{"fleet-query", "-db", db, "-from", from.String(), "-to", to.String(), "-reps", strconv.Itoa(res.Reps)}
		if i == 0 {
			args = append(args, "-cpuprofile", res.Profile)
		}
		var ours, theirs breakdownTimes
		_, out, err = b.output(ctx, b.bin("bench"), args...)
		if err == nil {
			err = json.Unmarshal(out, &ours)
		}
		if err != nil {
			return nil, fmt.Errorf("logstats's fleet: %v", err)
		}
		if _, out, err = b.output(ctx, "node", b.duckdbScript("breakdown.mjs"), "fleet", duck, from.String(), to.String(), strconv.Itoa(res.Reps)); err != nil {
			return nil, err
		}
		if err := json.Unmarshal(out, &theirs); err != nil {
			return nil, fmt.Errorf("DuckDB's fleet: %v in %q", err, out)
		}
		if ours.Groups != theirs.Groups || ours.Requests != theirs.Requests || ours.Requests != size {
			return nil, fmt.Errorf("fleets disagree: logstats %d customers of %d requests, DuckDB %d of %d, want %d requests", ours.Groups, ours.Requests, theirs.Groups, theirs.Requests, size)
		}
		if i == 0 {
			res.Logstats, res.DuckDB = ours.median(), theirs.median()
		} else {
			res.LogstatsX10, res.DuckDBX10 = ours.median(), theirs.median()
		}
	}
	return res, nil
}

// fleetQuery is the process `bench fleet-query` that times the fleet in:
// it opens the database, asks for every customer's stats once (a
// warm-up), then -reps times, and prints breakdownTimes (a group a
// customer).
func fleetQuery(args []string) error {
	q, err := openQueryProcess("fleet-query", args, nil)
	if err != nil {
		return err
	}
	defer q.db.Close()
	f := logstats.FleetFilter{From: q.from, To: &q.to, Limit: logstats.MaxFleetLimit}
	var out breakdownTimes
	var fl *logstats.Fleet
	if out.MS, err = q.time(func() (err error) {
		fl, err = q.svc.Fleet(context.Background(), f)
		return err
	}); err != nil {
		return err
	}
	out.Groups = fl.TotalCustomers
	for _, c := range fl.Customers {
		out.Requests += int(c.Stats.TotalRequests)
	}
	return json.NewEncoder(os.Stdout).Encode(out)
}
