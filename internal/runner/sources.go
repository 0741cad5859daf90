package runner

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/logstats/logstats"
)

// runSources does -sources (list the loaded logs) or -forget SOURCE (undo
// the loads of one).
func runSources(ctx context.Context, cfg Config, env Env, sum *Summary, text io.Writer) error {
	switch {
	case cfg.Sources && cfg.Forget != "":
		return fmt.Errorf("-sources and -forget go one at a time")
	case len(cfg.Args) > 0:
		return fmt.Errorf("-sources and -forget read no file: drop the FILE arguments (-forget takes the source's id or name)")
	case cfg.Follow || cfg.DryRun || cfg.Verify || cfg.PruneBefore != "":
		return fmt.Errorf("-sources and -forget go with none of -follow, -dry-run, -verify and -prune-before")
	}
	db, err := env.OpenDB(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	ing := logstats.NewIngester(db)
	sources, err := ing.FindSources(ctx)
	if err != nil {
		return err
	}
	if cfg.Sources {
		sum.Sources = sources
		printSources(text, sources)
		return nil
	}
	src, err := pickSource(sources, cfg.Forget)
	if err != nil {
		return err
	}
	res, err := ing.Forget(ctx, src.ID)
	if err != nil {
		return fmt.Errorf("-forget %s: %w", cfg.Forget, err)
	}
	sum.Forgotten = res
	fmt.Fprintf(text, "forgot %s (source %d): %s lines, %s requests removed, %s customer-days corrected; load it again with the right flags\n",
		res.Source, res.SourceID, thousands(res.Lines), thousands(res.Requests), thousands(res.Days))
	return nil
}

// printSources writes the sources as a table.
func printSources(w io.Writer, sources []logstats.Source) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tFORMAT\tCUSTOMER\tDEFAULT\tLINES\tREQUESTS\tFIRST DAY\tLAST DAY\tDIMENSIONS")
	for _, s := range sources {
		first, last := "-", "-"
		if s.FirstDay != nil {
			first, last = s.FirstDay.String(), s.LastDay.String()
		}
		customer := s.Customer
		if customer == "" {
			customer = "(format's)"
		}
		name := s.Name
		if s.Forgetting {
			name += " (being forgotten: -forget it again)"
		}
		dims := "-"
		if len(s.Dimensions) > 0 {
			dims = strings.Join(s.Dimensions, " ")
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", s.ID, name, s.Format, customer, s.CustomerDefault,
			thousands(s.Lines), thousands(s.Requests), first, last, dims)
	}
	tw.Flush()
	fmt.Fprintf(w, "%d sources\n", len(sources))
}

// pickSource returns the source that arg names: its id, its name, or a
// path to the same file name; an error lists the candidates when arg
// names none or several.
func pickSource(sources []logstats.Source, arg string) (logstats.Source, error) {
	if id, err := strconv.ParseInt(arg, 10, 64); err == nil {
		for _, s := range sources {
			if s.ID == id {
				return s, nil
			}
		}
	}
	var found []logstats.Source
	for _, s := range sources {
		if s.Name == arg {
			found = append(found, s)
		}
	}
	if len(found) == 0 {
		for _, s := range sources {
			if filepath.Base(s.Name) == filepath.Base(arg) {
				found = append(found, s)
			}
		}
	}
	switch len(found) {
	case 1:
		return found[0], nil
	case 0:
		return logstats.Source{}, fmt.Errorf("-forget %s: no source has that id or name; -sources lists them", arg)
	}
	var b strings.Builder
	for _, s := range found {
		fmt.Fprintf(&b, "\n  %d  %s  (%s lines, first day %s)", s.ID, s.Name, thousands(s.Lines), dayOrNone(s.FirstDay))
	}
	return logstats.Source{}, fmt.Errorf("-forget %s: %d sources have that name; give the id of one:%s", arg, len(found), b.String())
}

func dayOrNone(d *logstats.Date) string {
	if d == nil {
		return "none"
	}
	return d.String()
}
