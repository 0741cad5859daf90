package httpapi_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/logstats/logstats"
	"github.com/logstats/logstats/httpapi"
)

// fakeStats answers every query with err.
type fakeStats struct{ err error }

func (f fakeStats) FindStats(context.Context, string, logstats.StatsFilter) (*logstats.CustomerStats, error) {
	return nil, f.err
}

func (f fakeStats) FindCustomers(context.Context, logstats.CustomerFilter) ([]logstats.Customer, error) {
	return nil, f.err
}

func (f fakeStats) Fleet(context.Context, logstats.FleetFilter) (*logstats.Fleet, error) {
	return nil, f.err
}

// fakeLoader loads nothing and fails with err.
type fakeLoader struct{ err error }

func (f fakeLoader) Load(_ context.Context, name string, r io.Reader, _ logstats.LoadOptions) (*logstats.LoadResult, error) {
	io.Copy(io.Discard, r)
	return &logstats.LoadResult{Source: name}, f.err
}

// fakePinger is a database that answers pings with err.
type fakePinger struct{ err error }

func (f fakePinger) PingContext(context.Context) error { return f.err }

// TestErrorKinds checks, without a database, that each kind of error the
// library returns gets its status, and that an error without a kind is a
// generic 500 whose details go to the log only, or a 503 when the database
// does not answer a ping.
func TestErrorKinds(t *testing.T) {
	down := fakePinger{errors.New("connection refused")}
	for _, tc := range []struct {
		name   string
		err    error
		db     httpapi.Pinger
		status int
		says   string // in the error message
		hides  string // not in the error message
	}{
		{"Invalid", fmt.Errorf("%w: to is before from", logstats.ErrInvalidRange), nil, 400, "to is before from", ""},
		{"SourceChanged", fmt.Errorf("%w: a.log: edited", logstats.ErrSourceChanged), nil, 409, "edited", ""},
		{"Conflict", fmt.Errorf("%w: a.log", logstats.ErrLoadInProgress), nil, 409, "in progress", ""},
		{"Corrupt", fmt.Errorf("%w: gzip: bad header", logstats.ErrCorruptInput), nil, 422, "the log cannot be read: ", ""},
		{"Malformed", &logstats.ParseError{Line: 7, Reason: `status "x" is not an integer`, Err: logstats.ErrInvalidStatus}, nil, 422, "strict load stopped at a malformed line: line 7", ""},
		{"Unavailable", fmt.Errorf("query: %w", context.DeadlineExceeded), nil, 503, "the database is unavailable", "deadline"},
		{"Internal", errors.New("secret table xyz is corrupt"), nil, 500, "internal error", "xyz"},
		{"InternalDatabaseDown", errors.New("secret bad packet"), down, 503, "the database is unavailable", "secret"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var logs bytes.Buffer
			h := httpapi.NewHandler(httpapi.Deps{
				Logger: slog.New(slog.NewTextHandler(&logs, nil)), DB: tc.db,
				Stats: fakeStats{tc.err}, Loader: fakeLoader{tc.err},
			}, httpapi.Options{})
			for _, req := range []*http.Request{
				httptest.NewRequest("GET", "/customers/cust_1/stats/?from=2024-10-01", nil),
				httptest.NewRequest("GET", "/customers/", nil),
				httptest.NewRequest("POST", "/load", strings.NewReader("2024-10-01 00:00:00 c /a 200 0.1\n")),
			} {
				w := httptest.NewRecorder()
				h.ServeHTTP(w, req)
				var body struct{ Error string }
				if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
					t.Fatalf("%s %s: %d %q is not JSON: %v", req.Method, req.URL, w.Code, w.Body, err)
				}
				if w.Code != tc.status || !strings.Contains(body.Error, tc.says) || tc.hides != "" && strings.Contains(body.Error, tc.hides) {
					t.Errorf("%s %s: %d %q, want %d saying %q", req.Method, req.URL, w.Code, body.Error, tc.status, tc.says)
				}
			}
			if tc.status >= 500 && !strings.Contains(logs.String(), tc.err.Error()) {
				t.Errorf("the log does not hold the error's details: %s", logs.String())
			}
		})
	}
}

// TestNilDeps checks that nil pointers in Deps mean "none", as nil
// interfaces do: always ready, loading disabled.
func TestNilDeps(t *testing.T) {
	h := httpapi.NewHandler(httpapi.Deps{DB: (*sql.DB)(nil), Stats: (*logstats.StatsService)(nil), Loader: (*logstats.Ingester)(nil)}, httpapi.Options{})
	for _, tc := range []struct {
		method, path string
		status       int
	}{{"GET", "/ready", 200}, {"POST", "/load", 503}} {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(tc.method, tc.path, nil))
		if w.Code != tc.status {
			t.Errorf("%s %s: %d %s, want %d", tc.method, tc.path, w.Code, w.Body, tc.status)
		}
	}
}

// TestErrorKinds_Cancelled checks that a request cancelled under a query
// gets the cancel message, even when the driver reported the connection it
// saw closed as a lost database.
func TestErrorKinds_Cancelled(t *testing.T) {
	lost := &unavailableErr{}
	h := httpapi.NewHandler(httpapi.Deps{Stats: fakeStats{lost}}, httpapi.Options{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", "/customers/cust_1/stats/?from=2024-10-01", nil).WithContext(ctx))
	if w.Code != 503 || !strings.Contains(w.Body.String(), "cancelled") {
		t.Fatalf("%d %s, want 503 saying the request was cancelled", w.Code, w.Body)
	}
}

// unavailableErr is a driver error that says the connection was lost.
type unavailableErr struct{}

func (*unavailableErr) Error() string            { return "invalid connection" }
func (*unavailableErr) Kind() logstats.ErrorKind { return logstats.KindUnavailable }
