package logstats

import (
	"bytes"
	"fmt"
	"strings"
)

// A CustomerSelector says where a log line keeps its customer. The zero
// CustomerSelector is the format's default: the logstats format's customer
// field, nginx's $remote_user, Apache's %u.
type CustomerSelector struct {
	kind selectorKind
	name string // the field, the path pattern or the query parameter
}

// maxSelectorBytes bounds a selector, as the ledger records it.
const maxSelectorBytes = 1024

type selectorKind uint8

const (
	selectDefault selectorKind = iota
	selectField                // a field of the format
	selectPath                 // a segment of the path
	selectQuery                // a query-string parameter
)

// ParseCustomerSelector returns the selector that s describes:
//
//   - "" : the format's default;
//   - a field of the format: "remote_user" or any "http_NAME" of an nginx
//     format ("$" in front is allowed), "%u" or "%{X-Customer}i" of an
//     Apache one;
//   - "path:PATTERN": the path segment at "{}" in PATTERN, which is matched
//     segment by segment from the start of the path ("*" matches any one
//     segment): "path:/v1/customers/{}/" finds c42 in /v1/customers/c42/orders;
//   - "query:NAME": the query-string parameter NAME (api_key in
//     /v1/orders?api_key=c42).
//
// Values found by path: and query: are percent-decoded. Errors wrap
// ErrInvalidSelector.
func ParseCustomerSelector(s string) (CustomerSelector, error) {
	if s == "" {
		return CustomerSelector{}, nil
	}
	if len(s) > maxSelectorBytes {
		return CustomerSelector{}, fmt.Errorf("%w: the selector is %d bytes long, more than the limit of %d", ErrInvalidSelector, len(s), maxSelectorBytes)
	}
	if rest, ok := strings.CutPrefix(s, "path:"); ok {
		if !strings.HasPrefix(rest, "/") || strings.Count(rest, "{}") != 1 {
			return CustomerSelector{}, fmt.Errorf(`%w %q: a path pattern starts with "/" and holds one "{}" where the customer is, such as path:/v1/customers/{}/`, ErrInvalidSelector, s)
		}
		segs := strings.Split(strings.TrimSuffix(rest[1:], "/"), "/")
		for _, seg := range segs {
			if seg != "{}" && strings.Contains(seg, "{}") {
				return CustomerSelector{}, fmt.Errorf(`%w %q: "{}" must be a whole path segment`, ErrInvalidSelector, s)
			}
		}
		return CustomerSelector{kind: selectPath, name: rest}, nil
	}
	if name, ok := strings.CutPrefix(s, "query:"); ok {
		if name == "" || strings.ContainsAny(name, "&=?# ") {
			return CustomerSelector{}, fmt.Errorf("%w %q: want query:NAME, the name of a query-string parameter", ErrInvalidSelector, s)
		}
		return CustomerSelector{kind: selectQuery, name: name}, nil
	}
	if strings.ContainsAny(s, " \t\"") {
		return CustomerSelector{}, fmt.Errorf("%w %q: want a field of the format (remote_user, http_x_api_key, %%u, %%{X-Customer}i), path:PATTERN or query:NAME", ErrInvalidSelector, s)
	}
	return CustomerSelector{kind: selectField, name: strings.TrimPrefix(s, "$")}, nil
}

// String returns the selector as ParseCustomerSelector accepts it; "" for
// the format's default.
func (sel CustomerSelector) String() string {
	switch sel.kind {
	case selectPath:
		return "path:" + sel.name
	case selectQuery:
		return "query:" + sel.name
	}
	return sel.name
}

// IsDefault reports whether sel is the zero selector, the format's default.
func (sel CustomerSelector) IsDefault() bool { return sel.kind == selectDefault }

// MarshalText returns the selector as String does.
func (sel CustomerSelector) MarshalText() ([]byte, error) { return []byte(sel.String()), nil }

// UnmarshalText sets sel as ParseCustomerSelector does.
func (sel *CustomerSelector) UnmarshalText(text []byte) error {
	s, err := ParseCustomerSelector(string(text))
	if err != nil {
		return err
	}
	*sel = s
	return nil
}

// fromPath returns the path segment at the pattern's "{}", or nil when the
// path does not match the pattern.
func (sel *CustomerSelector) fromPath(path []byte) []byte {
	if len(path) == 0 || path[0] != '/' {
		return nil
	}
	rest := path[1:]
	pattern := strings.TrimSuffix(sel.name[1:], "/")
	var found []byte
	for {
		if rest == nil {
			return nil // the path has fewer segments than the pattern
		}
		want, morePattern, hasMore := strings.Cut(pattern, "/")
		seg := rest
		if i := bytes.IndexByte(rest, '/'); i >= 0 {
			seg, rest = rest[:i], rest[i+1:]
		} else {
			rest = nil
		}
		switch want {
		case "{}":
			found = seg
		case "*":
		default:
			if string(seg) != want {
				return nil
			}
		}
		if !hasMore {
			return found
		}
		pattern = morePattern
	}
}

// fromQuery returns the raw value of the query parameter sel.name in query
// (without its "?"), or nil.
func (sel *CustomerSelector) fromQuery(query []byte) []byte {
	for len(query) > 0 {
		pair := query
		if i := bytes.IndexByte(query, '&'); i >= 0 {
			pair, query = query[:i], query[i+1:]
		} else {
			query = nil
		}
		key, value, _ := bytes.Cut(pair, []byte{'='})
		if string(key) == sel.name {
			return value
		}
	}
	return nil
}

// percentDecode appends b to dst with its %XX escapes decoded. ok is false
// for a malformed escape.
func percentDecode(dst, b []byte) ([]byte, bool) {
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c != '%' {
			dst = append(dst, c)
			continue
		}
		if i+2 >= len(b) {
			return dst, false
		}
		hi, ok1 := unhex(b[i+1])
		lo, ok2 := unhex(b[i+2])
		if !ok1 || !ok2 {
			return dst, false
		}
		dst = append(dst, hi<<4|lo)
		i += 2
	}
	return dst, true
}

func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}
