package httpapi_test

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/logstats/logstats/httpapi"
)

// get sends a GET with the given headers, without the client's transparent
// gzip, and returns the response and its raw body.
func get(t *testing.T, url string, header ...string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	tr := &http.Transport{DisableCompression: true}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, body
}

// TestDashboard_Page checks the page itself: one self-contained HTML
// document (every marker inlined, uPlot and the app included), a CSP that
// allows exactly its scripts, gzip that decodes to the same page, an ETag
// that answers 304, and the same page under a prefix.
func TestDashboard_Page(t *testing.T) {
	h := httpapi.NewHandler(httpapi.Deps{}, httpapi.Options{})
	srv := httptest.NewServer(h)
	defer srv.Close()

	resp, page := get(t, srv.URL+"/")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/html; charset=utf-8" {
		t.Fatalf("GET /: %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	for _, want := range []string{"<!doctype html>", `id="chart-requests"`, "uPlot", "loadCustomers", ".table-wrap"} {
		if !bytes.Contains(page, []byte(want)) {
			t.Errorf("the page lacks %q", want)
		}
	}
	if bytes.Contains(page, []byte("/*inline:")) || bytes.Contains(page, []byte("<script src")) || bytes.Contains(page, []byte("<link rel=\"stylesheet\"")) {
		t.Fatal("the page still loads or names a file: it should be one request")
	}

	// The CSP lists the hash of each inline script, and nothing else runs.
	csp := resp.Header.Get("Content-Security-Policy")
	scripts := regexp.MustCompile(`(?s)<script>(.*?)</script>`).FindAllSubmatch(page, -1)
	if len(scripts) != 2 {
		t.Fatalf("%d inline scripts, want 2 (uPlot and the app)", len(scripts))
	}
	for _, s := range scripts {
		sum := sha256.Sum256(s[1])
		if hash := "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"; !strings.Contains(csp, hash) {
			t.Errorf("CSP %q lacks the script's hash %s", csp, hash)
		}
	}
	if !strings.Contains(csp, "default-src 'none'") || strings.Contains(csp, "script-src 'unsafe-inline'") {
		t.Errorf("CSP %q is not strict", csp)
	}

	// gzip: the same page, smaller, with its own ETag.
	zresp, zbody := get(t, srv.URL+"/", "Accept-Encoding", "br, gzip;q=0.8")
	if zresp.Header.Get("Content-Encoding") != "gzip" || zresp.Header.Get("Vary") != "Accept-Encoding" || len(zbody) >= len(page)/2 {
		t.Fatalf("gzip: encoding %q, vary %q, %d of %d bytes", zresp.Header.Get("Content-Encoding"), zresp.Header.Get("Vary"), len(zbody), len(page))
	}
	zr, err := gzip.NewReader(bytes.NewReader(zbody))
	if err != nil {
		t.Fatal(err)
	}
	if unzipped, err := io.ReadAll(zr); err != nil || !bytes.Equal(unzipped, page) {
		t.Fatalf("the gzipped page differs from the page (%v)", err)
	}
	if zresp.Header.Get("ETag") == resp.Header.Get("ETag") {
		t.Fatal("the gzipped page has the plain page's ETag")
	}
	if r, _ := get(t, srv.URL+"/", "Accept-Encoding", "gzip;q=0"); r.Header.Get("Content-Encoding") != "" {
		t.Fatal("gzip;q=0 got gzip")
	}

	// A reload with the ETag costs a 304 and no body.
	if r, body := get(t, srv.URL+"/", "If-None-Match", resp.Header.Get("ETag")); r.StatusCode != 304 || len(body) != 0 {
		t.Fatalf("If-None-Match: %d with %d bytes, want 304 and none", r.StatusCode, len(body))
	}

	// Under a prefix, with http.StripPrefix, the same page.
	mux := http.NewServeMux()
	mux.Handle("/stats/", http.StripPrefix("/stats", h))
	prefixed := httptest.NewServer(mux)
	defer prefixed.Close()
	if r, body := get(t, prefixed.URL+"/stats/"); r.StatusCode != 200 || !bytes.Equal(body, page) {
		t.Fatalf("GET /stats/ under a prefix: %d, same page %v", r.StatusCode, bytes.Equal(body, page))
	}
}
