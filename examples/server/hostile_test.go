package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/logstats/logstats/internal/testdb"
)

func gz(s string) []byte {
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	io.WriteString(zw, s)
	zw.Close()
	return b.Bytes()
}

// TestHostileRequests sends requests a stranger might: bad and impossible
// dates, absurd customer ids, SQL and path tricks, wrong methods, unknown
// routes, oversized URLs, headers and bodies, gzip bombs, wrong types and
// tokens. Each must get its 4xx and a JSON error (or, for an id that is valid
// but unknown, 200 and no data), never a 5xx; afterwards the server must be
// healthy, its data intact, and nothing outside its data directory read.
func TestHostileRequests(t *testing.T) {
	const token = "hostile-test-token"
	line := "2024-10-01 10:00:00 intruder /a 200 0.1\n"
	testdb.ForEach(t, func(t *testing.T, db *testdb.DB) {
		dataDir := t.TempDir()
		sample, _ := os.ReadFile("../../testdata/api_requests.log")
		os.WriteFile(filepath.Join(dataDir, "api_requests.log"), sample, 0o644)
		outside := filepath.Join(t.TempDir(), "secret.log")
		os.WriteFile(outside, []byte(strings.ReplaceAll(line, "intruder", "secret")), 0o644)
		os.Symlink(outside, filepath.Join(dataDir, "link.log"))
		os.Symlink(filepath.Dir(outside), filepath.Join(dataDir, "linkdir"))

		var logs bytes.Buffer
		base := startServerLogging(t, &logs, "-dsn", db.DSN, "-log-file", filepath.Join(dataDir, "api_requests.log"), "-data-dir", dataDir,
			"-load-token", token, "-max-body", "65536", "-load", filepath.Join(dataDir, "api_requests.log"))
		auth := []string{"Authorization", "Bearer " + token}
		before := getRawBody(t, base+"/customers/cust_1/stats/?from=2024-10-01")

		long := strings.Repeat("x", 5000)
		bomb := gz(strings.Repeat(line, 20000)) // 820 KB of log in a few KB
		cases := []struct {
			name, method, path string
			body               []byte
			header             []string
			status             int
		}{
			{"FromMissing", "GET", "/customers/cust_1/stats/", nil, nil, 400},
			{"FromEmpty", "GET", "/customers/cust_1/stats/?from=", nil, nil, 400},
			{"FromWord", "GET", "/customers/cust_1/stats/?from=yesterday", nil, nil, 400},
			{"FromFeb30", "GET", "/customers/cust_1/stats/?from=2024-02-30", nil, nil, 400},
			{"FromMonth13", "GET", "/customers/cust_1/stats/?from=2024-13-01", nil, nil, 400},
			{"FromNotLeap", "GET", "/customers/cust_1/stats/?from=2023-02-29", nil, nil, 400},
			{"FromYear0", "GET", "/customers/cust_1/stats/?from=0000-01-01", nil, nil, 400},
			{"FromShort", "GET", "/customers/cust_1/stats/?from=2024-1-1", nil, nil, 400},
			{"FromSQL", "GET", "/customers/cust_1/stats/?from=2024-10-01%27%20OR%20%271%27%3D%271", nil, nil, 400},
			{"FromHuge", "GET", "/customers/cust_1/stats/?from=" + strings.Repeat("9", 4000), nil, nil, 400},
			{"ToInvalid", "GET", "/customers/cust_1/stats/?from=2024-10-01&to=tomorrow", nil, nil, 400},
			{"ToBeforeFrom", "GET", "/customers/cust_1/stats/?from=2024-10-05&to=2024-10-01", nil, nil, 400},
			{"PercentileNaN", "GET", "/customers/cust_1/stats/?from=2024-10-01&percentiles=NaN", nil, nil, 400},
			{"PercentileNegative", "GET", "/customers/cust_1/stats/?from=2024-10-01&percentiles=-5", nil, nil, 400},
			{"Percentiles100", "GET", "/customers/cust_1/stats/?from=2024-10-01&percentiles=" + strings.Repeat("50,", 100) + "1.5,2.5,3.5,4.5,5.5,6.5,7.5,8.5,9.5,10.5,11.5,12.5,13.5,14.5,15.5,16.5,17.5,18.5,19.5,20.5", nil, nil, 400},
			{"Customer5000", "GET", "/customers/" + long + "/stats/?from=2024-10-01", nil, nil, 400},
			{"CustomerNUL", "GET", "/customers/a%00b/stats/?from=2024-10-01", nil, nil, 400},
			{"CustomerEscape", "GET", "/customers/%1B%5B31m/stats/?from=2024-10-01", nil, nil, 400},
			{"CustomerDEL", "GET", "/customers/a%7F/stats/?from=2024-10-01", nil, nil, 400},
			{"CustomerNewline", "GET", "/customers/a%0Ab/stats/?from=2024-10-01", nil, nil, 400},
			{"CustomerTab", "GET", "/customers/a%09b/stats/?from=2024-10-01", nil, nil, 400},
			{"CustomerSQLWithSpace", "GET", "/customers/x%27%3B%20DROP%20TABLE%20logstats_rollups%3B--/stats/?from=2024-10-01", nil, nil, 400},
			{"CustomerBadUTF8", "GET", "/customers/%FF%FE/stats/?from=2024-10-01", nil, nil, 400},
			{"CustomerOverlongUTF8", "GET", "/customers/%C0%AF/stats/?from=2024-10-01", nil, nil, 400},
			{"CustomerSQLNoSpace", "GET", "/customers/x%27OR%271%27%3D%271/stats/?from=2024-10-01", nil, nil, 200},
			{"CustomerSQLComment", "GET", "/customers/x%27%3BDROP%2F**%2FTABLE%2F**%2Flogstats_rollups%3B--/stats/?from=2024-10-01", nil, nil, 200},
			{"CustomerEncodedSlashes", "GET", "/customers/..%2F..%2F..%2Fetc%2Fpasswd/stats/?from=2024-10-01", nil, nil, 200},
			{"LimitWord", "GET", "/customers/?limit=all", nil, nil, 400},
			{"LimitNegative", "GET", "/customers/?limit=-1", nil, nil, 400},
			{"PostStats", "POST", "/customers/cust_1/stats/?from=2024-10-01", nil, nil, 405},
			{"PutHealth", "PUT", "/health/", nil, nil, 405},
			{"DeleteCustomers", "DELETE", "/customers/", nil, nil, 405},
			{"PatchReady", "PATCH", "/ready", nil, nil, 405},
			{"GetLoad", "GET", "/load", nil, nil, 405},
			{"OptionsLoad", "OPTIONS", "/load", nil, nil, 405},
			{"UnknownAdmin", "GET", "/admin", nil, nil, 404},
			{"UnknownDotEnv", "GET", "/.env", nil, nil, 404},
			{"UnknownSubroute", "GET", "/customers/cust_1/stats/extra", nil, nil, 404},
			{"CustomerWithoutStats", "GET", "/customers/cust_1", nil, nil, 404},
			{"URLTooLong", "GET", "/customers/cust_1/stats/?from=2024-10-01&x=" + strings.Repeat("a", 10000), nil, nil, 414},
			{"HeaderTooLarge", "GET", "/health/", nil, []string{"X-Junk", strings.Repeat("j", 40000)}, 431},
			{"LoadNoToken", "POST", "/load", nil, nil, 401},
			{"LoadWrongToken", "POST", "/load", nil, []string{"Authorization", "Bearer nope"}, 401},
			{"LoadBasicAuth", "POST", "/load", nil, []string{"Authorization", "Basic " + token}, 401},
			{"LoadTokenInQuery", "POST", "/load?token=" + token, nil, nil, 401},
			{"BodyOverLimit", "POST", "/load", bytes.Repeat([]byte(line), 2000), auth, 413},
			{"GzipBomb", "POST", "/load", bomb, auth, 413},
			{"GzipInGzip", "POST", "/load", gz(string(gz(line))), auth, 400},
			{"CorruptGzip", "POST", "/load", gz(line + line)[:30], auth, 400},
			{"JSONBody", "POST", "/load", []byte(`{"path":"/etc/passwd"}`), append([]string{"Content-Type", "application/json"}, auth...), 415},
			{"MultipartBody", "POST", "/load", []byte("--x\r\n\r\n" + line), append([]string{"Content-Type", "multipart/form-data; boundary=x"}, auth...), 415},
			{"PathTraversal", "POST", "/load?path=../secret.log", nil, auth, 400},
			{"PathTraversalEncoded", "POST", "/load?path=%2e%2e%2fsecret.log", nil, auth, 400},
			{"PathDeepTraversal", "POST", "/load?path=a/b/../../../secret.log", nil, auth, 400},
			{"PathAbsolute", "POST", "/load?path=" + outside, nil, auth, 400},
			{"PathSymlinkOut", "POST", "/load?path=link.log", nil, auth, 400},
			{"PathThroughSymlinkDir", "POST", "/load?path=linkdir/secret.log", nil, auth, 400},
			{"PathNUL", "POST", "/load?path=api_requests.log%00.txt", nil, auth, 400},
			{"PathBackslash", "POST", "/load?path=..%5Csecret.log", nil, auth, 400},
			{"BodyAndPath", "POST", "/load?path=api_requests.log", []byte(line), auth, 400},
		}
		if len(cases) < 40 {
			t.Fatalf("only %d hostile requests", len(cases))
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				req, _ := http.NewRequest(tc.method, base+tc.path, bytes.NewReader(tc.body))
				if tc.body == nil {
					req.Body = nil
				}
				for i := 0; i+1 < len(tc.header); i += 2 {
					req.Header.Set(tc.header[i], tc.header[i+1])
				}
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				var body map[string]any
				if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || resp.Header.Get("Content-Type") != "application/json" {
					t.Fatalf("%s %.80s: %d, not a JSON body (%v)", tc.method, tc.path, resp.StatusCode, err)
				}
				if resp.StatusCode != tc.status {
					t.Fatalf("%s %.80s: %d %v, want %d", tc.method, tc.path, resp.StatusCode, body, tc.status)
				}
				if resp.StatusCode >= 400 && body["error"] == nil {
					t.Fatalf("%s %.80s: %d without an error message", tc.method, tc.path, resp.StatusCode)
				}
				if resp.StatusCode == 200 && body["stats"].(map[string]any)["total_requests"] != 0.0 {
					t.Fatalf("%s %.80s: data for a made-up customer: %v", tc.method, tc.path, body)
				}
			})
		}
		if status, _ := getJSON(t, base+"/health/"); status != 200 {
			t.Fatalf("unhealthy after the hostile requests: %d", status)
		}
		if after := getRawBody(t, base+"/customers/cust_1/stats/?from=2024-10-01"); after != before {
			t.Fatalf("the data changed:\n%s\nwas\n%s", after, before)
		}
		for _, id := range []string{"secret", "intruder", "bomb"} {
			if _, body := getJSON(t, base+"/customers/"+id+"/stats/?from=2024-10-01"); body["stats"].(map[string]any)["total_requests"] != 0.0 {
				t.Fatalf("requests of %q were loaded", id)
			}
		}
		if strings.Contains(logs.String(), token) {
			t.Fatalf("the load token appears in the server log")
		}
		t.Logf("%d hostile requests: each answered as expected in JSON, none 5xx; the server stayed healthy and nothing outside its data directory was read", len(cases))
	})
}

// TestSlowHeaderClient opens a connection and sends a request's headers a
// byte at a time: the server must drop it after its read-header timeout and
// keep serving others meanwhile.
func TestSlowHeaderClient(t *testing.T) {
	dsn := "sqlite://" + filepath.Join(t.TempDir(), "x.db")
	base := startServer(t, func(string) string { return "" }, "-dsn", dsn, "-read-header-timeout", "1s")
	conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	start := time.Now()
	closed := make(chan time.Duration, 1)
	go func() {
		r := bufio.NewReader(conn)
		io.Copy(io.Discard, r) // returns when the server closes the connection
		closed <- time.Since(start)
	}()
	header := "GET /health/ HTTP/1.1\r\nHost: x\r\nX-Slow: " + strings.Repeat("s", 100)
	for i := 0; i < len(header); i++ {
		if _, err := conn.Write([]byte{header[i]}); err != nil {
			break // closed by the server
		}
		select {
		case took := <-closed:
			if took > 3*time.Second {
				t.Fatalf("the slow client was dropped after %v, want about 1s", took)
			}
			if status, _ := getJSON(t, base+"/health/"); status != 200 {
				t.Fatalf("the server is unhealthy after a slow client")
			}
			t.Logf("a client sending headers a byte every 50 ms was dropped after %v (read-header timeout 1s)", took.Round(time.Millisecond))
			return
		case <-time.After(50 * time.Millisecond):
		}
		if i%5 == 0 {
			if status, _ := getJSON(t, base+"/health/"); status != 200 {
				t.Fatalf("the server stopped serving others during a slow client")
			}
		}
	}
	t.Fatalf("the slow client was still connected after %v", time.Since(start))
}

func getRawBody(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// startServerLogging is startServer with the server's log kept.
func startServerLogging(t *testing.T, logs io.Writer, args ...string) string {
	t.Helper()
	return startServerWith(t, func(string) string { return "" }, logs, args...)
}
