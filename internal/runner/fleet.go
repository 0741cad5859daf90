package runner

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/logstats/logstats"
	"github.com/logstats/logstats/internal/statsjson"
)

// runFleet does -fleet: it prints every customer with requests from -from
// to -to with its stats, ordered by -sort, as a table, or with -json as
// GET /customers/?from= answers.
func runFleet(ctx context.Context, cfg Config, env Env) error {
	switch {
	case len(cfg.Args) > 0:
		return fmt.Errorf("-fleet reads no file: drop the FILE arguments")
	case cfg.Follow || cfg.DryRun || cfg.Verify || cfg.Sources || cfg.Forget != "" || cfg.PruneBefore != "" || cfg.ExportFormat != "" || cfg.By != "":
		return fmt.Errorf("-fleet goes with none of -follow, -dry-run, -verify, -sources, -forget, -prune-before, -export-format and -by")
	case cfg.From == "":
		return fmt.Errorf("-fleet needs -from YYYY-MM-DD (and -to YYYY-MM-DD, or it runs to the last day)")
	}
	f := logstats.FleetFilter{Sort: cfg.Sort, Limit: cfg.Limit}
	var err error
	if f.Ascending, err = cfg.ascending(); err != nil {
		return err
	}
	if f.From, f.To, err = cfg.days(); err != nil {
		return err
	}
	svc, closeDB, err := openStats(ctx, env)
	if err != nil {
		return err
	}
	defer closeDB()
	fl, err := svc.Fleet(ctx, f)
	if err != nil {
		return err
	}
	if cfg.JSON {
		_, err := env.Stdout.Write(append(statsjson.AppendFleet(nil, fl, nil), '\n'))
		return err
	}
	return printFleet(env.Stdout, fl, cmp.Or(cfg.Sort, "total_requests"), f.Ascending)
}

// printFleet writes fl as a table: a line saying what it is, a header and
// a row a customer.
func printFleet(w io.Writer, fl *logstats.Fleet, sort string, ascending bool) error {
	to := "the last day"
	if fl.To != nil {
		to = fl.To.String()
	}
	order := "largest"
	if ascending {
		order = "smallest"
	}
	fmt.Fprintf(w, "%s to %s (%s), failed %s: %d customers", fl.From, to, fl.DayZone, fl.Failed, fl.TotalCustomers)
	if len(fl.Customers) < fl.TotalCustomers {
		fmt.Fprintf(w, ", the first %d", len(fl.Customers))
	}
	fmt.Fprintf(w, " by %s, %s first\n", sort, order)
	if len(fl.Customers) == 0 {
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, strings.Join([]string{"CUSTOMER", "REQUESTS", "FAILED", "UPTIME %", "MEDIAN ms", "P99 ms", "OBJECTIVES", ""}, "\t"))
	for _, c := range fl.Customers {
		cells := append([]string{c.CustomerID}, statsCells(&c.Stats)...)
		cells[len(cells)-1] = objectivesCell(c.Objectives)
		fmt.Fprintln(tw, strings.Join(append(cells, ""), "\t"))
	}
	return tw.Flush()
}

// objectivesCell says whether objectives are met: "met", "breached: ..."
// naming those that are not, or "-" for none.
func objectivesCell(objectives []logstats.ObjectiveStatus) string {
	if len(objectives) == 0 {
		return "-"
	}
	var breached []string
	for _, o := range objectives {
		if !o.Met {
			breached = append(breached, o.Objective.String())
		}
	}
	if len(breached) == 0 {
		return "met"
	}
	return "breached: " + strings.Join(breached, ",")
}
