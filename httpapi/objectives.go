package httpapi

import (
	"context"
	"net/http"

	"github.com/logstats/logstats"
)

// Objectives is what GET, PUT and DELETE /customers/{id}/slo use;
// *logstats.StatsService is one.
type Objectives interface {
	CustomerObjectives(ctx context.Context, customerID string) ([]logstats.Objective, bool, error)
	SetObjectives(ctx context.Context, customerID string, objectives []logstats.Objective) error
	DeleteObjectives(ctx context.Context, customerID string) error
}

// objectivesResponse is the answer of the /customers/{id}/slo routes: the
// customer's objectives, comma-separated ("" for none), and whether they
// are the server's defaults (it has none of its own).
type objectivesResponse struct {
	CustomerID string `json:"customer_id"`
	Objectives string `json:"objectives"`
	Default    bool   `json:"default"`
}

// handleObjectives answers GET /customers/{id}/slo, and, after a PUT or
// a DELETE, what GET then answers.
func (s *server) handleObjectives(change func(w http.ResponseWriter, r *http.Request, id string) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.objectives == nil {
			s.writeError(w, r, http.StatusNotFound, "this server keeps no objectives")
			return
		}
		id := r.PathValue("id")
		if err := logstats.ValidCustomerID(id); err != nil {
			s.handleError(w, r, invalid(err.Error()))
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), s.opts.QueryTimeout)
		defer cancel()
		if change != nil {
			if err := change(w, r.WithContext(ctx), id); err != nil {
				s.handleError(w, r, err)
				return
			}
		}
		objectives, own, err := s.objectives.CustomerObjectives(ctx, id)
		if err != nil {
			s.handleError(w, r, err)
			return
		}
		encodeUnescaped(w, http.StatusOK, objectivesResponse{CustomerID: id, Objectives: logstats.FormatObjectives(objectives), Default: !own})
	})
}

// setObjectives is the change of PUT /customers/{id}/slo: the body's
// objectives become the customer's own.
func (s *server) setObjectives(w http.ResponseWriter, r *http.Request, id string) error {
	var req struct {
		Objectives *string `json:"objectives"`
	}
	const shape = `{"objectives": "uptime>=99.95,p95<=0.3"} ("" for none at all)`
	if err := decodeBody(w, r, &req, shape); err != nil {
		return err
	}
	if req.Objectives == nil {
		return invalid("objectives is required: " + shape)
	}
	objectives, err := logstats.ParseObjectives(*req.Objectives)
	if err != nil {
		return invalid(err.Error())
	}
	if err := s.objectives.SetObjectives(r.Context(), id, objectives); err != nil {
		return err
	}
	s.logger.Info("objectives set", "customer", id, "objectives", logstats.FormatObjectives(objectives))
	return nil
}

// deleteObjectives is the change of DELETE /customers/{id}/slo: the
// server's defaults apply to the customer again.
func (s *server) deleteObjectives(_ http.ResponseWriter, r *http.Request, id string) error {
	if err := s.objectives.DeleteObjectives(r.Context(), id); err != nil {
		return err
	}
	s.logger.Info("objectives deleted", "customer", id)
	return nil
}
