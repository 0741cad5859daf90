package runner

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/logstats/logstats"
	"github.com/logstats/logstats/internal/statsjson"
)

// runBreakdown does -breakdown CUSTOMER: it prints the customer's
// requests of -from to -to grouped by -by, as a table, or with -json as
// GET /customers/{id}/breakdown answers.
func runBreakdown(ctx context.Context, cfg Config, env Env) error {
	switch {
	case len(cfg.Args) > 0:
		return fmt.Errorf("-breakdown reads no file: drop the FILE arguments")
	case cfg.Follow || cfg.DryRun || cfg.Verify || cfg.Sources || cfg.Forget != "" || cfg.PruneBefore != "" || cfg.ExportFormat != "":
		return fmt.Errorf("-breakdown goes with none of -follow, -dry-run, -verify, -sources, -forget, -prune-before and -export-format")
	case cfg.By == "":
		return fmt.Errorf("-breakdown needs -by KEYS: endpoint, method, route, path, status or status_class, several separated by commas")
	case cfg.From == "":
		return fmt.Errorf("-breakdown needs -from YYYY-MM-DD (and -to YYYY-MM-DD, or it runs to the last day)")
	}
	f := logstats.BreakdownFilter{Sort: cfg.Sort, Limit: cfg.Limit}
	var err error
	if f.Ascending, err = cfg.ascending(); err != nil {
		return err
	}
	for _, k := range strings.Split(cfg.By, ",") {
		f.By = append(f.By, strings.TrimSpace(k))
	}
	if f.From, f.To, err = cfg.days(); err != nil {
		return err
	}
	svc, closeDB, err := openStats(ctx, env)
	if err != nil {
		return err
	}
	defer closeDB()
	b, err := svc.Breakdown(ctx, cfg.Breakdown, f)
	if err != nil {
		return err
	}
	if cfg.JSON {
		_, err := env.Stdout.Write(append(statsjson.AppendBreakdown(nil, b, nil), '\n'))
		return err
	}
	return printBreakdown(env.Stdout, b, cmp.Or(cfg.Sort, "total_requests"), f.Ascending)
}

// printBreakdown writes b as a table: a line saying what it is, a header,
// a row a group, and a row of the groups past the limit.
func printBreakdown(w io.Writer, b *logstats.Breakdown, sort string, ascending bool) error {
	to := "the last day"
	if b.To != nil {
		to = b.To.String()
	}
	fmt.Fprintf(w, "%s, %s to %s (%s), failed %s, by %s: %d groups", b.CustomerID, b.From, to, b.DayZone, b.Failed, strings.Join(b.By, ", "), b.TotalGroups)
	if len(b.Groups) < b.TotalGroups {
		order := "largest"
		if ascending {
			order = "smallest"
		}
		fmt.Fprintf(w, ", the first %d by %s, %s first", len(b.Groups), sort, order)
	}
	fmt.Fprintln(w)
	if b.TotalGroups == 0 {
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	var head []string
	for _, k := range b.By {
		head = append(head, strings.ToUpper(k))
	}
	head = append(head, "REQUESTS", "FAILED", "UPTIME %", "MEDIAN ms", "P99 ms", "")
	fmt.Fprintln(tw, strings.Join(head, "\t"))
	for _, g := range b.Groups {
		var cells []string
		for _, v := range g.Key {
			if v == "" {
				v = "-"
			}
			cells = append(cells, v)
		}
		fmt.Fprintln(tw, strings.Join(append(cells, statsCells(&g.Stats)...), "\t"))
	}
	if b.Other != nil {
		cells := make([]string, len(b.By))
		cells[0] = fmt.Sprintf("other %d groups", b.TotalGroups-len(b.Groups))
		fmt.Fprintln(tw, strings.Join(append(cells, statsCells(b.Other)...), "\t"))
	}
	return tw.Flush()
}

// statsCells are the cells of a group's stats, and an empty one that ends
// the row (tabwriter aligns the cells that a tab ends).
func statsCells(st *logstats.Stats) []string {
	latency := func(us int64) string {
		if st.TimedRequests == 0 {
			return "-"
		}
		return fmt.Sprintf("%d.%03d", us/1000, us%1000) // ms, exact
	}
	return []string{
		strconv.FormatInt(st.TotalRequests, 10),
		strconv.FormatInt(st.FailedRequests, 10),
		strconv.FormatFloat(st.Uptime, 'f', 2, 64),
		latency(st.MedianLatency.Microseconds()),
		latency(st.P99Latency.Microseconds()),
		"",
	}
}
