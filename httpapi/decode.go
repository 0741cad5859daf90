package httpapi

import (
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
)

// maxJSONRequestBytes bounds the JSON body of POST /keys and PUT
// /customers/{id}/slo.
const maxJSONRequestBytes = 16 << 10

// decodeBody decodes r's body, one JSON object of the fields of v and no
// other, into v; an error says what to send instead, shaped as shape.
func decodeBody(w http.ResponseWriter, r *http.Request, v any, shape string) error {
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
		return httpError(http.StatusUnsupportedMediaType, "send it as JSON (Content-Type: application/json): "+shape)
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxJSONRequestBytes))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return httpError(http.StatusRequestEntityTooLarge, "the request is larger than 16 KiB")
		}
		return invalid("the body must be " + shape + ": " + sanitize(err.Error()))
	}
	if err := dec.Decode(new(json.RawMessage)); err != io.EOF {
		return invalid("the body must be one JSON object: " + shape)
	}
	return nil
}
