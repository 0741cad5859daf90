package runner

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/logstats/logstats"
)

// ErrInconsistent is what -verify returns when it found discrepancies (the
// runner exits 1).
var ErrInconsistent = errors.New("the database is not consistent")

// runVerify checks the database (logstats.Verify) and prints what it
// found: each discrepancy and a total line, or the report in the summary.
func runVerify(ctx context.Context, cfg Config, env Env, sum *Summary, text io.Writer) error {
	switch {
	case len(cfg.Args) > 0:
		return fmt.Errorf("-verify checks the database and reads no file: drop the FILE arguments")
	case cfg.Follow || cfg.DryRun || cfg.PruneBefore != "":
		return fmt.Errorf("-verify goes with none of -follow, -dry-run and -prune-before")
	}
	db, err := env.OpenDB(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	rep, err := logstats.Verify(ctx, db, logstats.VerifyOptions{})
	if err != nil {
		return err
	}
	sum.Verify = rep
	for _, d := range rep.Discrepancies {
		fmt.Fprintln(text, d)
	}
	verdict := "consistent"
	if !rep.OK() {
		verdict = fmt.Sprintf("%d discrepancies", len(rep.Discrepancies))
	}
	fmt.Fprintf(text, "verified %s sources (%s loaded before their requests were counted), %s raw requests, %s customer-days: %s\n",
		thousands(rep.Sources), thousands(rep.Uncounted), thousands(rep.Requests), thousands(rep.Days), verdict)
	if !rep.OK() {
		return fmt.Errorf("%w: %d discrepancies (listed above, or under \"verify\" with -json)", ErrInconsistent, len(rep.Discrepancies))
	}
	return nil
}
