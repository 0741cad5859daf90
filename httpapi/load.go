package httpapi

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"slices"
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
		if hasBody(r) {
			release, ok := s.uploads.acquire()
			if !ok {
				w.Header().Set("Retry-After", "5")
				s.handleError(w, r, s.uploads.errBusy())
				return
			}
			defer release()
		}
		in, err := s.loadInput(w, r)
		if err != nil {
			s.handleError(w, r, err)
			return
		}
		defer in.r.Close()
		parse, err := s.parseConfig(r)
		if err != nil {
			s.handleError(w, r, err)
			return
		}
		start := time.Now()
		res, err := s.ingester.Load(r.Context(), in.name, in.r, logstats.LoadOptions{Growing: in.growing, Parse: parse})
		s.opts.Metrics.ObserveLoad(res, time.Since(start), err)
		answer := err
		if in.onServer {
			// The client may not read the file: its answer names lines and
			// reasons, never the file's bytes (which a format of the
			// client's choosing would otherwise bring back a field at a
			// time). The server's log, the operator's, keeps them.
			answer = logstats.WithoutInput(err)
			if res != nil {
				for i, e := range res.Errors {
					res.Errors[i] = e.WithoutInput()
				}
			}
		}
		if err != nil {
			s.logger.Warn("load failed", "source", in.name, "err", err)
			if advice := loadAdvice(err); advice != "" {
				answer = fmt.Errorf("%w; %s", answer, advice)
			}
			s.handleError(w, r, answer)
			return
		}
		s.logger.Info("loaded", "source", in.name, "lines", res.Lines, "inserted", res.Inserted,
			"already_loaded", res.SkippedAlreadyLoaded, "malformed", res.Malformed)
		encode(w, http.StatusOK, response{Status: "done", LoadResult: res})
	})
}

// hasBody reports whether r may carry a body (an upload).
func hasBody(r *http.Request) bool {
	return r.Body != nil && r.Body != http.NoBody && r.ContentLength != 0
}

// parseConfig returns how POST /load must read the log when its query
// changes the server's ParseConfig, else nil.
func (s *server) parseConfig(r *http.Request) (*logstats.ParseConfig, error) {
	q := r.URL.Query()
	if !q.Has("format") && !q.Has("fields") && !q.Has("customer") && !q.Has("customer_default") && !q.Has("keep_query") && !q.Has("dimension") {
		return nil, nil
	}
	// The query's settings over the server's.
	cfg := s.opts.Parse
	set := logstats.ParseSettings{Format: cfg.Format.String(), Customer: cfg.Customer.String(), CustomerDefault: cfg.CustomerDefault}
	for _, d := range cfg.Dimensions {
		set.Dimensions = append(set.Dimensions, d.String())
	}
	if q.Has("dimension") {
		// ?dimension= (empty) loads without the server's dimensions.
		set.Dimensions = slices.DeleteFunc(q["dimension"], func(v string) bool { return v == "" })
	}
	for param, v := range map[string]*string{"format": &set.Format, "fields": &set.Fields, "customer": &set.Customer, "customer_default": &set.CustomerDefault} {
		if q.Has(param) {
			*v = q.Get(param)
		}
	}
	if q.Has("fields") && !q.Has("format") {
		set.Format = "auto" // ?fields= alone reads a jsonl log, whatever the server's format
	}
	read, err := set.Config()
	var serr *logstats.SettingError
	if errors.As(err, &serr) {
		param := map[string]string{"Format": "format", "Fields": "fields", "Customer": "customer", "CustomerDefault": "customer_default", "Dimensions": "dimension"}[serr.Setting]
		return nil, invalid(param + ": " + serr.Err.Error())
	}
	if err != nil {
		return nil, err
	}
	cfg.Format, cfg.Customer, cfg.CustomerDefault, cfg.Dimensions = read.Format, read.Customer, read.CustomerDefault, read.Dimensions
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

// loadAdvice returns what to do about a load's error in POST /load's
// query parameters, when a parameter fixes it, or "".
func loadAdvice(err error) string {
	var (
		wf *logstats.WrongFormatError
		rc *logstats.ReadingChangedError
		af *logstats.AmbiguousFormatError
		ua *logstats.UnattributedError
	)
	switch {
	case errors.As(err, &ua):
		return "pass ?customer= with where the customer is (path:PATTERN, query:NAME or a field of the format), or ?customer_default=NAME for every request"
	case errors.As(err, &wf):
		if len(wf.Fits) == 0 {
			return "pass ?format=nginx:<your log_format> or ?format=apache:<your LogFormat>, URL-encoded"
		}
		advice := "pass ?format=" + url.QueryEscape(wf.Fits[0].String())
		if wf.NeedsCustomer {
			advice += " with &customer=path:PATTERN or &customer=query:NAME, or with &customer_default=NAME (it has no customer field)"
		}
		return advice
	case errors.As(err, &rc):
		query := "?format=" + url.QueryEscape(rc.Format)
		if rc.Customer != "" {
			query += "&customer=" + url.QueryEscape(rc.Customer)
		}
		if rc.CustomerDefault != "" {
			query += "&customer_default=" + url.QueryEscape(rc.CustomerDefault)
		}
		for _, d := range rc.Dimensions {
			query += "&dimension=" + url.QueryEscape(d)
		}
		if len(rc.Dimensions) == 0 {
			query += "&dimension=" // none: not the server's -dimension either
		}
		return "load it with " + query
	case errors.As(err, &af):
		return "choose the format with ?format="
	}
	return ""
}

// loadInput is what a POST /load loads.
type loadInput struct {
	name string
	r    io.ReadCloser
	// growing says that it is a file that may still be being written, whose
	// last line, if it has no newline yet, is left for a later load.
	growing bool
	// onServer says that it is a file on the server, which the client may
	// not read.
	onServer bool
}

// loadInput opens what a POST /load asks for: the uploaded body, a file of
// the data directory (?path=NAME), or the server's log file.
func (s *server) loadInput(w http.ResponseWriter, r *http.Request) (loadInput, error) {
	q := r.URL.Query()
	body, hasBody, err := s.body(w, r)
	if err != nil {
		return loadInput{}, err
	}
	switch {
	case hasBody && q.Has("path"):
		return loadInput{}, invalid("send either a body or ?path=, not both")
	case hasBody:
		name := q.Get("source")
		if name == "" {
			name = "upload"
		}
		f, err := s.spool(body)
		return loadInput{name: name, r: f}, err
	case q.Has("path"):
		name := q.Get("path")
		f, err := s.openInDataDir(name)
		return loadInput{name: name, r: f, growing: true, onServer: true}, err
	}
	f, err := s.openLogFile()
	return loadInput{name: filepath.Base(s.opts.LogFile), r: f, growing: true, onServer: true}, err
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
