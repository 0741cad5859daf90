package httpapi

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Files on the server (SPEC §17): POST /load?path= reads a file of the data
// directory, a bare POST /load the server's log file. Only regular files
// are read: each is opened without blocking (opening a FIFO for reading
// would wait for a writer, pinning a thread and two descriptors per
// request) and its mode checked before any read. What a load answers about
// them quotes none of their bytes (see handleLoad).

// openInDataDir opens a file of the data directory. os.Root refuses any
// path that leaves the directory, symbolic links included.
func (s *server) openInDataDir(name string) (*os.File, error) {
	if s.opts.DataDir == "" {
		return nil, notFound("loading files by path is off on this server: start it with -data-dir DIR to let POST /load?path= read the files of DIR, or send the log as the request body")
	}
	bad := invalid("path must name a file inside the server's data directory, without .. or a leading /")
	if name == "" || filepath.IsAbs(name) || strings.HasPrefix(name, "/") || strings.ContainsRune(name, 0) {
		return nil, bad
	}
	for _, part := range strings.FieldsFunc(name, func(r rune) bool { return r == '/' || r == '\\' }) {
		if part == ".." {
			return nil, bad
		}
	}
	root, err := os.OpenRoot(s.opts.DataDir)
	if err != nil {
		return nil, fmt.Errorf("open data directory: %w", err)
	}
	defer root.Close()
	f, err := root.OpenFile(name, os.O_RDONLY|openNonblock, 0)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, notFound("no file " + sanitize(name) + " in the server's data directory")
	case err != nil:
		return nil, invalid("cannot open " + sanitize(name) + " in the data directory: it leaves the directory or is not readable")
	}
	return regularOnly(f, sanitize(name))
}

// openLogFile opens the server's log file, what a bare POST /load loads.
func (s *server) openLogFile() (*os.File, error) {
	f, err := os.OpenFile(s.opts.LogFile, os.O_RDONLY|openNonblock, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, notFound("the server's log file " + filepath.Base(s.opts.LogFile) + " does not exist; start the server with -log-file, or send a log as the request body")
	}
	if err != nil {
		return nil, err
	}
	return regularOnly(f, filepath.Base(s.opts.LogFile))
}

// regularOnly returns f if it is a regular file, else closes it and
// returns a KindInvalid error.
func regularOnly(f *os.File, name string) (*os.File, error) {
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, invalid(name + " is not a regular file (a FIFO, a device or a directory); only regular files are loaded")
	}
	return f, nil
}
