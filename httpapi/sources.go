package httpapi

import (
	"context"
	"net/http"
	"strconv"

	"github.com/logstats/logstats"
)

// Sources is what the /sources routes use: listing the loaded logs and
// undoing the loads of one; *logstats.Ingester is one.
type Sources interface {
	FindSources(ctx context.Context) ([]logstats.Source, error)
	Forget(ctx context.Context, sourceID int64) (*logstats.ForgetResult, error)
}

// errNoSources answers the /sources routes of a server without Deps.Sources.
func errNoSources() error {
	return httpError(http.StatusServiceUnavailable, "the sources are not served by this server")
}

func (s *server) handleListSources() http.Handler {
	type response struct {
		Sources []logstats.Source `json:"sources"`
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.sources == nil {
			s.handleError(w, r, errNoSources())
			return
		}
		sources, err := s.sources.FindSources(r.Context())
		if err != nil {
			s.handleError(w, r, err)
			return
		}
		encode(w, http.StatusOK, response{Sources: sources})
	})
}

func (s *server) handleForgetSource() http.Handler {
	// The reply is the ForgetResult, the runner's -forget summary too.
	type response struct {
		Status string `json:"status"`
		*logstats.ForgetResult
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.sources == nil {
			s.handleError(w, r, errNoSources())
			return
		}
		id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
		if err != nil {
			s.handleError(w, r, invalid("a source id is an integer, as GET /sources lists them"))
			return
		}
		res, err := s.sources.Forget(r.Context(), id)
		if err != nil {
			s.handleError(w, r, err)
			return
		}
		s.logger.Info("source forgotten", "id", id, "source", res.Source, "requests", res.Requests)
		encode(w, http.StatusOK, response{Status: "forgotten", ForgetResult: res})
	})
}
