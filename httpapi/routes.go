package httpapi

import (
	"net/http"
	"strings"
)

// addRoutes lists every route. Each path answers with or without a trailing
// slash; any other method gets 405 with an Allow header, and any other path a
// JSON 404.
func (s *server) addRoutes(mux *http.ServeMux) {
	s.route(mux, "/health", "GET", handleHealth())
	s.route(mux, "/ready", "GET", s.handleReady())
	s.route(mux, "/customers", "GET", s.handleCustomers())
	s.route(mux, "/customers/{id}/stats", "GET", s.handleStats())
	s.route(mux, "/load", "POST", s.handleLoad())
	s.route(mux, "/openapi.json", "GET", handleOpenAPI())
	s.route(mux, "/metrics", "GET", s.opts.Metrics.handler())
	mux.Handle("GET /{$}", s.dashboard)
	mux.Handle("/{$}", s.handleMethodNotAllowed("GET, HEAD"))
	mux.Handle("/", s.handleNotFound())
}

// route registers h for method on path and path + "/", and a 405 handler for
// the other methods.
func (s *server) route(mux *http.ServeMux, path, method string, h http.Handler) {
	allow := method
	if method == "GET" {
		allow = "GET, HEAD"
	}
	notAllowed := s.handleMethodNotAllowed(allow)
	for _, p := range []string{path, path + "/{$}"} {
		mux.Handle(method+" "+p, h)
		mux.Handle(p, notAllowed)
	}
}

func (s *server) handleNotFound() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.writeError(w, r, http.StatusNotFound, "no route "+r.Method+" "+sanitize(r.URL.Path)+"; see GET / (the dashboard), /health/, /ready, /customers/, /customers/{id}/stats/?from=YYYY-MM-DD, POST /load, GET /openapi.json, /metrics")
	})
}

func (s *server) handleMethodNotAllowed(allow string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Allow", allow)
		s.writeError(w, r, http.StatusMethodNotAllowed, "method "+sanitize(r.Method)+" is not allowed here; use "+allow)
	})
}

// sanitize shortens s and drops control characters, for echoing client input
// in error messages.
func sanitize(s string) string {
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, s)
}
