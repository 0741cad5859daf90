// Package follow loads growing and rotated log files into logstats exactly
// once: the files that match a set of globs, then every line appended to
// them, across rotations (rename and create, copytruncate, compressed
// copies), restarts and kill -9.
//
// It is built on the Ingester's single entry point, Load: a Follower calls it
// in rounds, each round loading what every file gained since the last one,
// going on from the round's Checkpoint so that a round costs what its new
// lines cost. Exactly once comes from the ledger, as for any load: a file is
// a source named by its first lines, so a rotated copy of a file is the same
// source and only the lines the ledger lacks are loaded from it.
package follow

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/logstats/logstats"
)

// Defaults of a Follower's knobs.
const (
	DefaultInterval  = time.Second
	DefaultMinRound  = 200 * time.Millisecond
	DefaultStopGrace = 10 * time.Second
	DefaultIdleClose = time.Minute
	DefaultLossGrace = 10 * time.Second
)

// A Follower follows the files that match Globs. Set its fields before Run.
type Follower struct {
	// Ingester loads the lines; its ParseConfig says how to read them.
	Ingester *logstats.Ingester
	// Globs are the files to follow (filepath.Match patterns). Cover the
	// rotated names too (access.log*), so that a line a rotation moved
	// before it was read is read from where it went.
	Globs []string
	// Interval is how often the files are checked when no file-system
	// event says they changed. Default DefaultInterval.
	Interval time.Duration
	// MinRound is the least time between two rounds: while lines arrive, a
	// round (so a commit) every MinRound. Default DefaultMinRound.
	MinRound time.Duration
	// StopGrace is how long a round in flight may go on once Run's context
	// is done, so that what it read is committed. Default DefaultStopGrace.
	StopGrace time.Duration
	// IdleClose is how long a file that no longer grows stays open.
	// Default DefaultIdleClose.
	IdleClose time.Duration
	// LossGrace is how long the bytes a truncation took before they were
	// committed have to turn up in a rotated copy (and be loaded from it)
	// before they count as lost. Default DefaultLossGrace.
	LossGrace time.Duration
	// Poll, when set, checks the files every Interval without file-system
	// events (for file systems without them, such as NFS).
	Poll bool
	// Logger, when set, logs each file's errors and each rotation.
	Logger *slog.Logger
	// Now returns the current time. Default time.Now.
	Now func() time.Time

	ring     []byte // the recorder's buffer, shared by the rounds' loads
	checkBuf []byte // the tail check's first read, shared likewise
	mu       sync.Mutex
	files    map[fileID]*tracked
	losses   []*loss
	cuts     []*cut      // files truncated lately, to recognise their copies
	copies   []knownCopy // files recognised as copies
	total    Totals
}

// Totals counts what a Follower did since it started.
type Totals struct {
	Rounds       int64 `json:"rounds"`
	Lines        int64 `json:"lines"`
	Inserted     int64 `json:"inserted"`
	Malformed    int64 `json:"malformed"`
	Unattributed int64 `json:"unattributed"`
	// LostBytes counts bytes a rotation removed before they were read
	// (a copytruncate whose copy is not among the globs, say).
	LostBytes int64 `json:"lost_bytes"`
	// RefusedBytes counts bytes of followed files that Load refused and
	// that wait for the file to change (a log edited after it was loaded,
	// one in another format; see FileStatus.Error), those of the files no
	// longer followed included; RefusedFiles how many files are refused
	// now.
	RefusedBytes int64 `json:"refused_bytes"`
	RefusedFiles int64 `json:"refused_files"`
}

// Run follows the files until ctx is done, then lets the round in flight
// commit (for up to StopGrace) and returns nil. It returns an error only
// when it cannot start: a malformed glob, no Ingester. Errors of single
// files are logged and shown in Status, and the file is tried again when
// it changes.
func (f *Follower) Run(ctx context.Context) error {
	if f.Ingester == nil {
		return errors.New("follow: no Ingester")
	}
	if err := CheckGlobs(f.Globs); err != nil {
		return err
	}
	f.mu.Lock()
	if f.files == nil {
		f.files = make(map[fileID]*tracked)
	}
	f.mu.Unlock()
	defer f.closeAll()

	// Loads get a context that outlives ctx by StopGrace.
	loadCtx, cancelLoads := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelLoads()
	stop := context.AfterFunc(ctx, func() {
		t := time.AfterFunc(durationOr(f.StopGrace, DefaultStopGrace), cancelLoads)
		context.AfterFunc(loadCtx, func() { t.Stop() })
	})
	defer stop()

	wake, closeWatch := f.watch(ctx)
	defer closeWatch()
	interval := durationOr(f.Interval, DefaultInterval)
	minRound := durationOr(f.MinRound, DefaultMinRound)
	for {
		started := f.now()
		f.round(ctx, loadCtx)
		if ctx.Err() != nil {
			return nil
		}
		// At least MinRound between rounds; then until an event or Interval.
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(minRound - f.now().Sub(started)):
		}
		select {
		case <-ctx.Done():
			return nil
		case <-wake:
		case <-time.After(interval):
		}
	}
}

// CheckGlobs returns an error naming the first malformed pattern of globs,
// which Run refuses; call it to refuse them before starting.
func CheckGlobs(globs []string) error {
	for _, g := range globs {
		if _, err := filepath.Match(g, ""); err != nil {
			return fmt.Errorf("follow: glob %q: %w", g, err)
		}
	}
	return nil
}

// round finds the files and loads what each gained, with loads in loadCtx;
// once stopCtx (Run's) is done it starts no other file's load.
func (f *Follower) round(stopCtx, loadCtx context.Context) {
	seen := f.scan()
	f.mu.Lock()
	list := make([]*tracked, 0, len(f.files))
	for _, t := range f.files {
		list = append(list, t)
	}
	f.mu.Unlock()
	// In the order they were first seen (the order does not matter to
	// exactly-once: the ledger decides what each load adds).
	slices.SortFunc(list, func(a, b *tracked) int { return a.opened.Compare(b.opened) })
	for _, t := range list {
		if stopCtx.Err() != nil || loadCtx.Err() != nil {
			return
		}
		f.advance(loadCtx, t, seen[t.id])
		f.publish(t)
	}
	f.settleLosses(loadCtx)
	f.mu.Lock()
	f.total.Rounds++
	f.mu.Unlock()
}

func (f *Follower) now() time.Time {
	if f.Now != nil {
		return f.Now()
	}
	return time.Now()
}

func (f *Follower) log() *slog.Logger {
	if f.Logger != nil {
		return f.Logger
	}
	return slog.New(slog.DiscardHandler)
}

func durationOr(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}
