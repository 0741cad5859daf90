package httpapi_test

import (
	"context"
	"io"
	"strconv"
	"strings"
	"testing"

	"github.com/logstats/logstats"
	"github.com/logstats/logstats/httpapi"
	"github.com/logstats/logstats/internal/testdb"
)

// TestSources lists the sources, forgets one (200 with what was removed),
// then the same id again (404), an id that is no integer (400), and a
// source this server is loading (409).
func TestSources(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, db *testdb.DB) {
		s := newTestServer(t, db, httpapi.Options{})
		s.load(t)
		status, body, _ := s.do(t, "GET", "/sources/", nil)
		list, _ := body["sources"].([]any)
		if status != 200 || len(list) != 1 {
			t.Fatalf("GET /sources/: %d %v, want one source", status, body)
		}
		src := list[0].(map[string]any)
		id, _ := src["id"].(string)
		if src["format"] != "logstats" || src["lines"].(float64) == 0 || src["first_day"] == nil {
			t.Fatalf("GET /sources/: %v", src)
		}
		status, body, _ = s.do(t, "DELETE", "/sources/"+id, nil)
		if status != 200 || body["status"] != "forgotten" || body["requests"] != src["requests"] {
			t.Fatalf("DELETE /sources/%s: %d %v, want 200 with %v requests", id, status, body, src["requests"])
		}
		if status, body, _ = s.do(t, "DELETE", "/sources/"+id, nil); status != 404 {
			t.Fatalf("DELETE /sources/%s again: %d %v, want 404", id, status, body)
		}
		if status, body, _ = s.do(t, "DELETE", "/sources/x", nil); status != 400 {
			t.Fatalf("DELETE /sources/x: %d %v, want 400", status, body)
		}
		if status, body, _ = s.do(t, "GET", "/customers/", nil); status != 200 || len(body["customers"].([]any)) != 0 {
			t.Fatalf("GET /customers/ after forgetting the only source: %d %v, want none", status, body)
		}

		// A load through the server's Ingester that waits for more input
		// after its first batch holds the source.
		text := testdb.GenLog(t, "logstats", 200, 5, 0)
		lines := strings.SplitAfter(text, "\n")
		s.ingester.BatchLines = 50
		pr, pw := io.Pipe()
		committed := make(chan struct{}, 10)
		done := make(chan error, 1)
		go func() {
			_, err := s.ingester.Load(context.Background(), "held.log", pr, logstats.LoadOptions{Growing: true,
				Progress: func(logstats.LoadProgress) { committed <- struct{}{} }})
			done <- err
		}()
		io.WriteString(pw, strings.Join(lines[:60], ""))
		<-committed
		sources, err := s.ingester.FindSources(context.Background())
		if err != nil || len(sources) != 1 {
			t.Fatalf("FindSources: %v, %v", sources, err)
		}
		held := "/sources/" + strconv.FormatInt(sources[0].ID, 10)
		if status, body, _ = s.do(t, "DELETE", held, nil); status != 409 {
			t.Fatalf("DELETE %s while it loads: %d %v, want 409", held, status, body)
		}
		io.WriteString(pw, strings.Join(lines[60:], ""))
		pw.Close()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if status, body, _ = s.do(t, "DELETE", held, nil); status != 200 || body["requests"].(float64) != 200 {
			t.Fatalf("DELETE %s after the load: %d %v, want 200 and 200 requests", held, status, body)
		}
	})
}
