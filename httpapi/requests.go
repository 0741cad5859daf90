package httpapi

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/csv"
	"io"
	"iter"
	"net/http"
	"strconv"
	"strings"

	"github.com/logstats/logstats"
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

// exportFormats are the formats of an export (?format=), the default first.
var exportFormats = []string{"ndjson", "csv"}

// exportTimeLayout is the time of an exported request: RFC 3339 in UTC with
// exactly six fractional digits, so that the times of a column line up and
// sort as text.
const exportTimeLayout = "2006-01-02T15:04:05.000000Z07:00"

// csvHeader names the columns of an export as CSV, as the keys of its NDJSON.
var csvHeader = []string{"time", "customer_id", "method", "path", "status", "latency"}

// An export is buffered in exportBufferBytes and flushed to the client every
// exportFlushLines requests and at its end: its memory does not grow with
// its size, and a client sees requests arrive while the database pages
// through the rest.
const (
	exportBufferBytes = 64 << 10
	exportFlushLines  = 1024
)

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
			format = exportFormats[0]
		}
		if format != "ndjson" && format != "csv" {
			s.handleError(w, r, invalid("format: "+strconv.Quote(sanitize(format))+" is not a format of the export; want "+strings.Join(exportFormats, " or ")))
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
	bw := bufio.NewWriterSize(sent, exportBufferBytes)
	rc := http.NewResponseController(w)
	flush := func() error {
		if err := bw.Flush(); err != nil {
			return err
		}
		if err := rc.Flush(); err != nil && err != http.ErrNotSupported {
			return err
		}
		return nil
	}
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	var encode func(*logstats.Request) error
	if format == "csv" {
		h.Set("Content-Type", "text/csv; charset=utf-8")
		encode = newCSVEncoder(bw)
	} else {
		h.Set("Content-Type", "application/x-ndjson")
		encode = newNDJSONEncoder(bw)
	}
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
		bw.Flush()
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

// newNDJSONEncoder returns a function that writes a request to w as a line
// of NDJSON.
func newNDJSONEncoder(w *bufio.Writer) func(*logstats.Request) error {
	var line []byte
	return func(r *logstats.Request) error {
		line = appendRequestJSON(line[:0], r)
		_, err := w.Write(line)
		return err
	}
}

// appendRequestJSON appends r as a line of NDJSON, its keys in this order:
//
//	{"time":"2024-10-01T10:00:00.000000Z","customer_id":"cust_42","method":"GET","path":"/x","status":200,"latency":0.1}
//
// latency is in seconds, exact to the microsecond, or null when the log did
// not say.
func appendRequestJSON(b []byte, r *logstats.Request) []byte {
	b = append(b, `{"time":"`...)
	b = r.Time.UTC().AppendFormat(b, exportTimeLayout)
	b = append(b, `","customer_id":`...)
	b = appendJSONString(b, r.CustomerID)
	b = append(b, `,"method":`...)
	b = appendJSONString(b, r.Method)
	b = append(b, `,"path":`...)
	b = appendJSONString(b, r.Path)
	b = append(b, `,"status":`...)
	b = strconv.AppendInt(b, int64(r.Status), 10)
	b = append(b, `,"latency":`...)
	b = appendSeconds(b, r.Latency, !r.Timed())
	return append(b, "}\n"...)
}

// newCSVEncoder writes the header line of an export as CSV to w, and
// returns a function that writes a request as a record: the columns of
// csvHeader, quoted as RFC 4180 says where they need it, lines ending in
// \n, an empty latency when the log did not say.
func newCSVEncoder(w *bufio.Writer) func(*logstats.Request) error {
	cw := csv.NewWriter(w) // over w itself: bufio.NewWriter returns a large enough *bufio.Writer as it is
	cw.Write(csvHeader)
	record := make([]string, len(csvHeader))
	var buf []byte
	return func(r *logstats.Request) error {
		buf = r.Time.UTC().AppendFormat(buf[:0], exportTimeLayout)
		record[0] = string(buf)
		record[1], record[2], record[3] = r.CustomerID, r.Method, r.Path
		record[4] = strconv.Itoa(r.Status)
		record[5] = ""
		if r.Timed() {
			record[5] = string(appendSeconds(buf[:0], r.Latency, false))
		}
		return cw.Write(record)
	}
}
