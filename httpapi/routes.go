package httpapi

import (
	"net/http"
	"strings"
)

// addRoutes lists every route, with what each needs of its caller (see
// auth.go). Each path answers with or without a trailing slash; any other
// method gets 405 with an Allow header, and any other path a JSON 404.
func (s *server) addRoutes(mux *http.ServeMux) {
	s.route(mux, "/health", endpoint{"GET", accessOpen, handleHealth()})
	s.route(mux, "/ready", endpoint{"GET", accessOpen, s.handleReady()})
	s.route(mux, "/customers", endpoint{"GET", accessCustomerList, s.handleCustomers()})
	s.route(mux, "/customers/{id}/stats", endpoint{"GET", accessCustomer, s.handleStats()})
	s.route(mux, "/customers/{id}/requests", endpoint{"GET", accessCustomer, s.handleRequests()})
	s.route(mux, "/customers/{id}/breakdown", endpoint{"GET", accessCustomer, s.handleBreakdown()})
	s.route(mux, "/customers/{id}/slo", endpoint{"GET", accessCustomer, s.handleObjectives(nil)},
		endpoint{"PUT", accessObjectives, s.handleObjectives(s.setObjectives)}, endpoint{"DELETE", accessObjectives, s.handleObjectives(s.deleteObjectives)})
	s.route(mux, "/load", endpoint{"POST", accessLoad, s.handleLoad()})
	s.route(mux, "/sources", endpoint{"GET", accessAdminRead, s.handleListSources()})
	s.route(mux, "/sources/{id}", endpoint{"DELETE", accessLoad, s.handleForgetSource()})
	s.route(mux, "/keys", endpoint{"GET", accessAdmin, s.handleListKeys()}, endpoint{"POST", accessAdmin, s.handleCreateKey()})
	s.route(mux, "/keys/{id}", endpoint{"DELETE", accessAdmin, s.handleRevokeKey()})
	s.route(mux, "/openapi.json", endpoint{"GET", accessAdminRead, handleOpenAPI()})
	s.route(mux, "/metrics", endpoint{"GET", accessAdminRead, s.opts.Metrics.handler()})
	mux.Handle("GET /{$}", s.dashboard)
	mux.Handle("/{$}", s.handleMethodNotAllowed("GET, HEAD"))
	mux.Handle("/", s.handleNotFound())
}

// endpoint is a method of a route: what it needs, and its handler.
type endpoint struct {
	method string
	access access
	h      http.Handler
}

// route registers each endpoint on path and path + "/", behind guard, and
// a 405 handler for the other methods.
func (s *server) route(mux *http.ServeMux, path string, endpoints ...endpoint) {
	var methods []string
	for _, e := range endpoints {
		methods = append(methods, e.method)
		if e.method == "GET" {
			methods = append(methods, "HEAD")
		}
	}
	for _, e := range endpoints {
		s.routes = append(s.routes, e.method+" "+path)
	}
	allow := strings.Join(methods, ", ")
	notAllowed := s.handleMethodNotAllowed(allow)
	for _, p := range []string{path, path + "/{$}"} {
		for _, e := range endpoints {
			mux.Handle(e.method+" "+p, s.guard(e.access, path, e.h))
		}
		mux.Handle(p, notAllowed)
	}
}

func (s *server) handleNotFound() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.writeError(w, r, http.StatusNotFound, "no route "+r.Method+" "+sanitize(r.URL.Path)+"; see GET / (the dashboard), /health/, /ready, /customers/, /customers/{id}/stats/?from=YYYY-MM-DD, /customers/{id}/requests?from=YYYY-MM-DD, /customers/{id}/breakdown?by=endpoint&from=YYYY-MM-DD, /customers/{id}/slo, POST /load, /sources, /keys, GET /openapi.json, /metrics")
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
