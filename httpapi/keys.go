package httpapi

import (
	"net/http"
	"time"

	"github.com/logstats/logstats"
)

// The /keys routes: customer keys, managed with the admin token (guard
// lets nobody else in).

// keyJSON is a key as GET /keys lists it.
type keyJSON struct {
	ID         string  `json:"id"`
	CustomerID string  `json:"customer_id"`
	Label      string  `json:"label"`
	Created    string  `json:"created"`
	LastUsed   *string `json:"last_used"`
}

func newKeyJSON(k logstats.Key) keyJSON {
	j := keyJSON{ID: k.ID, CustomerID: k.CustomerID, Label: k.Label, Created: k.Created.UTC().Format(time.RFC3339)}
	if k.LastUsed != nil {
		t := k.LastUsed.UTC().Format(time.RFC3339)
		j.LastUsed = &t
	}
	return j
}

// errNoKeys answers the /keys routes of a server without customer keys.
func errNoKeys() error {
	return httpError(http.StatusServiceUnavailable, "customer keys are not enabled on this server")
}

func (s *server) handleListKeys() http.Handler {
	type response struct {
		Keys []keyJSON `json:"keys"`
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.keys == nil {
			s.handleError(w, r, errNoKeys())
			return
		}
		keys, err := s.keys.FindKeys(r.Context())
		if err != nil {
			s.handleError(w, r, err)
			return
		}
		resp := response{Keys: make([]keyJSON, 0, len(keys))}
		for _, k := range keys {
			resp.Keys = append(resp.Keys, newKeyJSON(k))
		}
		encode(w, http.StatusOK, resp)
	})
}

func (s *server) handleCreateKey() http.Handler {
	type request struct {
		CustomerID *string `json:"customer_id"`
		Label      string  `json:"label"`
	}
	type response struct {
		ID         string `json:"id"`
		CustomerID string `json:"customer_id"`
		Label      string `json:"label"`
		Key        string `json:"key"`
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.keys == nil {
			s.handleError(w, r, errNoKeys())
			return
		}
		var req request
		if err := decodeBody(w, r, &req, `{"customer_id": "...", "label": "..."}`); err != nil {
			s.handleError(w, r, err)
			return
		}
		if req.CustomerID == nil {
			s.handleError(w, r, invalid(`customer_id is required: {"customer_id": "...", "label": "..."}`))
			return
		}
		k, key, err := s.keys.CreateKey(r.Context(), *req.CustomerID, req.Label)
		if err != nil {
			s.handleError(w, r, err)
			return
		}
		s.logger.Info("key created", "id", k.ID, "customer", k.CustomerID)
		w.Header().Set("Cache-Control", "no-store")
		encode(w, http.StatusCreated, response{ID: k.ID, CustomerID: k.CustomerID, Label: k.Label, Key: key})
	})
}

func (s *server) handleRevokeKey() http.Handler {
	type response struct {
		ID     string `json:"id"`
		Status string `json:"status"`
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.keys == nil {
			s.handleError(w, r, errNoKeys())
			return
		}
		id := r.PathValue("id")
		if err := s.keys.RevokeKey(r.Context(), id); err != nil {
			s.handleError(w, r, err)
			return
		}
		s.logger.Info("key revoked", "id", id)
		encode(w, http.StatusOK, response{ID: id, Status: "revoked"})
	})
}
