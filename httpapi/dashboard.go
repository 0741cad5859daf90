package httpapi

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"time"
)

// The dashboard's files: index.html, app.js, app.css and uPlot, vendored by
// scripts/vendor-uplot.sh.
//
//go:embed dashboard/index.html dashboard/app.js dashboard/app.css dashboard/vendor/uplot
var dashboardFiles embed.FS

// inlineMarker is where index.html asks for a file to be inlined: a comment,
// so that the page still parses as written.
var inlineMarker = regexp.MustCompile(`<(script|style)>/\*inline:([A-Za-z0-9_./-]+)\*/</(?:script|style)>`)

// dashboard is the page served at GET /: index.html with its scripts and
// stylesheets inlined, so that it loads in one request, also kept gzipped.
type dashboard struct {
	page, gzipped []byte
	etag          string
	csp           string // allows exactly the inlined scripts, by hash
}

// newDashboard assembles the page. It fails only if index.html names a file
// that is not embedded, which TestDashboard_Page catches.
func newDashboard() (*dashboard, error) {
	page, err := dashboardFiles.ReadFile("dashboard/index.html")
	if err != nil {
		return nil, err
	}
	var scriptHashes []string
	var missing error
	page = inlineMarker.ReplaceAllFunc(page, func(m []byte) []byte {
		sub := inlineMarker.FindSubmatch(m)
		tag, name := string(sub[1]), string(sub[2])
		body, err := dashboardFiles.ReadFile("dashboard/" + name)
		if err != nil {
			missing = fmt.Errorf("dashboard: index.html inlines %s: %w", name, err)
			return m
		}
		if bytes.Contains(bytes.ToLower(body), []byte("</"+tag)) {
			missing = fmt.Errorf("dashboard: %s contains </%s and cannot be inlined", name, tag)
			return m
		}
		if tag == "script" {
			sum := sha256.Sum256(body)
			scriptHashes = append(scriptHashes, "'sha256-"+base64.StdEncoding.EncodeToString(sum[:])+"'")
		}
		return fmt.Appendf(nil, "<%s>%s</%s>", tag, body, tag)
	})
	if missing != nil {
		return nil, missing
	}
	var gz bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	zw.Write(page)
	zw.Close()
	sum := sha256.Sum256(page)
	return &dashboard{
		page:    page,
		gzipped: gz.Bytes(),
		etag:    `"` + base64.RawURLEncoding.EncodeToString(sum[:12]) + `"`,
		// uPlot sizes its elements through el.style, which style-src
		// 'unsafe-inline' allows; scripts run only if their hash matches.
		csp: "default-src 'none'; script-src " + strings.Join(scriptHashes, " ") +
			"; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
	}, nil
}

// ServeHTTP serves the page, gzipped when the client accepts it, with an ETag
// so that a reload costs a 304.
func (d *dashboard) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", d.csp)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-cache")
	h.Set("Vary", "Accept-Encoding")
	body, etag := d.page, d.etag
	if acceptsGzip(r) {
		h.Set("Content-Encoding", "gzip")
		body, etag = d.gzipped, strings.TrimSuffix(d.etag, `"`)+`-gz"`
	}
	h.Set("ETag", etag)
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(body))
}

// acceptsGzip reports whether r's Accept-Encoding lists gzip without q=0.
func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(coding), "gzip") {
			q := strings.ReplaceAll(strings.TrimSpace(params), " ", "")
			return q != "q=0" && q != "q=0.0" && q != "q=0.00" && q != "q=0.000"
		}
	}
	return false
}
