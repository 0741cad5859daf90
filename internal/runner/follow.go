package runner

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/logstats/logstats"
	"github.com/logstats/logstats/follow"
)

// FollowSummary is what -follow did, by file, when it stopped.
type FollowSummary struct {
	Files   []follow.FileStatus `json:"files"`
	Totals  follow.Totals       `json:"totals"`
	Seconds float64             `json:"seconds"`
}

// runFollow follows the files that match the globs until ctx is done.
func runFollow(ctx context.Context, cfg Config, env Env, pc logstats.ParseConfig, sum *Summary, text io.Writer, logger *slog.Logger) error {
	switch {
	case len(cfg.Args) == 0:
		return fmt.Errorf("-follow: name the files to follow (FILE or GLOB; quote globs, and cover rotated names: 'logs/access.log*')")
	case cfg.DryRun:
		return fmt.Errorf("-follow and -dry-run do not go together")
	case cfg.PruneBefore != "":
		return fmt.Errorf("-follow and -prune-before do not go together: prune from another run (or cron)")
	case cfg.Complete:
		return fmt.Errorf("-follow and -complete do not go together: followed files are still being written")
	}
	for _, a := range cfg.Args {
		if a == "-" {
			return fmt.Errorf("-follow reads files, not stdin: write the stream to a file and follow that")
		}
	}
	if err := follow.CheckGlobs(cfg.Args); err != nil {
		return err
	}
	ing, closeDB, err := openIngester(ctx, cfg, env, pc)
	if err != nil {
		return err
	}
	defer closeDB()
	f := &follow.Follower{Ingester: ing, Globs: cfg.Args, Logger: logger}
	logger.Info("following", "globs", cfg.Args)
	start := time.Now()
	err = f.Run(ctx)
	files, totals := f.Status()
	sum.Follow = &FollowSummary{Files: files, Totals: totals, Seconds: time.Since(start).Seconds()}
	for _, s := range files {
		line := fmt.Sprintf("%s: %s lines, %s inserted, %s malformed, %s unattributed, %s of %s bytes committed",
			s.Path, thousands(s.Lines), thousands(s.Inserted), thousands(s.Malformed), thousands(s.Unattributed),
			thousands(s.Committed), thousands(s.Size))
		if s.CopyOf != "" {
			line += "; a rotated copy of " + s.CopyOf + ", whose lines were loaded from it"
		}
		if s.Error != "" {
			line += "; error: " + s.Error
		}
		if s.RefusedBytes > 0 {
			line += fmt.Sprintf("; %s bytes refused", thousands(s.RefusedBytes))
		}
		fmt.Fprintln(text, line)
	}
	fmt.Fprintf(text, "followed %d files for %.1fs: %s lines, %s inserted, %s malformed, %s unattributed, %s bytes lost to rotations, %s bytes refused\n",
		len(files), sum.Follow.Seconds, thousands(totals.Lines), thousands(totals.Inserted), thousands(totals.Malformed),
		thousands(totals.Unattributed), thousands(totals.LostBytes), thousands(totals.RefusedBytes))
	if totals.RefusedBytes > 0 {
		logger.Warn("bytes of followed files were refused, not loaded: see each file's error", "bytes", totals.RefusedBytes, "files_refused_now", totals.RefusedFiles)
	}
	return err
}
