package httpapi

import (
	"bufio"
	"compress/gzip"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"mime"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/logstats/logstats"
)

func (s *server) handleLoad() http.Handler {
	// The reply is the LoadResult, in its JSON shape (the runner's too),
	// with a status.
	type response struct {
		Status string `json:"status"`
		*logstats.LoadResult
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.ingester == nil {
			s.writeError(w, r, http.StatusServiceUnavailable, "loading is disabled on this server")
			return
		}
		if !s.authorized(r) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="logstats"`)
			s.writeError(w, r, http.StatusUnauthorized, "POST /load needs the header Authorization: Bearer <the server's load token>")
			return
		}
		name, src, growing, err := s.loadSource(w, r)
		if err != nil {
			s.handleError(w, r, err)
			return
		}
		defer src.Close()
		parse, err := s.parseConfig(r)
		if err != nil {
			s.handleError(w, r, err)
			return
		}
		start := time.Now()
		res, err := s.ingester.Load(r.Context(), name, src, logstats.LoadOptions{Growing: growing, Parse: parse})
		s.opts.Metrics.ObserveLoad(res, time.Since(start), err)
		if err != nil {
			s.logger.Warn("load failed", "source", name, "inserted", res.Inserted, "err", err)
			s.handleError(w, r, err)
			return
		}
		s.logger.Info("loaded", "source", name, "lines", res.Lines, "inserted", res.Inserted,
			"already_loaded", res.SkippedAlreadyLoaded, "malformed", res.Malformed)
		encode(w, http.StatusOK, response{Status: "done", LoadResult: res})
	})
}

// parseConfig returns how POST /load must read the log when its query
// changes the server's ParseConfig, else nil.
func (s *server) parseConfig(r *http.Request) (*logstats.ParseConfig, error) {
	q := r.URL.Query()
	if !q.Has("format") && !q.Has("fields") && !q.Has("customer") && !q.Has("customer_default") && !q.Has("keep_query") {
		return nil, nil
	}
	cfg := s.opts.Parse
	var err error
	if q.Has("format") {
		if cfg.Format, err = logstats.ParseFormat(q.Get("format")); err != nil {
			return nil, invalid("format: " + err.Error())
		}
	}
	if q.Has("fields") {
		if q.Has("format") && !cfg.Format.IsAuto() && cfg.Format.String() != "jsonl" {
			return nil, invalid("fields names the keys of a jsonl log, not of format " + cfg.Format.String())
		}
		if cfg.Format, err = logstats.JSONLines(q.Get("fields")); err != nil {
			return nil, invalid("fields: " + err.Error())
		}
	}
	if q.Has("customer") {
		if cfg.Customer, err = logstats.ParseCustomerSelector(q.Get("customer")); err != nil {
			return nil, invalid("customer: " + err.Error())
		}
	}
	if q.Has("customer_default") {
		cfg.CustomerDefault = q.Get("customer_default")
		if cfg.CustomerDefault != "" {
			if err := logstats.ValidCustomerID(cfg.CustomerDefault); err != nil {
				return nil, invalid("customer_default: " + err.Error())
			}
		}
	}
	if q.Has("keep_query") {
		switch q.Get("keep_query") {
		case "true", "1", "":
			cfg.KeepQuery = true
		case "false", "0":
			cfg.KeepQuery = false
		default:
			return nil, invalid("keep_query: want true or false")
		}
	}
	return &cfg, nil
}

// authorized checks the bearer token in constant time (hashing first, so
// that not even the token's length leaks). The scheme is case-insensitive.
func (s *server) authorized(r *http.Request) bool {
	if s.opts.LoadToken == "" {
		return true
	}
	scheme, token, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	got := sha256.Sum256([]byte(token))
	want := sha256.Sum256([]byte(s.opts.LoadToken))
	return strings.EqualFold(scheme, "Bearer") && subtle.ConstantTimeCompare(got[:], want[:]) == 1
}

// loadSource opens what a POST /load asks for: the uploaded body, a file of
// the data directory (?path=NAME), or the server's log file. growing says
// that it is a file that may still be being written, whose last line, if it
// has no newline yet, is left for a later load.
func (s *server) loadSource(w http.ResponseWriter, r *http.Request) (name string, src io.ReadCloser, growing bool, err error) {
	q := r.URL.Query()
	body, hasBody, err := s.body(w, r)
	if err != nil {
		return "", nil, false, err
	}
	switch {
	case hasBody && q.Has("path"):
		return "", nil, false, invalid("send either a body or ?path=, not both")
	case hasBody:
		name := q.Get("source")
		if name == "" {
			name = "upload"
		}
		f, err := s.spool(body)
		if err != nil {
			return "", nil, false, err
		}
		return name, f, false, nil
	case q.Has("path"):
		name := q.Get("path")
		f, err := s.openInDataDir(name)
		return name, f, true, err
	}
	f, err := os.Open(s.opts.LogFile)
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil, false, notFound("the server's log file " + s.opts.LogFile + " does not exist; start the server with -log-file, or send a log as the request body")
	}
	return filepath.Base(s.opts.LogFile), f, true, err
}

// uploadTypes are the Content-Types a log upload may have. The form type is
// what curl --data-binary sends unless told otherwise.
var uploadTypes = map[string]bool{
	"text/plain":                        true,
	"application/gzip":                  true,
	"application/x-gzip":                true,
	"application/octet-stream":          true,
	"application/x-www-form-urlencoded": true,
}

// body returns the request body when there is one, after checking its
// declared size and type.
func (s *server) body(w http.ResponseWriter, r *http.Request) (io.Reader, bool, error) {
	if r.Body == nil || r.Body == http.NoBody || r.ContentLength == 0 {
		return nil, false, nil
	}
	if r.ContentLength > s.opts.MaxBodyBytes {
		return nil, false, &http.MaxBytesError{Limit: s.opts.MaxBodyBytes}
	}
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		switch {
		case err != nil:
			return nil, false, httpError(http.StatusUnsupportedMediaType, "Content-Type "+sanitize(ct)+" cannot be parsed; send the file as the raw body (curl --data-binary @FILE)")
		case !uploadTypes[mt]:
			return nil, false, httpError(http.StatusUnsupportedMediaType, "Content-Type "+sanitize(mt)+" is not a log; send the file as the raw body (curl --data-binary @FILE) as text/plain, application/gzip or application/octet-stream")
		}
	}
	br := bufio.NewReader(http.MaxBytesReader(w, r.Body, s.opts.MaxBodyBytes))
	if _, err := br.Peek(1); errors.Is(err, io.EOF) {
		return nil, false, nil
	} else if err != nil {
		return nil, false, err
	}
	return br, true, nil
}

// spool copies an upload, decompressed, to an unlinked temporary file, so
// that a body over the limit (before or after decompression) is refused
// before anything is loaded.
func (s *server) spool(body io.Reader) (*os.File, error) {
	br := bufio.NewReader(body)
	var r io.Reader = br
	if isGzip(br) {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, invalid("the body looks like gzip but is not valid: " + err.Error())
		}
		defer zr.Close()
		// One layer only: the spooled log is loaded as it is, and a second
		// layer would escape the size limit.
		zbr := bufio.NewReader(zr)
		if isGzip(zbr) {
			return nil, invalid("the body is gzip inside gzip; compress the log once")
		}
		r = zbr
	}
	f, err := os.CreateTemp(s.opts.TempDir, "logstats-upload-*")
	if err != nil {
		return nil, fmt.Errorf("spool upload: %w", err)
	}
	os.Remove(f.Name()) // the open file lives on; nothing is left behind
	n, err := io.Copy(f, io.LimitReader(r, s.opts.MaxBodyBytes+1))
	if err == nil && n > s.opts.MaxBodyBytes {
		err = &http.MaxBytesError{Limit: s.opts.MaxBodyBytes}
	}
	var tooBig *http.MaxBytesError
	if err != nil && !errors.As(err, &tooBig) && (errors.Is(err, gzip.ErrChecksum) || errors.Is(err, gzip.ErrHeader) || errors.Is(err, io.ErrUnexpectedEOF)) {
		err = invalid("the gzip body is corrupt or truncated: " + err.Error())
	}
	if err == nil {
		_, err = f.Seek(0, io.SeekStart)
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// isGzip reports whether br starts with the gzip magic bytes.
func isGzip(br *bufio.Reader) bool {
	magic, err := br.Peek(2)
	return err == nil && magic[0] == 0x1f && magic[1] == 0x8b
}

// openInDataDir opens a file of the data directory. os.Root refuses any path
// that leaves the directory, symbolic links included.
func (s *server) openInDataDir(name string) (*os.File, error) {
	bad := invalid("path must name a file inside the server's data directory, without .. or a leading /")
	if name == "" || filepath.IsAbs(name) || strings.HasPrefix(name, "/") || strings.ContainsRune(name, 0) {
		return nil, bad
	}
	for _, part := range strings.FieldsFunc(name, func(r rune) bool { return r == '/' || r == '\\' }) {
		if part == ".." {
			return nil, bad
		}
	}
	dir := s.opts.DataDir
	if dir == "" {
		dir = filepath.Dir(s.opts.LogFile)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("open data directory: %w", err)
	}
	defer root.Close()
	f, err := root.Open(name)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, notFound("no file " + sanitize(name) + " in the server's data directory")
	case err != nil:
		return nil, invalid("cannot open " + sanitize(name) + " in the data directory: it leaves the directory or is not readable")
	}
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		f.Close()
		return nil, invalid(sanitize(name) + " is not a regular file")
	}
	return f, nil
}

func formatBytes(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%d GiB", n>>30)
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}
