package logstats

import (
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// A Dimension is one more value kept with each request (SPEC §14): a
// region, a tier, a client version, read from the log line by a selector,
// as the customer is. Breakdowns group by it and stats filter on it, by
// its name.
type Dimension struct {
	// Name is the dimension's name in breakdowns and filters: a lowercase
	// identifier (a letter, then letters, digits and underscores, at most
	// MaxDimensionNameBytes) other than a built-in key or a query
	// parameter of the stats API.
	Name string
	// Selector says where a line keeps the value, as for the customer: a
	// field of the format, path:PATTERN or query:NAME. A line where it
	// finds nothing ("-", empty, absent) has the empty value.
	Selector CustomerSelector
}

// Limits of dimensions.
const (
	// MaxDimensions is how many dimensions a source may keep.
	MaxDimensions = maxBlockDims
	// MaxDimensionNameBytes bounds a dimension's name.
	MaxDimensionNameBytes = 64
	// MaxDimensionValueBytes bounds a request's value of a dimension: a
	// longer one is cut.
	MaxDimensionValueBytes = 1024
)

// reservedNames are the names a dimension cannot have: the built-in keys
// of a breakdown, the fields of an export, and the query parameters of the
// stats and breakdown routes, which filters by dimension share.
var reservedNames = []string{
	"endpoint", "method", "route", "path", "status", "status_class", "day",
	"time", "latency", // fields of the export, whose keys dimensions share
	"from", "to", "by", "sort", "order", "limit", "percentiles", "format",
	"interval", "compare", "failed", "slo", "customer", "customer_id", "offset",
}

// ParseDimension reads one dimension written NAME=SELECTOR, as -dimension
// takes it ("region=http_x_region", "tier=query:tier"). Errors wrap
// ErrInvalidDimension, or ErrInvalidSelector for the selector.
func ParseDimension(s string) (Dimension, error) {
	name, sel, ok := strings.Cut(s, "=")
	if !ok {
		return Dimension{}, fmt.Errorf("%w %q: want NAME=SELECTOR, such as region=http_x_region or tier=query:tier", ErrInvalidDimension, s)
	}
	if err := validDimensionName(name); err != nil {
		return Dimension{}, err
	}
	if strings.ContainsFunc(sel, unicode.IsControl) {
		return Dimension{}, fmt.Errorf("%w %q: the selector holds a control character", ErrInvalidDimension, s)
	}
	if sel == "" {
		return Dimension{}, fmt.Errorf("%w %q: the selector is empty; say where the value is, such as %s=http_x_%s", ErrInvalidDimension, s, name, name)
	}
	selector, err := ParseCustomerSelector(sel)
	if err != nil {
		return Dimension{}, fmt.Errorf("dimension %s: %w", name, err)
	}
	return Dimension{Name: name, Selector: selector}, nil
}

// ParseDimensions reads a list of dimensions, each as ParseDimension reads
// one, and checks the list: at most MaxDimensions, no name twice.
func ParseDimensions(list []string) ([]Dimension, error) {
	var out []Dimension
	for _, s := range list {
		d, err := ParseDimension(s)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	if err := checkDimensions(out); err != nil {
		return nil, err
	}
	return out, nil
}

// String returns the dimension as ParseDimension reads it.
func (d Dimension) String() string { return d.Name + "=" + d.Selector.String() }

// validDimensionName checks a dimension's name.
func validDimensionName(name string) error {
	if name == "" || len(name) > MaxDimensionNameBytes {
		return fmt.Errorf("%w: name %q: want 1 to %d bytes", ErrInvalidDimension, name, MaxDimensionNameBytes)
	}
	for i, c := range []byte(name) {
		if !('a' <= c && c <= 'z' || i > 0 && ('0' <= c && c <= '9' || c == '_')) {
			return fmt.Errorf("%w: name %q: want a lowercase identifier (a letter, then letters, digits and underscores)", ErrInvalidDimension, name)
		}
	}
	if slices.Contains(reservedNames, name) {
		return fmt.Errorf("%w: name %q is a built-in key or a query parameter of the API; choose another", ErrInvalidDimension, name)
	}
	return nil
}

// checkDimensions checks a list of dimensions, as a ParseConfig holds it.
func checkDimensions(dims []Dimension) error {
	if len(dims) > MaxDimensions {
		return fmt.Errorf("%w: %d dimensions, more than the limit of %d", ErrInvalidDimension, len(dims), MaxDimensions)
	}
	for i, d := range dims {
		if err := validDimensionName(d.Name); err != nil {
			return err
		}
		if d.Selector.IsDefault() {
			return fmt.Errorf("%w %s: it has no selector", ErrInvalidDimension, d.Name)
		}
		if slices.ContainsFunc(dims[:i], func(o Dimension) bool { return o.Name == d.Name }) {
			return fmt.Errorf("%w %s: named twice", ErrInvalidDimension, d.Name)
		}
	}
	return nil
}

// dimensionsText writes dimensions as the ledger records them: each as
// NAME=SELECTOR, one a line ("" for none).
func dimensionsText(dims []Dimension) string {
	parts := make([]string, len(dims))
	for i, d := range dims {
		parts[i] = d.String()
	}
	return strings.Join(parts, "\n")
}

// dimensionItems splits the ledger's text of dimensions (see
// dimensionsText) into its NAME=SELECTOR items; nil for none.
func dimensionItems(text string) []string {
	if text == "" {
		return nil
	}
	return strings.Split(text, "\n")
}

// dimensionNames returns the names of the dimensions that the ledger
// records as text (see dimensionsText), in order.
func dimensionNames(text string) []string {
	items := dimensionItems(text)
	for i, item := range items {
		items[i], _, _ = strings.Cut(item, "=")
	}
	return items
}

// cleanDimensionValue returns b, a request's value of a dimension, as it
// can be kept: at most MaxDimensionValueBytes of UTF-8 without control
// characters (so that every export and answer writes it as it is). A value
// that is not is cleaned, not refused, since a header or a parameter must
// not drop a request from the stats: each invalid byte and control
// character becomes U+FFFD, and the value is cut, at a character's end, to
// the limit. A cleaned value is built in *buf.
func cleanDimensionValue(buf *[]byte, b []byte) []byte {
	if len(b) <= MaxDimensionValueBytes && cleanText(b) {
		return b
	}
	out := (*buf)[:0]
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size <= 1 || unicode.IsControl(r) {
			r = utf8.RuneError
		}
		if len(out)+utf8.RuneLen(r) > MaxDimensionValueBytes {
			break
		}
		out = utf8.AppendRune(out, r)
		i += max(size, 1)
	}
	*buf = out
	return out
}

// cleanText reports whether b is valid UTF-8 without control characters.
func cleanText(b []byte) bool {
	for i := 0; i < len(b); {
		if c := b[i]; c < utf8.RuneSelf {
			if c < 0x20 || c == 0x7f {
				return false
			}
			i++
			continue
		}
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size == 1 || unicode.IsControl(r) {
			return false
		}
		i += size
	}
	return true
}
