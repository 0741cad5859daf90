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
	return string(r.appendRoute(nil, path))
}

// appendRoute appends the route of path to dst: Route without an
// allocation, for a breakdown that routes every distinct path of a block.
func (r *Routes) appendRoute(dst []byte, path string) []byte {
	if i := strings.IndexByte(path, '?'); i >= 0 {
		path = path[:i]
	}
	for i := range r.templates {
		if r.templates[i].matches(path) {
			return append(dst, r.templates[i].text...)
		}
	}
	if !r.auto {
		return append(dst, path...)
	}
	return appendAutoRoute(dst, path)
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

// appendAutoRoute appends path to dst with each identifier segment
// replaced by {id}: all decimal digits, at least 16 hexadecimal digits, or
// a UUID. One pass over the path, a table lookup a byte: a breakdown makes
// it for every distinct path of its blocks, which ids make many.
func appendAutoRoute(dst []byte, path string) []byte {
	start := 0 // of the segment
	all := uint8(classDigit | classHex | classHexOrDash)
	dashes := 0
	for i := 0; i < len(path); i++ {
		c := charClass[path[i]]
		if c&classSlash != 0 {
			dst = append(appendSegment(dst, path[start:i], all, dashes), '/')
			start, all, dashes = i+1, classDigit|classHex|classHexOrDash, 0
			continue
		}
		all &= c
		if c == classHexOrDash {
			dashes++
		}
	}
	return appendSegment(dst, path[start:], all, dashes)
}

// Classes of the bytes of a path, for appendAutoRoute.
const (
	classDigit     = 1 << iota // 0-9
	classHex                   // 0-9, a-f, A-F
	classHexOrDash             // a hexadecimal digit or '-'
	classSlash
)

// charClass holds the classes of each byte.
var charClass = [256]uint8{
	'0': 7, '1': 7, '2': 7, '3': 7, '4': 7, '5': 7, '6': 7, '7': 7, '8': 7, '9': 7,
	'a': 6, 'b': 6, 'c': 6, 'd': 6, 'e': 6, 'f': 6,
	'A': 6, 'B': 6, 'C': 6, 'D': 6, 'E': 6, 'F': 6,
	'-': classHexOrDash, '/': classSlash,
}

// appendSegment appends seg, or {id} when it is an identifier; all is the
// classes all its bytes have, dashes how many are '-'.
func appendSegment(dst []byte, seg string, all uint8, dashes int) []byte {
	id := seg != "" && (all&classDigit != 0 || all&classHex != 0 && len(seg) >= 16 ||
		all&classHexOrDash != 0 && dashes == 4 && len(seg) == 36 && seg[8] == '-' && seg[13] == '-' && seg[18] == '-' && seg[23] == '-')
	if id {
		return append(dst, "{id}"...)
	}
	return append(dst, seg...)
}
