package logstats

import (
	"fmt"
	"strings"
)

// Routes turns stored paths into routes (SPEC §14): a path with its
// variable segments replaced by a name in braces, so that
// /v1/users/42/orders and /v1/users/7/orders are one route,
// /v1/users/{id}/orders. Templates are tried first, in order; a path that
// none matches gets the automatic step, unless it is off. A Routes is
// immutable and safe for concurrent use; the zero Routes has no templates
// and no automatic step (a route is then the path without its query).
type Routes struct {
	templates []routeTemplate
	auto      bool
}

// A routeTemplate is a parsed template: its segments, each a literal or,
// for "{name}", a variable matching one non-empty segment.
type routeTemplate struct {
	text     string
	segments []routeSegment
}

type routeSegment struct {
	literal  string
	variable bool
}

// ParseRoutes returns the Routes of templates such as
// "/v1/users/{id}/orders/{order}", tried in order (the first that matches
// a whole path wins), and, when auto is true, of the automatic step for
// the paths no template matches: each segment that is all decimal digits,
// a UUID (8-4-4-4-12 hexadecimal digits, any case) or at least 16
// hexadecimal digits becomes {id}. A template starts with "/"; a segment
// in braces is a variable, named by a letter or underscore followed by
// letters, digits and underscores; braces elsewhere are refused. Errors
// wrap ErrInvalidRoute.
func ParseRoutes(templates []string, auto bool) (*Routes, error) {
	r := &Routes{auto: auto}
	for _, t := range templates {
		rt, err := parseRouteTemplate(t)
		if err != nil {
			return nil, err
		}
		r.templates = append(r.templates, rt)
	}
	return r, nil
}

func parseRouteTemplate(t string) (routeTemplate, error) {
	if !strings.HasPrefix(t, "/") {
		return routeTemplate{}, fmt.Errorf("%w %q: a route template starts with \"/\", such as /v1/users/{id}", ErrInvalidRoute, t)
	}
	if strings.ContainsAny(t, "?#") {
		return routeTemplate{}, fmt.Errorf("%w %q: a route template is a path without a query", ErrInvalidRoute, t)
	}
	rt := routeTemplate{text: t}
	for _, seg := range strings.Split(t[1:], "/") {
		name, isVar := strings.CutPrefix(seg, "{")
		if isVar {
			var closed bool
			if name, closed = strings.CutSuffix(name, "}"); !closed || !isIdentifier(name) {
				return routeTemplate{}, fmt.Errorf("%w %q: segment %q: a variable is a whole segment {name}, the name a letter or _ followed by letters, digits and _", ErrInvalidRoute, t, seg)
			}
		} else if strings.ContainsAny(seg, "{}") {
			return routeTemplate{}, fmt.Errorf("%w %q: segment %q: a variable is a whole segment {name}", ErrInvalidRoute, t, seg)
		}
		rt.segments = append(rt.segments, routeSegment{literal: seg, variable: isVar})
	}
	return rt, nil
}

// isIdentifier reports whether s is a letter or underscore followed by
// letters, digits and underscores (ASCII).
func isIdentifier(s string) bool {
	if s == "" {
		return false
	}
	for i := range len(s) {
		c := s[i]
		switch {
		case c == '_', 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z':
		case '0' <= c && c <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}

// Templates returns the templates r was parsed from, in order.
func (r *Routes) Templates() []string {
	out := make([]string, len(r.templates))
	for i, t := range r.templates {
		out[i] = t.text
	}
	return out
}

// Auto reports whether r has the automatic step.
func (r *Routes) Auto() bool { return r.auto }

// Route returns the route of path: the text of the first template that
// matches it, or else, with the automatic step, the path with its
// identifier segments replaced by {id}, or else the path. A query string
// (from "?") is dropped first.
func (r *Routes) Route(path string) string {
	if i := strings.IndexByte(path, '?'); i >= 0 {
		path = path[:i]
	}
	for i := range r.templates {
		if r.templates[i].matches(path) {
			return r.templates[i].text
		}
	}
	if !r.auto {
		return path
	}
	return autoRoute(path)
}

// matches reports whether path has t's segments: the same literals where t
// has them, a non-empty segment where t has a variable.
func (t *routeTemplate) matches(path string) bool {
	if !strings.HasPrefix(path, "/") {
		return false
	}
	rest := path[1:]
	for i, seg := range t.segments {
		var s string
		if i == len(t.segments)-1 {
			if strings.IndexByte(rest, '/') >= 0 {
				return false // the path has more segments
			}
			s = rest
		} else {
			var found bool
			if s, rest, found = strings.Cut(rest, "/"); !found {
				return false // the path has fewer segments
			}
		}
		if seg.variable {
			if s == "" {
				return false
			}
		} else if s != seg.literal {
			return false
		}
	}
	return true
}

// autoRoute replaces each identifier segment of path by {id}; path itself
// when it has none (no allocation).
func autoRoute(path string) string {
	var b []byte
	copied, start := 0, 0 // path[:copied] is in b; the segment starts at start
	for i := 0; i <= len(path); i++ {
		if i < len(path) && path[i] != '/' {
			continue
		}
		if isIDSegment(path[start:i]) {
			b = append(b, path[copied:start]...)
			b = append(b, "{id}"...)
			copied = i
		}
		start = i + 1
	}
	if b == nil {
		return path
	}
	return string(append(b, path[copied:]...))
}

// isIDSegment reports whether a path segment is an identifier: all decimal
// digits, a UUID, or at least 16 hexadecimal digits.
func isIDSegment(s string) bool {
	if s == "" {
		return false
	}
	digits, hex := true, true
	for i := range len(s) {
		c := s[i]
		digits = digits && '0' <= c && c <= '9'
		hex = hex && isHexDigit(c)
	}
	switch {
	case digits:
		return true
	case hex:
		return len(s) >= 16
	}
	return isUUID(s)
}

// isUUID reports whether s is 8-4-4-4-12 hexadecimal digits.
func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := range len(s) {
		if i == 8 || i == 13 || i == 18 || i == 23 {
			if s[i] != '-' {
				return false
			}
		} else if !isHexDigit(s[i]) {
			return false
		}
	}
	return true
}

func isHexDigit(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}
