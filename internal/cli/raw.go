package cli

import (
	"context"
	"database/sql"
	"flag"
	"fmt"

	"github.com/logstats/logstats"
)

// RawFlag is the -raw flag: how a new database keeps its raw requests
// (logstats.RawMode), recorded in it at the first load. Given, it must be
// the recorded mode; not given, the recorded one (or blocks) is used.
type RawFlag struct {
	fs   *flag.FlagSet
	mode *string
}

// AddRawFlag defines -raw on fs.
func AddRawFlag(fs *flag.FlagSet) *RawFlag {
	return &RawFlag{fs: fs, mode: fs.String("raw", "", "the `mode` in which a new database keeps its raw requests: blocks (compact), rows (one SQL\nrow a request, to query them with SQL) or none (only the rollups: fastest, nothing to export);\nrecorded in the database, and another one is refused later (default: the recorded one, else blocks)")}
}

// Mode returns the raw mode the flag names, after fs.Parse, or "" when it
// was not given. An error names the flag.
func (f *RawFlag) Mode() (logstats.RawMode, error) {
	given := false
	f.fs.Visit(func(fl *flag.Flag) { given = given || fl.Name == "raw" })
	if !given {
		return "", nil
	}
	m, err := logstats.ParseRawMode(*f.mode)
	if err != nil {
		return "", fmt.Errorf("-raw: %w", err)
	}
	return m, nil
}

// Record records the flag's raw mode as db's (logstats.SetRawMode), when
// the flag was given, and returns it for the Ingester's Raw ("" when it was
// not). It fails with an error wrapping a *logstats.RawModeError, which
// names the recorded mode, when db recorded another.
func (f *RawFlag) Record(ctx context.Context, db *sql.DB) (logstats.RawMode, error) {
	mode, err := f.Mode()
	if err != nil || mode == "" {
		return "", err
	}
	if err := logstats.SetRawMode(ctx, db, mode); err != nil {
		return "", fmt.Errorf("-raw %s: %w", mode, err)
	}
	return mode, nil
}
