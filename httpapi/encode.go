package httpapi

import (
	"context"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"io/fs"
	"net"
	"net/http"
	"strconv"
	"syscall"
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

// errClient is an error whose message is meant for the client, with the
// status to send it with.
type errClient struct {
	status int
	msg    string
}

func (e *errClient) Error() string { return e.msg }

func clientError(status int, msg string) error { return &errClient{status, msg} }

// handleError maps an error to a response: the client's own mistakes and the
// domain's refusals to 4xx with their message; an unreachable database to 503;
// anything else to a generic 500, logged with its details.
func (s *server) handleError(w http.ResponseWriter, r *http.Request, err error) {
	var ce *errClient
	var perr *logstats.ParseError
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &ce):
		s.writeError(w, r, ce.status, ce.msg)
	case errors.As(err, &tooBig):
		s.writeError(w, r, http.StatusRequestEntityTooLarge, "the body is larger than the limit of "+formatBytes(tooBig.Limit)+"; load the file with the runner or ?path= instead")
	case errors.Is(err, logstats.ErrInvalidRange), errors.Is(err, logstats.ErrInvalidDate),
		errors.Is(err, logstats.ErrInvalidPercentile), errors.Is(err, logstats.ErrInvalidCustomer) && !errors.As(err, &perr):
		s.writeError(w, r, http.StatusBadRequest, err.Error())
	case errors.Is(err, logstats.ErrSourceChanged), errors.Is(err, logstats.ErrLoadInProgress):
		s.writeError(w, r, http.StatusConflict, err.Error())
	case errors.Is(err, logstats.ErrCorruptInput):
		s.writeError(w, r, http.StatusUnprocessableEntity, "the log cannot be read: "+err.Error())
	case errors.As(err, &perr):
		s.writeError(w, r, http.StatusUnprocessableEntity, "strict load stopped at a malformed line: "+perr.Error())
	case errors.Is(err, fs.ErrNotExist):
		s.writeError(w, r, http.StatusNotFound, err.Error())
	case r.Context().Err() != nil:
		// The server is shutting down (or the client went away, and nobody
		// reads this).
		s.writeError(w, r, http.StatusServiceUnavailable, "the request was cancelled, as the server is shutting down; a load keeps what it committed: run it again to load the rest")
	case s.databaseDown(r.Context(), err):
		s.logger.Warn("database unavailable", "method", r.Method, "path", r.URL.Path, "err", err)
		s.writeError(w, r, http.StatusServiceUnavailable, "the database is unavailable; try again shortly")
	default:
		s.logger.Error("internal error", "method", r.Method, "path", r.URL.Path, "err", err)
		s.writeError(w, r, http.StatusInternalServerError, "internal error; the server log has the details")
	}
}

// databaseDown reports whether err looks like a lost database, or the
// database does not answer a ping now.
func (s *server) databaseDown(ctx context.Context, err error) bool {
	var netErr net.Error
	if errors.Is(err, driver.ErrBadConn) || errors.As(err, &netErr) || errors.Is(err, syscall.ECONNREFUSED) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	if s.db == nil {
		return false
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
	defer cancel()
	return s.db.PingContext(ctx) != nil
}
