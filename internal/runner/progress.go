package runner

import (
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/logstats/logstats"
)

// IsTerminal reports whether w is a terminal (not merely a character device
// such as /dev/null).
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// progressBar shows a load's progress on one line, redrawn four times a
// second: bytes read and lines per second and, when the size is known,
// percent and time left (a spinner for stdin).
type progressBar struct {
	bar   *progressbar.ProgressBar
	in    *Input
	start time.Time
	lines atomic.Int64
	done  chan struct{}
	once  sync.Once
	wg    sync.WaitGroup
}

func newProgressBar(w io.Writer, in *Input) *progressBar {
	size := in.Size
	if size <= 0 {
		size = -1 // unknown: a spinner
	}
	b := &progressBar{in: in, start: time.Now(), done: make(chan struct{})}
	b.bar = progressbar.NewOptions64(size,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription(in.Name),
		progressbar.OptionShowBytes(true),
		progressbar.OptionSetWidth(30),
		progressbar.OptionThrottle(250*time.Millisecond),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionShowDescriptionAtLineEnd(),
		progressbar.OptionOnCompletion(func() { fmt.Fprintln(w) }),
	)
	b.wg.Add(1)
	go func() {
		defer b.wg.Done()
		tick := time.NewTicker(250 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-tick.C:
				b.draw()
			case <-b.done:
				return
			}
		}
	}()
	return b
}

// update is the load's Progress callback.
func (b *progressBar) update(p logstats.LoadProgress) { b.lines.Store(p.Lines) }

// draw moves the bar to the bytes read and says the rate of lines.
func (b *progressBar) draw() {
	rate := float64(b.lines.Load()) / max(time.Since(b.start).Seconds(), 1e-9)
	b.bar.Describe(fmt.Sprintf("%s  %s lines  %s lines/s", b.in.Name, thousands(b.lines.Load()), thousands(int64(rate))))
	b.bar.Set64(b.in.read.Load())
}

// stop draws the bar a last time and ends its line: complete, unless the
// load stopped before the end of a file of known size.
func (b *progressBar) stop() {
	b.once.Do(func() {
		close(b.done)
		b.wg.Wait()
		b.draw()
		if b.in.Size > 0 && b.in.read.Load() < b.in.Size {
			b.bar.Exit() // which ends the line too (OptionOnCompletion)
			return
		}
		b.bar.Finish()
	})
}
