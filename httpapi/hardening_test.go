package httpapi_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/logstats/logstats"
	"github.com/logstats/logstats/httpapi"
	"github.com/logstats/logstats/internal/testdb"
)

// The tests of SPEC §17, one or more a point, each for an attack a probe of
// the server tried (docs/RELIABILITY.md lists them with their results).

// TestHardening_PathOffWithoutDataDir checks that POST /load?path= reads
// nothing unless the server was given a data directory.
func TestHardening_PathOffWithoutDataDir(t *testing.T) {
	db := testdb.Open(t, logstats.DialectSQLite)
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "api_requests.log"), []byte("2024-10-01 10:00:00 c /a 200 0.1\n"), 0o644)
	h := httpapi.NewHandler(httpapi.Deps{DB: db.DB, Stats: logstats.NewStatsService(db.DB), Loader: logstats.NewIngester(db.DB)},
		httpapi.Options{LogFile: filepath.Join(dir, "api_requests.log")})
	for _, path := range []string{"api_requests.log", "../etc/passwd", "x"} {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest("POST", "/load?path="+url.QueryEscape(path), nil))
		if w.Code != 404 || !strings.Contains(w.Body.String(), "-data-dir") {
			t.Fatalf("POST /load?path=%s without a data directory: %d %s, want 404 saying -data-dir", path, w.Code, w.Body)
		}
	}
	// The log file itself still loads.
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("POST", "/load", nil))
	if w.Code != 200 {
		t.Fatalf("POST /load: %d %s", w.Code, w.Body)
	}
}

// TestHardening_NoFileReadBack is the probe's first finding: a format of the
// caller's choosing made the answer quote a field of a secret file of the
// data directory, a field at a time. Answers about files on the server name
// lines and reasons, never their bytes; an upload's answer still quotes
// its own lines.
func TestHardening_NoFileReadBack(t *testing.T) {
	const secret = "hunter2-the-password"
	testdb.ForEach(t, func(t *testing.T, db *testdb.DB) {
		s := newTestServer(t, db, httpapi.Options{})
		text := "admin=" + secret + " GET /x 2024-10-01T00:00:00+00:00 0.1\n"
		os.WriteFile(filepath.Join(s.dataDir, "secret.txt"), []byte(text), 0o600)
		// A file with a valid line first: the load goes on, and its
		// malformed line is listed.
		os.WriteFile(filepath.Join(s.dataDir, "mixed.log"), []byte("2024-10-01 10:00:00 cust_1 /a 200 0.1\n2024-10-01 10:00:00 cust_1 /a "+secret+" 0.1\n"), 0o600)
		crafted := url.QueryEscape("nginx:$remote_user=$status $request_method $request_uri $time_iso8601 $request_time")
		for _, tc := range []struct {
			path   string
			status int
		}{
			{"/load?path=secret.txt&format=" + crafted, 422},
			{"/load?path=secret.txt", 422},
			{"/load?path=mixed.log", 200},
		} {
			status, body, _ := s.doRaw(t, "POST", tc.path, "")
			if status != tc.status || strings.Contains(string(body), secret) || strings.Contains(string(body), "hunter") {
				t.Fatalf("POST %s: %d %s, want %d and nothing of the file", tc.path, status, body, tc.status)
			}
			if tc.status == 200 && !strings.Contains(string(body), `"line":2`) {
				t.Fatalf("POST %s: %s, want line 2 listed", tc.path, body)
			}
		}
		// The server's own log file, read in a crafted format.
		os.WriteFile(filepath.Join(s.dataDir, "api_requests.log"), []byte(text), 0o600)
		status, body, _ := s.doRaw(t, "POST", "/load?format="+crafted, "")
		if status != 422 || strings.Contains(string(body), secret) {
			t.Fatalf("POST /load of the log file in a crafted format: %d %s", status, body)
		}
		// An upload is the client's own: its answer may quote it.
		status, body, _ = s.doRaw(t, "POST", "/load?source=own.txt&format="+crafted, text, "Content-Type", "text/plain")
		if status != 422 || !strings.Contains(string(body), secret) {
			t.Fatalf("an upload in a crafted format: %d %s, want 422 quoting the client's own line", status, body)
		}
	})
}

// TestHardening_FIFO is the probe's second finding: opening a FIFO of the
// data directory blocked until a writer came, pinning a thread and two
// descriptors a request until the server stopped answering. Only regular
// files are opened, without blocking: a FIFO, a device or a directory is
// a 400 at once.
func TestHardening_FIFO(t *testing.T) {
	db := testdb.Open(t, logstats.DialectSQLite)
	s := newTestServer(t, db, httpapi.Options{})
	fifo := filepath.Join(s.dataDir, "pipe")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatalf("mkfifo: %v", err)
	}
	os.Mkdir(filepath.Join(s.dataDir, "dir"), 0o755)
	for _, name := range []string{"pipe", "dir"} {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		req, _ := http.NewRequestWithContext(ctx, "POST", s.URL+"/load?path="+name, nil)
		resp, err := s.Client().Do(req)
		cancel()
		if err != nil {
			t.Fatalf("POST /load?path=%s: %v (did the open block?)", name, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 400 || !strings.Contains(string(body), "not a regular file") {
			t.Fatalf("POST /load?path=%s: %d %s, want 400 not a regular file", name, resp.StatusCode, body)
		}
	}
	// The server's log file may be a FIFO too.
	fifoLog := newTestServer(t, db, httpapi.Options{LogFile: fifo})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "POST", fifoLog.URL+"/load", nil)
	resp, err := fifoLog.Client().Do(req)
	if err != nil {
		t.Fatalf("POST /load of a FIFO log file: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != 400 {
		t.Fatalf("POST /load of a FIFO log file: %d, want 400", resp.StatusCode)
	}
}

// TestHardening_CrossOrigin is the probe's third finding: a text/plain POST
// from any web page is a "simple" request that needs no preflight, and it
// loaded requests into a customer. A browser's request that changes data
// from another origin is refused; the server's own page and programs (no
// Origin, no Sec-Fetch-Site) are not.
func TestHardening_CrossOrigin(t *testing.T) {
	db := testdb.Open(t, logstats.DialectSQLite)
	s := newTestServer(t, db, httpapi.Options{})
	self := strings.TrimPrefix(s.URL, "http://")
	for _, tc := range []struct {
		name   string
		header []string
		status int
	}{
		{"ErrCrossSite", []string{"Origin", "http://evil.example", "Sec-Fetch-Site", "cross-site"}, 403},
		{"ErrSameSiteOtherPort", []string{"Origin", "http://127.0.0.1:1", "Sec-Fetch-Site", "same-site"}, 403},
		{"ErrOldBrowserOtherOrigin", []string{"Origin", "http://evil.example"}, 403},
		{"ErrNullOrigin", []string{"Origin", "null"}, 403},
		{"OKSameOrigin", []string{"Origin", "http://" + self, "Sec-Fetch-Site", "same-origin"}, 200},
		{"OKOldBrowserSameOrigin", []string{"Origin", "http://" + self}, 200},
		{"OKProgram", nil, 200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			header := append([]string{"Content-Type", "text/plain"}, tc.header...)
			status, body, _ := s.doRaw(t, "POST", "/load?source=page.log", "2024-10-01 10:00:00 victim /a 500 0.1\n", header...)
			if status != tc.status {
				t.Fatalf("POST /load %v: %d %s, want %d", tc.header, status, body, tc.status)
			}
			// Reads are not refused: a page cannot read another origin's
			// answers anyway.
			if status, _, _ := s.doRaw(t, "GET", "/health/", "", tc.header...); status != 200 {
				t.Fatalf("GET /health/ %v: %d", tc.header, status)
			}
		})
	}
	st, err := logstats.NewStatsService(db.DB).FindStats(context.Background(), "victim", logstats.StatsFilter{})
	if err != nil || st.Stats.TotalRequests != 1 {
		t.Fatalf("victim's requests: %+v %v, want the one loaded without a foreign origin", st, err)
	}
}

// TestHardening_Host checks that a loopback server answers only requests
// for a loopback name: a page that rebinds its own name to 127.0.0.1 sends
// that name as the Host (DNS rebinding), and gets 421.
func TestHardening_Host(t *testing.T) {
	db := testdb.Open(t, logstats.DialectSQLite)
	h := httpapi.NewHandler(httpapi.Deps{DB: db.DB, Stats: logstats.NewStatsService(db.DB)},
		httpapi.Options{LoopbackOnly: true, AllowedHosts: []string{"Stats.Internal"}})
	for _, tc := range []struct {
		host   string
		status int
	}{
		{"127.0.0.1:8000", 200}, {"127.0.0.1", 200}, {"127.1.2.3:80", 200}, {"[::1]:8000", 200}, {"localhost:8000", 200},
		{"LOCALHOST", 200}, {"localhost.", 200}, {"app.localhost:8000", 200}, {"stats.internal:8000", 200},
		{"evil.example:8000", 421}, {"evil.example", 421}, {"127.0.0.1.evil.example", 421}, {"localhost.evil.example", 421},
		{"10.0.0.1:8000", 421}, {"", 421},
	} {
		r := httptest.NewRequest("GET", "/customers/", nil)
		r.Host = tc.host
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != tc.status {
			t.Errorf("Host %q: %d %s, want %d", tc.host, w.Code, w.Body, tc.status)
		}
	}
	// Without LoopbackOnly (a server on a public address) any Host is
	// answered.
	open := httpapi.NewHandler(httpapi.Deps{DB: db.DB, Stats: logstats.NewStatsService(db.DB)}, httpapi.Options{})
	r := httptest.NewRequest("GET", "/health/", nil)
	r.Host = "stats.example.com"
	w := httptest.NewRecorder()
	open.ServeHTTP(w, r)
	if w.Code != 200 {
		t.Fatalf("a public server for stats.example.com: %d", w.Code)
	}
}

// slowBody is an upload body that sends first, then waits for release
// before its end.
type slowBody struct {
	first   string
	release chan struct{}
}

func (b *slowBody) Read(p []byte) (int, error) {
	if b.first != "" {
		n := copy(p, b.first)
		b.first = b.first[n:]
		return n, nil
	}
	<-b.release
	return 0, io.EOF
}

// holdUpload starts an upload whose body sends first and then stops until
// the test ends or release is called, and waits until the server reads it
// (a refused upload, whose answer comes before its body ends, is started
// again). done gets its status once it ends.
func holdUpload(t *testing.T, s *testServer, path, first string) (release func(), done <-chan int) {
	t.Helper()
	for attempt := 0; ; attempt++ {
		ch := make(chan struct{})
		var once sync.Once
		release = func() { once.Do(func() { close(ch) }) }
		t.Cleanup(release) // before the server's, which waits for it
		result := make(chan int, 1)
		go func() {
			req, _ := http.NewRequest("POST", s.URL+path, &slowBody{first: first, release: ch})
			req.Header.Set("Content-Type", "text/plain")
			resp, err := s.Client().Do(req)
			if err != nil {
				result <- 0
				return
			}
			resp.Body.Close()
			result <- resp.StatusCode
		}()
		select {
		case status := <-result:
			if attempt == 10 {
				t.Fatalf("an upload to hold answered %d before its body ended, 10 times", status)
			}
		case <-time.After(300 * time.Millisecond):
			return release, result // still reading it
		}
	}
}

// TestHardening_Uploads checks -max-uploads: past it an upload gets 503
// with Retry-After at once, while other requests are served, and the place
// is given back when the upload ends.
func TestHardening_Uploads(t *testing.T) {
	db := testdb.Open(t, logstats.DialectSQLite)
	s := newTestServer(t, db, httpapi.Options{MaxUploads: 1})
	release, done := holdUpload(t, s, "/load?source=slow.log", "2024-10-01 10:00:00 c /a 200 0.1\n")
	status, body, h := s.doRaw(t, "POST", "/load?source=second.log", "2024-10-01 10:00:00 d /a 200 0.1\n", "Content-Type", "text/plain")
	if status != 503 || h.Get("Retry-After") == "" || !strings.Contains(string(body), "uploads") {
		t.Fatalf("a second upload while the first is read: %d %s (Retry-After %q), want 503 with Retry-After", status, body, h.Get("Retry-After"))
	}
	if status, _, _ := s.doRaw(t, "POST", "/load", ""); status != 200 {
		t.Fatalf("a load of the log file (no upload) while an upload is read: %d", status)
	}
	release()
	if status := <-done; status != 200 {
		t.Fatalf("the first upload: %d", status)
	}
	if status, body, _ := s.doRaw(t, "POST", "/load?source=third.log", "2024-10-01 10:00:00 e /a 200 0.1\n", "Content-Type", "text/plain"); status != 200 {
		t.Fatalf("an upload after the first ended: %d %s", status, body)
	}
}

// TestHardening_Spool is the probe's fourth finding: uploads spooled to
// disk without a cap (10 connections pinned 2 GB). What the uploads keep on
// disk counts against -max-spool: past it, 507, and nothing loaded; the
// space is given back when a request ends, however it ends.
func TestHardening_Spool(t *testing.T) {
	db := testdb.Open(t, logstats.DialectSQLite)
	s := newTestServer(t, db, httpapi.Options{MaxSpoolBytes: 64 << 10, MaxBodyBytes: 1 << 20, TempDir: t.TempDir()})
	line := "2024-10-01 10:00:00 big /a 200 0.1\n"
	big := strings.Repeat(line, (100<<10)/len(line))
	status, body, _ := s.doRaw(t, "POST", "/load?source=big.log", big, "Content-Type", "text/plain")
	if status != 507 || !strings.Contains(string(body), "-max-spool") {
		t.Fatalf("a 100 KiB upload with a 64 KiB spool: %d %s, want 507", status, body)
	}
	if st, _ := logstats.NewStatsService(db.DB).FindStats(context.Background(), "big", logstats.StatsFilter{}); st.Stats.TotalRequests != 0 {
		t.Fatalf("%d requests loaded from a refused upload", st.Stats.TotalRequests)
	}
	// Two uploads at once share the spool: while one holds 40 KiB, another
	// of 40 KiB is refused; once it ends, the space is back.
	half := strings.Repeat(line, (40<<10)/len(line))
	release, done := holdUpload(t, s, "/load?source=held.log", strings.ReplaceAll(half, "big", "held"))
	status, body, _ = s.doRaw(t, "POST", "/load?source=second.log", strings.ReplaceAll(half, "big", "second"), "Content-Type", "text/plain")
	if status != 507 {
		t.Fatalf("a 40 KiB upload while another holds 40 KiB of 64: %d %s, want 507", status, body)
	}
	// The spool shows in /metrics, which du cannot see (the file is
	// unlinked).
	if held := scrape(t, s)["logstats_upload_spool_bytes"]; held < float64(len(half)) || held > 64<<10 {
		t.Fatalf("logstats_upload_spool_bytes=%v while an upload holds %d bytes", held, len(half))
	}
	release()
	if status := <-done; status != 200 {
		t.Fatalf("the held upload: %d", status)
	}
	status, body, _ = s.doRaw(t, "POST", "/load?source=after.log", strings.ReplaceAll(half, "big", "after"), "Content-Type", "text/plain")
	if status != 200 {
		t.Fatalf("an upload once the others ended: %d %s, want 200 (the spool given back)", status, body)
	}
}

// TestHardening_BodyStalls checks that an upload whose body stops arriving
// is cut after the idle timeout, and gives its upload place back.
func TestHardening_BodyStalls(t *testing.T) {
	db := testdb.Open(t, logstats.DialectSQLite)
	h := httpapi.NewHandler(httpapi.Deps{DB: db.DB, Stats: logstats.NewStatsService(db.DB), Loader: logstats.NewIngester(db.DB)},
		httpapi.Options{MaxUploads: 1, BodyIdleTimeout: 200 * time.Millisecond})
	srv := httptest.NewServer(h)
	defer srv.Close()
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /load?source=stalled.log HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 1000\r\n\r\n2024-10-01 10:00:00 c /a 200 0.1\n")
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	start := time.Now()
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err == nil {
		resp.Body.Close()
	}
	// The server answers (or closes the connection) once the body has
	// stopped for the idle timeout, not after its 10 s.
	if elapsed := time.Since(start); elapsed > 8*time.Second {
		t.Fatalf("a stalled body held its request for %v", elapsed)
	}
	req, _ := http.NewRequest("POST", srv.URL+"/load?source=next.log", strings.NewReader("2024-10-01 10:00:00 d /a 200 0.1\n"))
	req.Header.Set("Content-Type", "text/plain")
	resp2, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp2.Body.Close()
	if resp2.StatusCode != 200 {
		t.Fatalf("an upload after the stalled one: %d, want 200 (its place given back)", resp2.StatusCode)
	}
}

// TestHardening_NoSecretsLogged sends every credential, right and wrong,
// and checks that the server's log holds none of them.
func TestHardening_NoSecretsLogged(t *testing.T) {
	db := testdb.Open(t, logstats.DialectSQLite)
	keys := newAccessKeys(t, db)
	s := newTestServer(t, db, httpapi.Options{AdminToken: adminToken, LoadToken: loadToken})
	for _, cred := range credentials {
		for _, path := range []string{"/customers/", "/customers/cust_1/stats/?from=2024-10-01", "/keys", "/metrics"} {
			s.doRaw(t, "GET", path, "", keys.header(cred)...)
		}
		s.doRaw(t, "POST", "/load", "", keys.header(cred)...)
	}
	_, created, _ := s.doRaw(t, "POST", "/keys", `{"customer_id":"cust_7"}`, "Authorization", "Bearer "+adminToken, "Content-Type", "application/json")
	logs := s.logs.String()
	if !strings.Contains(logs, "status=401") || !strings.Contains(logs, "key created") {
		t.Fatalf("the log does not show the requests: %s", logs)
	}
	for _, secret := range []string{adminToken, loadToken, keys.own, keys.other, keys.revoked, "wrong-token", strings.SplitN(string(created), `"key":"`, 2)[1][:47]} {
		if strings.Contains(logs, secret) {
			t.Fatalf("the log holds %q:\n%s", secret, logs)
		}
	}
}
