package httpapi

import (
	"bytes"
	_ "embed"
	"net/http"
	"time"
)

// openAPIDocument is the hand-kept OpenAPI 3.1 description of every route.
// TestOpenAPI checks real responses of every route against it.
//
//go:embed openapi.json
var openAPIDocument []byte

// OpenAPI returns the API's OpenAPI 3.1 document, as served at
// GET /openapi.json.
func OpenAPI() []byte { return bytes.Clone(openAPIDocument) }

func handleOpenAPI() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Type", "application/json")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Cache-Control", "no-cache")
		http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(openAPIDocument))
	})
}
