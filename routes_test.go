package logstats_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/logstats/logstats"
)

func TestRoutes(t *testing.T) {
	templates := []string{"/v1/users/{user}/orders/{order}", "/v1/users/me", "/v1/users/{id}", "/files/{name}/"}
	for _, tc := range []struct {
		path      string
		templated string // with templates and the automatic step
		auto      string // with the automatic step only
		none      string // with neither
	}{
		{"/v1/users/42/orders/7", "/v1/users/{user}/orders/{order}", "/v1/users/{id}/orders/{id}", "/v1/users/42/orders/7"},
		{"/v1/users/me", "/v1/users/me", "/v1/users/me", "/v1/users/me"},
		{"/v1/users/alice", "/v1/users/{id}", "/v1/users/alice", "/v1/users/alice"},
		{"/v1/users/", "/v1/users/", "/v1/users/", "/v1/users/"},                                         // a variable matches no empty segment
		{"/v1/users/42/orders", "/v1/users/{id}/orders", "/v1/users/{id}/orders", "/v1/users/42/orders"}, // fewer segments than the first
		{"/v1/users/42/orders/7/items", "/v1/users/{id}/orders/{id}/items", "/v1/users/{id}/orders/{id}/items", "/v1/users/42/orders/7/items"},
		{"/files/report.pdf/", "/files/{name}/", "/files/report.pdf/", "/files/report.pdf/"},
		{"/files/report.pdf", "/files/report.pdf", "/files/report.pdf", "/files/report.pdf"},
		{"/v1/users/42?expand=1", "/v1/users/{id}", "/v1/users/{id}", "/v1/users/42"},
		{"/o/123e4567-e89b-12d3-a456-426614174000", "/o/{id}", "/o/{id}", "/o/123e4567-e89b-12d3-a456-426614174000"},
		{"/o/123E4567-E89B-12D3-A456-426614174000/x", "/o/{id}/x", "/o/{id}/x", "/o/123E4567-E89B-12D3-A456-426614174000/x"},
		{"/o/123e4567e89b12d3a456426614174000", "/o/{id}", "/o/{id}", "/o/123e4567e89b12d3a456426614174000"},
		{"/o/123e4567-e89b-12d3-a456-42661417400", "/o/123e4567-e89b-12d3-a456-42661417400", "/o/123e4567-e89b-12d3-a456-42661417400", "/o/123e4567-e89b-12d3-a456-42661417400"}, // one digit short
		{"/blob/0123456789abcdef", "/blob/{id}", "/blob/{id}", "/blob/0123456789abcdef"},
		{"/blob/0123456789abcde", "/blob/0123456789abcde", "/blob/0123456789abcde", "/blob/0123456789abcde"}, // 15 hex digits
		{"/blob/deadbeef", "/blob/deadbeef", "/blob/deadbeef", "/blob/deadbeef"},
		{"/v2/7", "/v2/{id}", "/v2/{id}", "/v2/7"},
		{"/", "/", "/", "/"},
		{"*", "*", "*", "*"},
		{"", "", "", ""},
		{"//42//", "//{id}//", "//{id}//", "//42//"},
	} {
		for _, c := range []struct {
			templates []string
			auto      bool
			want      string
		}{{templates, true, tc.templated}, {nil, true, tc.auto}, {nil, false, tc.none}} {
			r, err := logstats.ParseRoutes(c.templates, c.auto)
			if err != nil {
				t.Fatal(err)
			}
			if got := r.Route(tc.path); got != c.want {
				t.Errorf("ParseRoutes(%q, %v).Route(%q) = %q, want %q", c.templates, c.auto, tc.path, got, c.want)
			}
		}
	}
}

func TestParseRoutes_Invalid(t *testing.T) {
	for _, tc := range []struct{ template, want string }{
		{"v1/users/{id}", `starts with "/"`},
		{"/v1/users/{id", "a variable is a whole segment"},
		{"/v1/users/id}", "a variable is a whole segment"},
		{"/v1/users/x{id}", "a variable is a whole segment"},
		{"/v1/users/{}", "the name a letter"},
		{"/v1/users/{1d}", "the name a letter"},
		{"/v1/users/{a-b}", "the name a letter"},
		{"/v1/users?x=1", "without a query"},
	} {
		_, err := logstats.ParseRoutes([]string{"/ok/{fine}", tc.template}, true)
		if !errors.Is(err, logstats.ErrInvalidRoute) || !strings.Contains(err.Error(), tc.want) || logstats.KindOf(err) != logstats.KindInvalid {
			t.Errorf("ParseRoutes(%q) = %v, want ErrInvalidRoute saying %q", tc.template, err, tc.want)
		}
	}
	r, err := logstats.ParseRoutes([]string{"/a/{b}", "/c"}, false)
	if err != nil {
		t.Fatal(err)
	}
	if got := r.Templates(); len(got) != 2 || got[0] != "/a/{b}" || got[1] != "/c" || r.Auto() {
		t.Errorf("Templates() = %q, Auto() = %v", got, r.Auto())
	}
}

// FuzzRoutes: parsing a template never panics; a route is a route of
// itself (the automatic step's {id} is no identifier, a template matches
// its own text), and the automatic step keeps the number of segments.
func FuzzRoutes(f *testing.F) {
	for _, s := range []string{"/v1/users/{id}", "/v1/users/42", "/o/123e4567-e89b-12d3-a456-426614174000", "//", "/{x}/{y}", "/a?b=1"} {
		f.Add(s, s)
	}
	f.Fuzz(func(t *testing.T, template, path string) {
		r, err := logstats.ParseRoutes([]string{template}, true)
		if err != nil {
			if !errors.Is(err, logstats.ErrInvalidRoute) {
				t.Fatalf("ParseRoutes(%q) = %v, not ErrInvalidRoute", template, err)
			}
			r, _ = logstats.ParseRoutes(nil, true)
		}
		route := r.Route(path)
		if again := r.Route(route); again != route {
			t.Errorf("Route(%q) = %q, whose route is %q", path, route, again)
		}
		auto, _ := logstats.ParseRoutes(nil, true)
		p, _, _ := strings.Cut(path, "?")
		if a := auto.Route(path); strings.Count(a, "/") != strings.Count(p, "/") {
			t.Errorf("automatic Route(%q) = %q: not as many segments", path, a)
		}
	})
}
