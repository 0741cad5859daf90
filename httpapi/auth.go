package httpapi

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/logstats/logstats"
)

// Who may do what (SPEC §16). A route declares what it needs (an access);
// guard resolves the caller from the Authorization header before the
// route's handler runs, and refuses what the caller may not do. A route of a
// customer's numbers lives under /customers/{id}/, and guard answers a
// customer key for any other id with the same 404 as for an unknown route:
// a new route there is scoped by construction.

// role is what a caller is, from its credentials.
type role int

const (
	roleAnonymous role = iota // no Authorization header
	roleAdmin                 // the admin token
	roleLoader                // the load token
	roleCustomer              // a customer key
)

// caller is who sent a request.
type caller struct {
	role     role
	customer string // for roleCustomer, the customer the key reads
}

// access is what a route needs of its caller.
type access int

const (
	// accessOpen: anyone (/health, /ready, the dashboard's page).
	accessOpen access = iota
	// accessCustomer: a customer's numbers, under /customers/{id}/: the
	// admin token or that customer's key (anyone when auth is off).
	accessCustomer
	// accessCustomerList: the customer list, which the handler narrows to
	// the key's customer for a customer key (see callerOf).
	accessCustomerList
	// accessAdminRead: the server's own state (/metrics, /openapi.json,
	// /sources): the admin token (anyone when auth is off).
	accessAdminRead
	// accessLoad: POST /load and DELETE /sources/{id}: the load token or
	// the admin token (anyone when neither is set).
	accessLoad
	// accessAdmin: customer keys: the admin token, which must be set.
	accessAdmin
	// accessObjectives: writing a customer's objectives: the admin token
	// when it is set, else the load token when it is set, else anyone.
	accessObjectives
)

// customerPrefix is where every route of accessCustomer lives.
const customerPrefix = "/customers/{id}/"

// maxTokenBytes bounds a bearer token: keys are 47 bytes.
const maxTokenBytes = 1024

// parseBearer returns the token of an Authorization header of the Bearer
// scheme: the scheme (case-insensitive), one or more spaces, and a token of
// visible ASCII characters (RFC 6750's token68 and more, so that a
// configured token need not be base64). ok is false for anything else.
func parseBearer(header string) (token string, ok bool) {
	const scheme = "Bearer"
	if len(header) <= len(scheme) || !strings.EqualFold(header[:len(scheme)], scheme) || header[len(scheme)] != ' ' {
		return "", false
	}
	token = strings.TrimLeft(header[len(scheme):], " ")
	return token, ValidToken(token) == nil
}

// ValidToken returns nil if token can be sent as a bearer token (and so
// serve as Options.AdminToken or LoadToken): 1 to 1,024 visible ASCII
// characters, no spaces.
func ValidToken(token string) error {
	if token == "" || len(token) > maxTokenBytes {
		return errors.New("a token has 1 to 1,024 characters")
	}
	for i := 0; i < len(token); i++ {
		if token[i] <= ' ' || token[i] > '~' {
			return errors.New("a token has visible ASCII characters only, no spaces")
		}
	}
	return nil
}

// secret is a configured token, kept as its SHA-256 so that comparing
// with it takes the same time whatever the guess, its length included.
type secret struct {
	set bool
	sum [32]byte
}

func newSecret(token string) secret {
	if token == "" {
		return secret{}
	}
	return secret{set: true, sum: sha256.Sum256([]byte(token))}
}

func (s secret) matches(token string) bool {
	sum := sha256.Sum256([]byte(token))
	return s.set && subtle.ConstantTimeCompare(sum[:], s.sum[:]) == 1
}

// authOn reports whether reads need credentials: the server has an admin
// token.
func (s *server) authOn() bool { return s.adminToken.set }

type callerKey struct{}

// callerOf returns who sent r, as guard resolved it.
func callerOf(r *http.Request) caller {
	c, _ := r.Context().Value(callerKey{}).(caller)
	return c
}

// guard returns h behind the checks that access asks for, for the route
// pattern (which guard uses to scope a customer key). It panics when a
// customer's route is not under /customers/{id}/ (a programming error
// that the route table shows at once).
func (s *server) guard(a access, pattern string, h http.Handler) http.Handler {
	if a == accessOpen {
		return h
	}
	if a == accessCustomer && !strings.HasPrefix(pattern+"/", customerPrefix) {
		panic("httpapi: route " + pattern + " reads a customer's numbers, so it must be under " + customerPrefix)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, ok := s.authenticate(w, r)
		if !ok {
			return
		}
		switch s.decide(a, c) {
		case http.StatusUnauthorized:
			w.Header().Set("WWW-Authenticate", `Bearer realm="logstats"`)
			s.writeError(w, r, http.StatusUnauthorized, s.credentialsNeeded(a))
			return
		case http.StatusForbidden:
			s.writeError(w, r, http.StatusForbidden, forbidden(a, c))
			return
		}
		if c.role == roleCustomer && a == accessCustomer && r.PathValue("id") != c.customer {
			// The same answer whether the customer exists or not.
			s.writeError(w, r, http.StatusNotFound, "not found")
			return
		}
		h.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), callerKey{}, c)))
	})
}

// decide returns 0 when c may use a route that needs a, else the status
// that refuses it: 401 when credentials would help, 403 when they would
// not.
func (s *server) decide(a access, c caller) int {
	if c.role == roleAdmin {
		return 0
	}
	switch a {
	case accessCustomer, accessCustomerList:
		if c.role == roleCustomer || !s.authOn() {
			return 0
		}
	case accessAdminRead:
		if c.role == roleCustomer {
			return http.StatusForbidden
		}
		if !s.authOn() {
			return 0
		}
	case accessLoad:
		switch {
		case c.role == roleLoader:
			return 0
		case c.role == roleCustomer:
			return http.StatusForbidden
		case !s.authOn() && !s.loadToken.set:
			return 0
		}
	case accessAdmin:
		if !s.authOn() {
			return http.StatusForbidden
		}
	case accessObjectives:
		switch {
		case s.authOn() && c.role != roleAnonymous:
			return http.StatusForbidden // a customer's key, the load token
		case !s.authOn() && c.role == roleLoader, !s.authOn() && !s.loadToken.set:
			return 0
		}
	}
	if c.role == roleAnonymous {
		return http.StatusUnauthorized
	}
	return http.StatusForbidden
}

// credentialsNeeded says what to send to a route that needs a.
func (s *server) credentialsNeeded(a access) string {
	if a == accessLoad {
		if s.loadToken.set {
			return "loading and forgetting need the header Authorization: Bearer <the server's load token>"
		}
		return "loading and forgetting need the header Authorization: Bearer <the server's admin token>"
	}
	if a == accessObjectives && !s.authOn() {
		return "setting objectives needs the header Authorization: Bearer <the server's load token>"
	}
	if a == accessAdmin || a == accessAdminRead || a == accessObjectives {
		return "this route needs the header Authorization: Bearer <the server's admin token>"
	}
	return "this server needs the header Authorization: Bearer <the admin token or a customer key>; in a browser, open the link with #key= that you were given"
}

// forbidden says why c may not use a route that needs a.
func forbidden(a access, c caller) string {
	switch {
	case a == accessAdmin && c.role != roleCustomer && c.role != roleLoader:
		return "customer keys are managed with the admin token: start the server with -admin-token (or -admin-token-file)"
	case c.role == roleCustomer && a == accessLoad:
		return "a customer key reads its customer's numbers; it cannot load or forget logs"
	case a == accessObjectives:
		return "objectives are set with the admin token (the load token only when the server has no admin token)"
	case c.role == roleCustomer:
		return "a customer key reads its customer's numbers, nothing else"
	case c.role == roleLoader:
		return "the load token only loads logs; reading needs the admin token or a customer key"
	}
	return "not allowed"
}

// authenticate resolves the caller of r from its Authorization header. It
// answers the request itself, and returns false, when the header is
// present but wrong (401), when the client address failed too often
// lately (429), or when the keys cannot be checked (503).
func (s *server) authenticate(w http.ResponseWriter, r *http.Request) (caller, bool) {
	addr := clientAddr(r)
	if wait := s.failures.blocked(addr); wait > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int((wait+time.Second-1)/time.Second))) // whole seconds, rounded up
		s.writeError(w, r, http.StatusTooManyRequests, "too many failed authentications from this address; try again after Retry-After seconds")
		return caller{}, false
	}
	header := r.Header.Values("Authorization")
	if len(header) == 0 {
		return caller{role: roleAnonymous}, true
	}
	token, ok := parseBearer(header[0])
	if !ok || len(header) > 1 {
		s.refuse(w, r, addr, "the request must have one header Authorization: Bearer <token>")
		return caller{}, false
	}
	switch {
	case s.adminToken.matches(token):
		return caller{role: roleAdmin}, true
	case s.loadToken.matches(token):
		return caller{role: roleLoader}, true
	case s.keys != nil && strings.HasPrefix(token, logstats.KeyPrefix):
		k, err := s.keys.Authenticate(r.Context(), token)
		if err == nil {
			return caller{role: roleCustomer, customer: k.CustomerID}, true
		}
		if !errors.Is(err, logstats.ErrUnknownKey) {
			s.handleError(w, r, err)
			return caller{}, false
		}
	}
	s.refuse(w, r, addr, "the token of Authorization: Bearer is not valid: not one of the server's tokens, nor a customer key (a revoked key no longer is)")
	return caller{}, false
}

// refuse answers 401 to wrong credentials and counts the failure against
// the client's address.
func (s *server) refuse(w http.ResponseWriter, r *http.Request, addr, msg string) {
	s.failures.fail(addr)
	s.opts.Metrics.authFailures.Inc()
	w.Header().Set("WWW-Authenticate", `Bearer realm="logstats", error="invalid_token"`)
	s.writeError(w, r, http.StatusUnauthorized, msg)
}

// isAdmin reports whether r carries the admin token (without counting a
// failure: it decides what an open route shows, not whether it answers).
func (s *server) isAdmin(r *http.Request) bool {
	token, ok := parseBearer(r.Header.Get("Authorization"))
	return ok && s.adminToken.matches(token)
}
