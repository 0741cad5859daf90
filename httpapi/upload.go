package httpapi

import (
	"bufio"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"os"
	"strconv"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/logstats/logstats"
)

// Defaults of the upload limits (SPEC §17).
const (
	DefaultMaxUploads      = 4
	DefaultMaxSpoolBytes   = 1 << 30
	DefaultBodyIdleTimeout = time.Minute
)

// uploads bounds what the uploads being loaded hold at once: how many are
// read, and the bytes they keep on disk. It is safe for concurrent use.
type uploads struct {
	slots    chan struct{} // one token per upload being read
	maxSpool int64
	spooled  atomic.Int64 // bytes on disk now, all uploads together
	dir      string       // where spooled uploads go; "" is os.TempDir
	idle     time.Duration
	metrics  *Metrics
}

func newUploads(opts Options) *uploads {
	return &uploads{
		slots:    make(chan struct{}, opts.MaxUploads),
		maxSpool: opts.MaxSpoolBytes,
		dir:      opts.TempDir,
		idle:     opts.BodyIdleTimeout,
		metrics:  opts.Metrics,
	}
}

// addSpooled counts n more bytes on disk (less, when negative), and
// reports false, counting nothing, when that would pass MaxSpoolBytes.
func (u *uploads) addSpooled(n int64) bool {
	total := u.spooled.Add(n)
	if n > 0 && total > u.maxSpool {
		total = u.spooled.Add(-n)
		return false
	}
	u.metrics.spoolBytes.Set(float64(total))
	return true
}

// errBusy refuses an upload while MaxUploads others are read.
func (u *uploads) errBusy() error {
	return httpError(http.StatusServiceUnavailable, "the server is reading "+strconv.Itoa(cap(u.slots))+
		" uploads already; try again shortly (Retry-After), or load the file with the runner")
}

// acquire takes a place for an upload without waiting; release gives it
// back.
func (u *uploads) acquire() (release func(), ok bool) {
	select {
	case u.slots <- struct{}{}:
		return func() { <-u.slots }, true
	default:
		return nil, false
	}
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
// declared size and type. Each read of it must come within the idle
// timeout of the one before (or of the headers), so a body that stops
// arriving ends the request instead of holding its connection.
func (s *server) body(w http.ResponseWriter, r *http.Request) (io.Reader, bool, error) {
	if !hasBody(r) {
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
	var body io.Reader = http.MaxBytesReader(w, r.Body, s.opts.MaxBodyBytes)
	if s.uploads.idle > 0 {
		body = &idleReader{r: body, rc: http.NewResponseController(w), idle: s.uploads.idle}
	}
	br := bufio.NewReader(body)
	if _, err := br.Peek(1); errors.Is(err, io.EOF) {
		return nil, false, nil
	} else if err != nil {
		return nil, false, err
	}
	return br, true, nil
}

// idleReader sets the connection's read deadline before each read, so that
// a read waits at most idle for the client's next bytes.
type idleReader struct {
	r    io.Reader
	rc   *http.ResponseController
	idle time.Duration
}

func (ir *idleReader) Read(p []byte) (int, error) {
	// Not every ResponseWriter can (httptest's recorder cannot): then the
	// server's ReadTimeout alone bounds the body.
	_ = ir.rc.SetReadDeadline(time.Now().Add(ir.idle))
	return ir.r.Read(p)
}

// spool copies an upload, decompressed, to an unlinked temporary file, so
// that a body over the limit (before or after decompression) is refused
// before anything is loaded. The file counts against MaxSpoolBytes until
// it is closed, which removes it (it has no name), however the request
// ends.
func (s *server) spool(body io.Reader) (io.ReadCloser, error) {
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
	f, err := os.CreateTemp(s.uploads.dir, "logstats-upload-*")
	if err != nil {
		return nil, spoolError(fmt.Errorf("spool upload: %w", err))
	}
	os.Remove(f.Name()) // the open file lives on; nothing is left behind
	sf := &spoolFile{File: f, u: s.uploads}
	n, err := io.Copy(sf, io.LimitReader(r, s.opts.MaxBodyBytes+1))
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
		sf.Close()
		return nil, spoolError(err)
	}
	return sf, nil
}

// errSpoolFull is a write that would take the spool past MaxSpoolBytes.
var errSpoolFull = errors.New("spool full")

// spoolError gives a full spool or a full disk under it the status 507.
func spoolError(err error) error {
	switch {
	case errors.Is(err, errSpoolFull):
		return httpError(http.StatusInsufficientStorage, "the uploads being loaded fill the server's spool (-max-spool); try again when they are done, or load the file with the runner")
	case errors.Is(err, syscall.ENOSPC):
		return httpError(http.StatusInsufficientStorage, "the disk the server spools uploads to is full; free space there (or set its temporary directory elsewhere) and send the log again")
	}
	return err
}

// spoolFile is a spooled upload: its writes count against the spool's
// limit, and closing it gives them back.
type spoolFile struct {
	*os.File
	u      *uploads
	n      int64 // bytes counted
	closed bool
}

func (f *spoolFile) Write(p []byte) (int, error) {
	if !f.u.addSpooled(int64(len(p))) {
		return 0, errSpoolFull
	}
	f.n += int64(len(p))
	return f.File.Write(p)
}

// ReadFrom hides os.File's, which would write around Write's count.
func (f *spoolFile) ReadFrom(r io.Reader) (int64, error) {
	return io.Copy(struct{ io.Writer }{f}, r)
}

func (f *spoolFile) Close() error {
	if f.closed {
		return nil
	}
	f.closed = true
	f.u.addSpooled(-f.n)
	return f.File.Close()
}

// isGzip reports whether br starts with the gzip magic bytes.
func isGzip(br *bufio.Reader) bool {
	magic, _ := br.Peek(2)
	return logstats.IsGzip(magic)
}
