package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/logstats/logstats"
)

// encode writes v as JSON with the given status. The Content-Type header is
// set before WriteHeader, which would otherwise drop it.
func encode(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		body = []byte(`{"error":"internal error: response could not be encoded"}`)
	}
	writeJSON(w, status, body)
}

// encodeUnescaped is encode without encoding/json's escapes of <, > and
// &, for answers that hold them (objectives: "p99<=0.5").
func encodeUnescaped(w http.ResponseWriter, status int, v any) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		encode(w, http.StatusInternalServerError, errorResponse{Error: "internal error: response could not be encoded"})
		return
	}
	writeJSON(w, status, bytes.TrimSuffix(b.Bytes(), []byte("\n")))
}

// writeJSON writes body, a JSON document, and a newline.
// With its Content-Length known, net/http sends the response in one piece
// rather than in chunks of its 2 KiB buffer.
func writeJSON(w http.ResponseWriter, status int, body []byte) {
	body = append(body, '\n')
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	w.Write(body)
}

type errorResponse struct {
	Error string `json:"error"`
}

// writeError writes {"error": msg} with the given status.
func (s *server) writeError(w http.ResponseWriter, r *http.Request, status int, msg string) {
	encode(w, status, errorResponse{Error: msg})
}

// errHTTP is an error of the HTTP exchange itself (an unsupported media
// type, say), with the status to send it with; the API's other errors have a
// logstats.ErrorKind, which chooses their status in kindStatus.
type errHTTP struct {
	status int
	msg    string
}

func (e *errHTTP) Error() string { return e.msg }

func httpError(status int, msg string) error { return &errHTTP{status, msg} }

// errKind is an error of the API's own with a kind, such as a query
// parameter that does not parse.
type errKind struct {
	kind logstats.ErrorKind
	msg  string
}

func (e *errKind) Error() string            { return e.msg }
func (e *errKind) Kind() logstats.ErrorKind { return e.kind }
func invalid(msg string) error              { return &errKind{logstats.KindInvalid, msg} }
func notFound(msg string) error             { return &errKind{logstats.KindNotFound, msg} }

// kindStatus is the one table from error kinds to responses: the status and,
// where the error's own message is not the whole answer, what to put before
// it or instead of it.
var kindStatus = map[logstats.ErrorKind]struct {
	status  int
	prefix  string // put before the error's message
	message string // sent instead of the error's message, which is logged
}{
	logstats.KindInvalid:       {status: http.StatusBadRequest},
	logstats.KindNotFound:      {status: http.StatusNotFound},
	logstats.KindConflict:      {status: http.StatusConflict},
	logstats.KindSourceChanged: {status: http.StatusConflict},
	logstats.KindCorrupt:       {status: http.StatusUnprocessableEntity, prefix: "the log cannot be read: "},
	logstats.KindMalformed:     {status: http.StatusUnprocessableEntity, prefix: "strict load stopped at a malformed line: "},
	logstats.KindWrongFormat:   {status: http.StatusUnprocessableEntity},
	logstats.KindUnavailable:   {status: http.StatusServiceUnavailable, message: "the database is unavailable; try again shortly"},
	logstats.KindNoSpace: {status: http.StatusInsufficientStorage,
		message: "the database's disk is full; what was committed stays: free space and run the load again to load the rest"},
	logstats.KindCanceled: {status: http.StatusServiceUnavailable,
		message: "the request was cancelled, as the server is shutting down; a load keeps what it committed: run it again to load the rest"},
	logstats.KindInternal: {status: http.StatusInternalServerError, message: "internal error; the server log has the details"},
}

// handleError maps an error to a response: errors of the HTTP exchange to
// their status; others by their kind (kindStatus). An error without a kind
// is the database's when the request was cancelled (the server is shutting
// down) or the database is down, and otherwise an internal error: a generic
// 500, logged with its details.
func (s *server) handleError(w http.ResponseWriter, r *http.Request, err error) {
	var ce *errHTTP
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &ce):
		s.writeError(w, r, ce.status, ce.msg)
		return
	case errors.As(err, &tooBig):
		s.writeError(w, r, http.StatusRequestEntityTooLarge, "the body is larger than the limit of "+formatBytes(tooBig.Limit)+"; load the file with the runner or ?path= instead")
		return
	}
	kind := logstats.KindOf(err)
	if kind == logstats.KindInternal || kind == logstats.KindUnavailable {
		switch {
		case r.Context().Err() != nil:
			// The client went away (and nobody reads this), or the server
			// is shutting down: the connection the driver saw fail was
			// closed by the cancellation.
			kind = logstats.KindCanceled
		case kind == logstats.KindInternal && s.databaseDown(r.Context()):
			kind = logstats.KindUnavailable
		}
	}
	switch kind {
	case logstats.KindInternal:
		s.logger.Error("internal error", "method", r.Method, "path", r.URL.Path, "err", err)
	case logstats.KindUnavailable:
		s.logger.Warn("database unavailable", "method", r.Method, "path", r.URL.Path, "err", err)
	case logstats.KindNoSpace:
		s.logger.Error("no space", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	resp, ok := kindStatus[kind]
	if !ok {
		resp = kindStatus[logstats.KindInternal]
	}
	msg := resp.message
	if msg == "" {
		msg = resp.prefix + err.Error()
	}
	s.writeError(w, r, resp.status, msg)
}

// databaseDown reports whether the database does not answer a ping now:
// what says that an error without a kind (from a driver that does not
// classify its errors, as package mysql's does) was the database's.
func (s *server) databaseDown(ctx context.Context) bool {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
	defer cancel()
	return pingDB(ctx, s.db) != nil
}
