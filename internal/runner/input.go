package runner

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
)

// ExpandArgs expands the arguments that are glob patterns (for shells that
// do not, or quoted ones), keeping the order and dropping repeats. A pattern
// that matches nothing is an error, as a missing file is.
func ExpandArgs(args []string) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	for _, a := range args {
		names := []string{a}
		if a != "-" && strings.ContainsAny(a, "*?[") {
			if _, err := os.Stat(a); err != nil { // a file may be named "a[1].log"
				m, err := filepath.Glob(a)
				if err != nil {
					return nil, fmt.Errorf("%s: bad pattern: %v", a, err)
				}
				if len(m) == 0 {
					return nil, fmt.Errorf("%s: the pattern matches no file", a)
				}
				names = m
			}
		}
		for _, n := range names {
			if !seen[n] || n == "-" {
				seen[n] = true
				out = append(out, n)
			}
		}
	}
	return out, nil
}

// Input is a log to load, and what the progress bar needs to know of it.
type Input struct {
	Name     string
	Size     int64 // 0 when unknown (stdin)
	Complete bool  // a last line without a newline is a line (stdin, -complete)
	r        io.Reader
	read     atomic.Int64 // bytes read so far, compressed or not
	close    func() error
}

// OpenInput opens the file name, or stdin for "-".
func OpenInput(name string, stdin io.Reader) (*Input, error) {
	if name == "-" {
		closeStdin := func() error {
			if c, ok := stdin.(io.Closer); ok {
				return c.Close()
			}
			return nil
		}
		return &Input{Name: "stdin", r: stdin, Complete: true, close: closeStdin}, nil
	}
	f, err := os.Open(name)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%s: no such file; pass a log file, e.g. the sample: go run ./examples/runner testdata/api_requests.log", name)
	}
	if err != nil {
		return nil, err
	}
	var size int64
	if fi, err := f.Stat(); err == nil && fi.IsDir() {
		f.Close()
		return nil, fmt.Errorf("%s is a directory; pass log files, or a glob that matches only files", name)
	} else if err == nil && fi.Mode().IsRegular() {
		size = fi.Size()
	}
	return &Input{Name: name, r: f, Size: size, close: f.Close}, nil
}

// Read reads the input, counting the bytes.
func (in *Input) Read(p []byte) (int, error) {
	n, err := in.r.Read(p)
	in.read.Add(int64(n))
	return n, err
}

// Close closes the input; a load blocked in a read of it then stops.
func (in *Input) Close() error { return in.close() }
