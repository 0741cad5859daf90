package httpapi

import (
	"log/slog"
	"net/http"
	"path"
	"runtime/debug"
	"strings"
	"time"
)

// statusRecorder remembers the status and size of a response.
type statusRecorder struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (r *statusRecorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
	r.ResponseWriter.WriteHeader(status)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	n, err := r.ResponseWriter.Write(b)
	r.bytes += int64(n)
	return n, err
}

func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// observeRequests logs each request once it is answered, and counts it in
// metrics. It logs the path, never the query string's secrets or headers: the
// load token stays out of logs.
func observeRequests(logger *slog.Logger, metrics *Metrics, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w}
		defer func() {
			// Only http.ErrAbortHandler gets here (recoverPanics answers
			// the others): a response cut short, logged as such, and passed
			// on to net/http, which ends the connection.
			aborted := recover()
			if rec.status == 0 {
				rec.status = http.StatusOK // nothing written: net/http sends 200
			}
			elapsed := time.Since(start)
			metrics.observeRequest(r, rec.status, elapsed)
			attrs := []slog.Attr{
				slog.String("method", r.Method),
				slog.String("path", sanitize(r.URL.Path)),
				slog.Int("status", rec.status),
				slog.Int64("bytes", rec.bytes),
				slog.Duration("duration", elapsed),
				slog.String("remote", r.RemoteAddr),
			}
			if aborted != nil {
				attrs = append(attrs, slog.Bool("cut_short", true))
			}
			logger.LogAttrs(r.Context(), slog.LevelInfo, "request", attrs...)
			if aborted != nil {
				panic(aborted)
			}
		}()
		next.ServeHTTP(rec, r)
	})
}

// Limits of a request's size, below which net/http's own (which answers in
// plain text) is never reached when the server's MaxHeaderBytes is larger.
const (
	maxURLBytes    = 8 << 10
	maxHeaderBytes = 32 << 10
)

// limitRequestSize refuses URLs and headers beyond the limits with JSON 414
// and 431.
func limitRequestSize(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if len(r.RequestURI) > maxURLBytes {
			encode(w, http.StatusRequestURITooLong, errorResponse{Error: "the URL is longer than 8 KiB"})
			return
		}
		n := 0
		for k, vs := range r.Header {
			for _, v := range vs {
				n += len(k) + len(v) + 4
			}
		}
		if n > maxHeaderBytes {
			encode(w, http.StatusRequestHeaderFieldsTooLarge, errorResponse{Error: "the request headers are larger than 32 KiB"})
			return
		}
		next.ServeHTTP(w, r)
	})
}

// redirectUncleanPaths answers a path with "//", "." or ".." segments with a
// JSON redirect to its clean form, before ServeMux would answer with HTML.
// It looks at the escaped path, so an escaped customer id such as %2E%2E is
// left alone. The Location is relative, so that it stays under the prefix
// the handler is mounted at; a path without its leading slash (as
// http.StripPrefix("/prefix/", ...) leaves) is served as if it had one.
func redirectUncleanPaths(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.EscapedPath()
		if p == "" || p[0] != '/' {
			r2 := new(http.Request)
			*r2 = *r
			u := *r.URL
			u.Path = "/" + u.Path
			if u.RawPath != "" {
				u.RawPath = "/" + u.RawPath
			}
			r2.URL = &u
			r, p = r2, "/"+p
		}
		if clean := cleanPath(p); clean != p && r.Method != http.MethodConnect {
			ref := relativeRef(p, clean)
			if r.URL.RawQuery != "" {
				clean += "?" + r.URL.RawQuery
				ref += "?" + r.URL.RawQuery
			}
			w.Header().Set("Location", ref)
			encode(w, http.StatusPermanentRedirect, errorResponse{Error: "moved to " + clean})
			return
		}
		next.ServeHTTP(w, r)
	})
}

// relativeRef returns a relative reference that leads from the path p to the
// path target (both absolute and escaped) when resolved as RFC 3986 says
// (dot segments removed, empty ones kept), whatever prefix stands before p in
// the client's URL. When p's ".." segments climb above its root, a client
// resolving against p leaves the prefix anyway, and target itself is
// returned.
func relativeRef(p, target string) string {
	dir := strings.Split(p[:strings.LastIndexByte(p, '/')], "/")[1:]
	depth := 0
	for _, seg := range dir {
		switch seg {
		case ".":
		case "..":
			if depth == 0 {
				return target
			}
			depth--
		default:
			depth++
		}
	}
	ref := strings.Repeat("../", depth) + strings.TrimPrefix(target, "/")
	if first, _, _ := strings.Cut(ref, "/"); ref == "" || strings.Contains(first, ":") {
		ref = "./" + ref // not empty, and not read as a scheme
	}
	return ref
}

// cleanPath is path.Clean that keeps a trailing slash, as ServeMux does.
func cleanPath(p string) string {
	if p == "" {
		return "/"
	}
	if p[0] != '/' {
		p = "/" + p
	}
	np := path.Clean(p)
	if p[len(p)-1] == '/' && np != "/" {
		np += "/"
	}
	return np
}

// recoverPanics turns a panic in a handler into a logged 500.
func recoverPanics(logger *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				logger.Error("panic", "method", r.Method, "path", r.URL.Path, "panic", v, "stack", string(debug.Stack()))
				encode(w, http.StatusInternalServerError, errorResponse{Error: "internal error; the server log has the details"})
			}
		}()
		next.ServeHTTP(w, r)
	})
}
