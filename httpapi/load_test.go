package httpapi_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/logstats/logstats"
	"github.com/logstats/logstats/httpapi"
	"github.com/logstats/logstats/internal/testdb"
)

func TestLoad_LogFile(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, db *testdb.DB) {
		s := newTestServer(t, db, httpapi.Options{})
		status, body, _ := s.do(t, "POST", "/load", nil)
		if status != 200 || body["status"] != "done" || body["lines"] != 2000.0 || body["skipped_already_loaded"] != 0.0 {
			t.Fatalf("first POST /load: %d %v", status, body)
		}
		malformed := body["malformed"].(float64)
		if malformed == 0 || body["inserted"] != 2000-malformed-body["blank"].(float64) {
			t.Fatalf("first POST /load: %v", body)
		}
		errs := body["errors"].([]any)
		first := errs[0].(map[string]any)
		if len(errs) != int(malformed) || first["line"].(float64) < 1 || first["reason"] == "" {
			t.Fatalf("errors=%v, want %v with line and reason", errs, malformed)
		}
		// The seed's behaviour: loading again is harmless.
		status, body, _ = s.do(t, "POST", "/load/", nil)
		if status != 200 || body["inserted"] != 0.0 || body["skipped_already_loaded"] != 2000.0 {
			t.Fatalf("second POST /load/: %d %v", status, body)
		}
	})
}

func TestLoad_LogFileMissing(t *testing.T) {
	db := testdb.Open(t, logstats.DialectSQLite)
	s := newTestServer(t, db, httpapi.Options{LogFile: filepath.Join(t.TempDir(), "none.log")})
	status, body, _ := s.do(t, "POST", "/load", nil)
	if status != 404 || !strings.Contains(body["error"].(string), "-log-file") {
		t.Fatalf("POST /load without the log file: %d %v", status, body)
	}
}

// TestLoad_CorruptGzipFile loads a corrupt .gz from the data directory: the
// file is bad, not the server, so the answer is 422, not 500.
func TestLoad_CorruptGzipFile(t *testing.T) {
	db := testdb.Open(t, logstats.DialectSQLite)
	s := newTestServer(t, db, httpapi.Options{})
	z := gzipped(t, strings.Repeat("2024-10-01 10:00:00 c /a 200 0.1\n", 100))
	os.WriteFile(filepath.Join(s.dataDir, "truncated.log.gz"), z[:len(z)/2], 0o644)
	os.WriteFile(filepath.Join(s.dataDir, "garbage.log.gz"), []byte("\x1f\x8bnot gzip at all"), 0o644)
	for _, name := range []string{"truncated.log.gz", "garbage.log.gz"} {
		status, body, _ := s.do(t, "POST", "/load?path="+name, nil)
		if status != 422 || !strings.Contains(body["error"].(string), "gzip") {
			t.Fatalf("POST /load?path=%s: %d %v, want 422", name, status, body)
		}
	}
}

// TestLoad_GrowingFile loads the server's log file while its last line is
// being written: that line waits for the next load.
func TestLoad_GrowingFile(t *testing.T) {
	db := testdb.Open(t, logstats.DialectSQLite)
	s := newTestServer(t, db, httpapi.Options{})
	path := filepath.Join(s.dataDir, "live.log")
	os.WriteFile(path, []byte("2024-10-01 10:00:00 c /a 200 0.1\n2024-10-01 10:00:01 c /a 200 1.2"), 0o644)
	status, body, _ := s.do(t, "POST", "/load?path=live.log", nil)
	if status != 200 || body["inserted"] != 1.0 || body["pending_bytes"] != 32.0 {
		t.Fatalf("load of a growing file: %d %v, want 1 inserted, 32 bytes pending", status, body)
	}
	os.WriteFile(path, []byte("2024-10-01 10:00:00 c /a 200 0.1\n2024-10-01 10:00:01 c /a 200 1.234\n"), 0o644)
	status, body, _ = s.do(t, "POST", "/load?path=live.log", nil)
	if status != 200 || body["inserted"] != 1.0 || body["pending_bytes"] != 0.0 {
		t.Fatalf("load once the line is complete: %d %v", status, body)
	}
	_, body, _ = s.do(t, "GET", "/customers/c/stats/?from=2024-10-01", nil)
	if st := body["stats"].(map[string]any); st["max_latency"] != 1.234 {
		t.Fatalf("max_latency=%v, want 1.234 (not the partial 1.2)", st["max_latency"])
	}
}

func TestLoad_Path(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, db *testdb.DB) {
		s := newTestServer(t, db, httpapi.Options{})
		os.Mkdir(filepath.Join(s.dataDir, "sub"), 0o755)
		os.WriteFile(filepath.Join(s.dataDir, "sub", "b.log"), []byte("2024-10-01 10:00:00 c /a 200 0.1\n"), 0o644)
		status, body, _ := s.do(t, "POST", "/load?path=sub/b.log", nil)
		if status != 200 || body["inserted"] != 1.0 || body["source"] != "sub/b.log" {
			t.Fatalf("POST /load?path=sub/b.log: %d %v", status, body)
		}
		// A symbolic link inside the data directory that points outside it
		// is refused: nothing outside the directory is read.
		secret := filepath.Join(t.TempDir(), "secret.log")
		os.WriteFile(secret, []byte("2024-10-01 10:00:00 secret /a 200 0.1\n"), 0o644)
		os.Symlink(secret, filepath.Join(s.dataDir, "link.log"))
		status, body, _ = s.do(t, "POST", "/load?path=link.log", nil)
		if status != 400 {
			t.Fatalf("POST /load?path=link.log (a link out of the data directory): %d %v, want 400", status, body)
		}
		if st, _ := logstats.NewStatsService(db.DB).FindStats(context.Background(), "secret", logstats.StatsFilter{}); st.Stats.TotalRequests != 0 {
			t.Fatalf("the file outside the data directory was loaded")
		}
	})
}

func TestLoad_Upload(t *testing.T) {
	const text = "2024-10-01 10:00:00 up /a 200 0.1\n2024-10-01 10:00:01 up /a 500 0.2\nbad line\n"
	const more = text + "2024-10-02 10:00:00 up /a 200 0.3\n"
	testdb.ForEach(t, func(t *testing.T, db *testdb.DB) {
		s := newTestServer(t, db, httpapi.Options{MaxBodyBytes: 4096})
		t.Run("OKPlain", func(t *testing.T) {
			status, body, _ := s.do(t, "POST", "/load?source=up.log", strings.NewReader(text), "Content-Type", "text/plain; charset=utf-8")
			if status != 200 || body["inserted"] != 2.0 || body["malformed"] != 1.0 || body["source"] != "up.log" {
				t.Fatalf("upload: %d %v", status, body)
			}
			if errs := body["errors"].([]any); errs[0].(map[string]any)["line"] != 3.0 {
				t.Fatalf("errors=%v, want line 3", errs)
			}
		})
		t.Run("OKGzipSameSourceAddsNothing", func(t *testing.T) {
			status, body, _ := s.do(t, "POST", "/load", bytes.NewReader(gzipped(t, text)), "Content-Type", "application/gzip")
			if status != 200 || body["inserted"] != 0.0 || body["skipped_already_loaded"] != 3.0 || body["source"] != "upload" {
				t.Fatalf("gzip upload of the same log: %d %v", status, body)
			}
		})
		t.Run("OKGzipAppended", func(t *testing.T) {
			status, body, _ := s.do(t, "POST", "/load", bytes.NewReader(gzipped(t, more)), "Content-Type", "application/octet-stream")
			if status != 200 || body["inserted"] != 1.0 {
				t.Fatalf("gzip upload of the grown log: %d %v", status, body)
			}
		})
		t.Run("OKSameFirstLine", func(t *testing.T) {
			// Another log that starts with this one's first line: a source
			// of its own, loaded whole, once.
			other := text[:strings.IndexByte(text, '\n')+1] + "2024-10-03 10:00:00 up /b 200 0.1\n2024-10-03 10:00:01 up /b 404 0.2\n"
			for i, want := range []float64{3, 0} {
				status, body, _ := s.do(t, "POST", "/load?source=other.log", strings.NewReader(other))
				if status != 200 || body["inserted"] != want {
					t.Fatalf("upload %d of a log with the same first line: %d %v, want %v inserted", i, status, body, want)
				}
			}
		})
		t.Run("ErrChanged", func(t *testing.T) {
			// Its last line edited: the one before it is loaded already.
			// (Its second line edited, it would be another log that starts
			// with this one's first line.)
			changed := strings.Replace(more, "0.3", "0.4", 1)
			status, body, _ := s.do(t, "POST", "/load", strings.NewReader(changed))
			if status != 409 || !strings.Contains(body["error"].(string), "changed") {
				t.Fatalf("upload of a changed log: %d %v, want 409", status, body)
			}
		})
		t.Run("ErrTooLarge", func(t *testing.T) {
			status, body, _ := s.do(t, "POST", "/load", strings.NewReader(strings.Repeat(text, 100)))
			if status != 413 || !strings.Contains(body["error"].(string), "4 KiB") {
				t.Fatalf("upload over the limit: %d %v, want 413", status, body)
			}
		})
		t.Run("ErrTooLargeChunked", func(t *testing.T) {
			// No Content-Length: the limit applies while reading.
			status, body, _ := s.do(t, "POST", "/load", io.MultiReader(strings.NewReader(strings.Repeat(text, 100))))
			if status != 413 {
				t.Fatalf("chunked upload over the limit: %d %v, want 413", status, body)
			}
		})
		t.Run("ErrGzipBomb", func(t *testing.T) {
			bomb := gzipped(t, strings.Repeat("2024-10-01 10:00:00 bomb /a 200 0.1\n", 10000)) // 360 KB in about 1 KB
			if len(bomb) > 4096 {
				t.Fatalf("bomb is %d bytes", len(bomb))
			}
			status, body, _ := s.do(t, "POST", "/load", bytes.NewReader(bomb))
			if status != 413 {
				t.Fatalf("gzip bomb: %d %v, want 413", status, body)
			}
			if st, _ := logstats.NewStatsService(db.DB).FindStats(context.Background(), "bomb", logstats.StatsFilter{}); st.Stats.TotalRequests != 0 {
				t.Fatalf("part of the refused upload was loaded: %d requests", st.Stats.TotalRequests)
			}
		})
		t.Run("ErrGzipInGzip", func(t *testing.T) {
			// 190 KB of log in about 100 bytes: one layer is undone under the
			// limit, the second would not be.
			nested := gzipped(t, string(gzipped(t, strings.Repeat("2024-10-01 10:00:00 nest /a 200 0.1\n", 5000))))
			status, body, _ := s.do(t, "POST", "/load", bytes.NewReader(nested))
			if status != 400 || !strings.Contains(body["error"].(string), "gzip inside gzip") {
				t.Fatalf("gzip in gzip: %d %v, want 400", status, body)
			}
		})
		t.Run("ErrCorruptGzip", func(t *testing.T) {
			z := gzipped(t, text)
			status, body, _ := s.do(t, "POST", "/load", bytes.NewReader(z[:len(z)-6]))
			if status != 400 || !strings.Contains(body["error"].(string), "gzip") {
				t.Fatalf("truncated gzip: %d %v, want 400", status, body)
			}
		})
		t.Run("ErrContentType", func(t *testing.T) {
			for _, ct := range []string{"application/json", "multipart/form-data; boundary=x", "text/html", "image/png", ";;;"} {
				status, body, _ := s.do(t, "POST", "/load", strings.NewReader(text), "Content-Type", ct)
				if status != 415 || !strings.Contains(body["error"].(string), "--data-binary") {
					t.Fatalf("upload as %s: %d %v, want 415", ct, status, body)
				}
			}
		})
		t.Run("OKCurlDefaultContentType", func(t *testing.T) {
			status, body, _ := s.do(t, "POST", "/load", strings.NewReader(more), "Content-Type", "application/x-www-form-urlencoded")
			if status != 200 || body["skipped_already_loaded"] != 4.0 {
				t.Fatalf("upload as curl sends it: %d %v", status, body)
			}
		})
		t.Run("ErrBodyAndPath", func(t *testing.T) {
			status, body, _ := s.do(t, "POST", "/load?path=api_requests.log", strings.NewReader(text))
			if status != 400 {
				t.Fatalf("body and path: %d %v, want 400", status, body)
			}
		})
	})
}

func TestLoad_Token(t *testing.T) {
	db := testdb.Open(t, logstats.DialectSQLite)
	s := newTestServer(t, db, httpapi.Options{LoadToken: "s3cret-token"})
	for _, tc := range []struct {
		name   string
		header []string
		status int
	}{
		{"ErrNoToken", nil, 401},
		{"ErrWrongToken", []string{"Authorization", "Bearer wrong"}, 401},
		{"ErrPrefixOfToken", []string{"Authorization", "Bearer s3cret"}, 401},
		{"ErrNotBearer", []string{"Authorization", "Basic s3cret-token"}, 401},
		{"ErrTokenAlone", []string{"Authorization", "s3cret-token"}, 401},
		{"OK", []string{"Authorization", "Bearer s3cret-token"}, 200},
		{"OKSchemeCaseInsensitive", []string{"Authorization", "bearer s3cret-token"}, 200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body, header := s.do(t, "POST", "/load", nil, tc.header...)
			if status != tc.status {
				t.Fatalf("%d %v, want %d", status, body, tc.status)
			}
			if status == 401 && (header.Get("WWW-Authenticate") == "" || !strings.Contains(body["error"].(string), "Bearer")) {
				t.Fatalf("401 without WWW-Authenticate or a useful message: %v %v", header, body)
			}
		})
	}
	// Stats need no token.
	if status, _, _ := s.do(t, "GET", "/customers/cust_1/stats/?from=2024-10-01", nil); status != 200 {
		t.Fatalf("stats with a load token configured: %d", status)
	}
	if strings.Contains(s.logs.String(), "s3cret-token") {
		t.Fatalf("the token appears in the server log")
	}
}

// TestLoad_InProgress holds a load of the sample log open and checks that a
// second load of it is refused with 409.
func TestLoad_InProgress(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, db *testdb.DB) {
		s := newTestServer(t, db, httpapi.Options{})
		sample, _ := os.ReadFile(filepath.Join(s.dataDir, "api_requests.log"))
		committed := make(chan struct{}, 1000)
		s.ingester.BatchLines = 10
		progress := func(logstats.LoadProgress) {
			select {
			case committed <- struct{}{}:
			default:
			}
		}
		pr, pw := io.Pipe()
		done := make(chan error, 1)
		go func() {
			_, err := s.ingester.Load(context.Background(), "held", pr, logstats.LoadOptions{Progress: progress})
			done <- err
		}()
		pw.Write(sample[:4000])
		<-committed
		status, body, _ := s.do(t, "POST", "/load", nil)
		if status != http.StatusConflict || !strings.Contains(body["error"].(string), "in progress") {
			t.Fatalf("POST /load during another load: %d %v, want 409", status, body)
		}
		pw.Write(sample[4000:])
		pw.Close()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	})
}

// TestLoad_Advice: POST /load says what to do in its own query parameters,
// never in the runner's flags: the format of a log read in the wrong one,
// the reading of a source loaded before.
func TestLoad_Advice(t *testing.T) {
	log, err := os.ReadFile("../testdata/nginx.log")
	if err != nil {
		t.Fatal(err)
	}
	db := testdb.Open(t, logstats.DialectSQLite)
	s := newTestServer(t, db, httpapi.Options{})
	status, body, _ := s.do(t, "POST", "/load?source=n.log&format=apache", bytes.NewReader(log), "Content-Type", "text/plain")
	if msg, _ := body["error"].(string); status != 422 || !strings.Contains(msg, "they read as nginx. Nothing was loaded; pass ?format=nginx") || strings.Contains(msg, "-format") {
		t.Fatalf("an nginx log read as apache: %d %v, want advice to pass ?format=nginx", status, body)
	}
	if status, body, _ := s.do(t, "POST", "/load?source=n.log", bytes.NewReader(log), "Content-Type", "text/plain"); status != 200 {
		t.Fatalf("load: %d %v", status, body)
	}
	status, body, _ = s.do(t, "POST", "/load?source=n.log&customer=path:/api/{}/", bytes.NewReader(log), "Content-Type", "text/plain")
	if msg, _ := body["error"].(string); status != 409 || !strings.HasSuffix(msg, "; load it with ?format=nginx&customer=remote_user&dimension=") {
		t.Fatalf("a reload with another selector: %d %v, want advice naming the query it was read with", status, body)
	}
	// A log that names no customer (nginx's default log of a single-tenant
	// service): 422, nothing recorded, then loaded with a default customer.
	anonymous := `203.0.113.7 - - [10/Oct/2024:13:55:36 +0000] "GET /a HTTP/1.1" 200 9 "-" "curl/8.5.0"
203.0.113.7 - - [10/Oct/2024:13:55:37 +0000] "GET /b HTTP/1.1" 500 9 "-" "curl/8.5.0"
`
	status, body, _ = s.do(t, "POST", "/load?source=anon.log", strings.NewReader(anonymous), "Content-Type", "text/plain")
	if msg, _ := body["error"].(string); status != 422 || !strings.Contains(msg, `the customer selector "remote_user" found nothing`) || !strings.HasSuffix(msg, "or ?customer_default=NAME for every request") {
		t.Fatalf("a log without customers: %d %v, want 422 with advice to pass ?customer= or ?customer_default=", status, body)
	}
	status, body, _ = s.do(t, "POST", "/load?source=anon.log&customer_default=my_service", strings.NewReader(anonymous), "Content-Type", "text/plain")
	if status != 200 || body["inserted"] != float64(2) {
		t.Fatalf("the same log with a default customer: %d %v, want 2 inserted", status, body)
	}
}
