package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/logstats/logstats"
)

type atomicInt = atomic.Int64

// isTerminal reports whether w is a character device, such as a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// progressBar redraws one line on stderr four times a second: bytes read,
// lines per second and, when the size is known, percent and ETA.
type progressBar struct {
	w     io.Writer
	in    input
	start time.Time
	lines atomic.Int64
	done  chan struct{}
	once  sync.Once
	wg    sync.WaitGroup
}

func newProgressBar(w io.Writer, in input, start time.Time) *progressBar {
	b := &progressBar{w: w, in: in, start: start, done: make(chan struct{})}
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

// update is the Ingester's Progress callback.
func (b *progressBar) update(p logstats.LoadProgress) { b.lines.Store(p.Lines) }

func (b *progressBar) stop() {
	b.once.Do(func() {
		close(b.done)
		b.wg.Wait()
		b.draw()
		fmt.Fprintln(b.w)
	})
}

func (b *progressBar) draw() {
	read := b.in.r.n.Load()
	elapsed := time.Since(b.start).Seconds()
	rate := float64(b.lines.Load()) / max(elapsed, 1e-9)
	var line string
	if b.in.size > 0 {
		frac := min(float64(read)/float64(b.in.size), 1)
		const width = 30
		filled := int(frac * width)
		eta := "?"
		if frac > 0 {
			eta = (time.Duration(elapsed*(1-frac)/frac) * time.Second).Round(time.Second).String()
		}
		line = fmt.Sprintf("[%s%s] %3.0f%%  %s / %s  %s lines/s  ETA %s",
			strings.Repeat("#", filled), strings.Repeat("-", width-filled), 100*frac,
			mib(read), mib(b.in.size), thousands(int64(rate)), eta)
	} else {
		line = fmt.Sprintf("%s read  %s lines  %s lines/s", mib(read), thousands(b.lines.Load()), thousands(int64(rate)))
	}
	fmt.Fprintf(b.w, "\r\033[K%s: %s", b.in.name, line)
}

func mib(n int64) string { return fmt.Sprintf("%.1f MB", float64(n)/1e6) }
