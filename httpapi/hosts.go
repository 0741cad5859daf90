package httpapi

import (
	"net"
	"net/http"
	"strings"
)

// Browser-borne requests (SPEC §17). A web page the user visits can send
// requests to a server it cannot read: a cross-origin POST (a "simple"
// request needs no preflight), or, through DNS rebinding, any request to a
// name it controls that resolves to the server's loopback address.

// checkHost answers 421 to a request whose Host is none of the names a
// loopback server is reached by: a loopback address, localhost, or one of
// allowed. A page that rebinds its own name to 127.0.0.1 sends its own
// name as the Host, so it is refused.
func (s *server) checkHost(allowed []string, next http.Handler) http.Handler {
	names := make(map[string]bool, len(allowed))
	for _, a := range allowed {
		names[normalHost(a)] = true
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host := normalHost(r.Host)
		if !isLoopbackName(host) && !names[host] {
			s.writeError(w, r, http.StatusMisdirectedRequest, "this server answers requests for a loopback address or localhost, not for "+
				sanitize(r.Host)+"; to serve that name, start it with -allowed-host "+sanitize(host))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// normalHost returns a Host header's name without its port, in lower case,
// without a trailing dot or IPv6 brackets.
func normalHost(h string) string {
	if host, _, err := net.SplitHostPort(h); err == nil {
		h = host
	}
	h = strings.TrimSuffix(strings.TrimSuffix(strings.TrimPrefix(h, "["), "]"), ".")
	return strings.ToLower(h)
}

// isLoopbackName reports whether host (normalHost's form) is localhost, a
// name under localhost (RFC 6761), or a loopback address.
func isLoopbackName(host string) bool {
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// checkOrigin refuses with 403 a request that changes data (any method but
// GET, HEAD and OPTIONS) sent by a browser from another origin than the
// server's own, as the browser's Sec-Fetch-Site or Origin header tells.
// Requests from programs (curl, the runner) send neither and pass.
func (s *server) checkOrigin(next http.Handler) http.Handler {
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.writeError(w, r, http.StatusForbidden, "a request from another origin (a web page of another site, as the Origin or Sec-Fetch-Site header says) may not change data here")
	}))
	return cop.Handler(next)
}
