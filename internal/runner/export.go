package runner

import (
	"context"
	"fmt"

	"github.com/logstats/logstats"
	"github.com/logstats/logstats/internal/export"
)

// runExport does -export CUSTOMER: it writes the customer's raw requests
// of -from to -to on stdout, as GET /customers/{id}/requests does, and
// nothing else there (the summary, with -json, goes nowhere).
func runExport(ctx context.Context, cfg Config, env Env) error {
	switch {
	case cfg.JSON:
		return fmt.Errorf("-export writes its own format on stdout (-export-format ndjson or csv): drop -json")
	case len(cfg.Args) > 0:
		return fmt.Errorf("-export reads no file: drop the FILE arguments")
	case cfg.Follow || cfg.DryRun || cfg.Verify || cfg.Sources || cfg.Forget != "" || cfg.PruneBefore != "":
		return fmt.Errorf("-export goes with none of -follow, -dry-run, -verify, -sources, -forget and -prune-before")
	case cfg.Breakdown != "" || cfg.By != "" || cfg.Sort != "" || cfg.Order != "" || cfg.Limit != 0:
		return fmt.Errorf("-export goes with none of -breakdown, -by, -sort, -order and -limit")
	case cfg.From == "":
		return fmt.Errorf("-export needs -from YYYY-MM-DD (and -to YYYY-MM-DD, or it runs to the last day)")
	}
	var f logstats.RequestFilter
	var err error
	if f.From, f.To, err = cfg.days(); err != nil {
		return err
	}
	format := cfg.ExportFormat
	if format == "" {
		format = export.NDJSON
	}
	if err := export.CheckFormat(format); err != nil {
		return fmt.Errorf("-export-format: %v", err)
	}
	db, err := env.OpenDB(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	var dims []string
	if format == export.CSV {
		if dims, err = logstats.DimensionNames(ctx, db); err != nil {
			return err
		}
	}
	enc, err := export.NewEncoder(env.Stdout, format, dims)
	if err != nil {
		return err
	}
	for r, err := range logstats.Requests(ctx, db, cfg.Export, f) {
		if err != nil {
			enc.Flush()
			return err
		}
		if err := enc.Encode(&r); err != nil {
			return err
		}
	}
	return enc.Flush()
}

// days returns the days of -from (required) and -to (nil when not given).
func (cfg *Config) days() (from logstats.Date, to *logstats.Date, err error) {
	if from, err = logstats.ParseDate(cfg.From); err != nil {
		return from, nil, fmt.Errorf("-from: %v", err)
	}
	if cfg.To != "" {
		d, err := logstats.ParseDate(cfg.To)
		if err != nil {
			return from, nil, fmt.Errorf("-to: %v", err)
		}
		to = &d
	}
	return from, to, nil
}
