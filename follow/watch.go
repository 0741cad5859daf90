package follow

import (
	"context"
	"path/filepath"
	"slices"

	"github.com/fsnotify/fsnotify"
)

// watch returns a channel that receives a value soon after a file in the
// directories of the globs is written, created, renamed or removed, and a
// function that stops watching. Without events (Poll set, or the watcher
// fails to start), the channel never receives, and rounds come every
// Interval.
func (f *Follower) watch(ctx context.Context) (<-chan struct{}, func()) {
	wake := make(chan struct{}, 1)
	if f.Poll {
		return wake, func() {}
	}
	w, err := fsnotify.NewWatcher()
	if err != nil {
		f.log().Warn("no file-system events; polling", "err", err)
		return wake, func() {}
	}
	var dirs []string
	for _, g := range f.Globs {
		dirs = append(dirs, filepath.Dir(g))
	}
	slices.Sort(dirs)
	for _, d := range slices.Compact(dirs) {
		if err := w.Add(d); err != nil {
			// A directory with a pattern in its name, or not there yet:
			// its files are found by the rounds every Interval.
			f.log().Warn("no file-system events for a directory; polling it", "dir", d, "err", err)
		}
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-ctx.Done():
				return
			case _, ok := <-w.Events:
				if !ok {
					return
				}
				select {
				case wake <- struct{}{}:
				default:
				}
			case err, ok := <-w.Errors:
				if !ok {
					return
				}
				f.log().Warn("file-system events", "err", err)
			}
		}
	}()
	return wake, func() {
		w.Close()
		<-done
	}
}
