package httpapi

import (
	"context"
	"database/sql"
	"io"
	"iter"
	"net/http"
	"strconv"

	"github.com/logstats/logstats"
	"github.com/logstats/logstats/internal/export"
)

// Requests is what GET /customers/{id}/requests uses: a customer's raw
// requests, ordered and failing as logstats.Requests yields them.
type Requests interface {
	Requests(ctx context.Context, customerID string, f logstats.RequestFilter) iter.Seq2[logstats.Request, error]
}

// dbRequests is logstats.Requests over a database: the Requests of a handler
// whose Deps.DB is a *sql.DB.
type dbRequests struct{ db *sql.DB }

func (d dbRequests) Requests(ctx context.Context, customerID string, f logstats.RequestFilter) iter.Seq2[logstats.Request, error] {
	return logstats.Requests(ctx, d.db, customerID, f)
}

// DimensionNames returns the dimensions of the database's sources, the
// CSV export's columns after the fields.
func (d dbRequests) DimensionNames(ctx context.Context) ([]string, error) {
	return logstats.DimensionNames(ctx, d.db)
}

// dimensionNamer is what a Requests may also be: one whose requests have
// dimensions, which a CSV export writes in columns of these names.
type dimensionNamer interface {
	DimensionNames(ctx context.Context) ([]string, error)
}

// An export is flushed to the client every exportFlushLines requests and
// at its end: its memory does not grow with its size (the encoder buffers
// 64 KiB), and a client sees requests arrive while the database pages
// through the rest.
const exportFlushLines = 1024

func (s *server) handleRequests() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.requests == nil {
			s.handleError(w, r, httpError(http.StatusServiceUnavailable, "the raw requests are not served by this server"))
			return
		}
		id := r.PathValue("id")
		if err := logstats.ValidCustomerID(id); err != nil {
			s.handleError(w, r, invalid(err.Error()))
			return
		}
		q := r.URL.Query()
		var f logstats.RequestFilter
		var err error
		if f.From, f.To, err = parseDays(q); err != nil {
			s.handleError(w, r, err)
			return
		}
		format := q.Get("format")
		if format == "" {
			format = export.NDJSON
		}
		if export.CheckFormat(format) != nil {
			s.handleError(w, r, invalid("format: "+strconv.Quote(sanitize(format))+" is not a format of the export; want "+export.NDJSON+" or "+export.CSV))
			return
		}
		s.export(w, r, format, s.requests.Requests(r.Context(), id, f))
	})
}

// export streams requests to w in format. The status is chosen by the time
// the first bytes leave: until then an error of the iterator is answered as
// any other (409 for a database without raw requests). After, it is logged,
// and the response is cut short (http.ErrAbortHandler) after the whole
// lines written, so that the client sees an incomplete transfer rather than
// an export that looks complete.
func (s *server) export(w http.ResponseWriter, r *http.Request, format string, requests iter.Seq2[logstats.Request, error]) {
	sent := &sentWriter{w: w}
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Type", export.ContentType(format))
	var dims []string
	if n, ok := s.requests.(dimensionNamer); ok && format == export.CSV {
		var err error
		if dims, err = n.DimensionNames(r.Context()); err != nil {
			s.handleError(w, r, err)
			return
		}
	}
	enc, err := export.NewEncoder(sent, format, dims) // CSV: its header line, buffered
	if err != nil {
		s.handleError(w, r, invalid(err.Error()))
		return
	}
	rc := http.NewResponseController(w)
	flush := func() error {
		if err := enc.Flush(); err != nil {
			return err
		}
		if err := rc.Flush(); err != nil && err != http.ErrNotSupported {
			return err
		}
		return nil
	}
	encode := enc.Encode
	var n int64
	var failed error
	for req, err := range requests {
		if err != nil {
			failed = err
			break
		}
		if r.Method == http.MethodHead {
			break // the status is known; net/http sends no body
		}
		if err := encode(&req); err != nil {
			return // the client went away (bw's error is the connection's)
		}
		if n++; n%exportFlushLines == 0 {
			if err := flush(); err != nil {
				return
			}
		}
	}
	switch {
	case failed == nil:
		// The rest goes out as the handler returns: a small export in one
		// piece, with its Content-Length; nothing written, a 200 without
		// a body.
		enc.Flush()
	case !sent.started:
		s.handleError(w, r, failed)
	default:
		flush()
		if r.Context().Err() != nil {
			s.logger.Info("export cut short: the client went away or the server is shutting down", "path", sanitize(r.URL.Path), "requests", n, "err", failed)
		} else {
			s.logger.Error("export failed after it started; the response was cut short", "path", sanitize(r.URL.Path), "requests", n, "err", failed)
		}
		panic(http.ErrAbortHandler)
	}
}

// sentWriter is the ResponseWriter of an export, which remembers whether
// any bytes were written to it: after that, the status is sent.
type sentWriter struct {
	w       io.Writer
	started bool
}

func (s *sentWriter) Write(p []byte) (int, error) {
	s.started = true
	return s.w.Write(p)
}
