package cli

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// Serve serves srv on ln until ctx ends, then shuts it down: requests and
// loads in flight get grace to finish; after it, cancelRequests (which must
// cancel the context srv's BaseContext gives requests) rolls back loads in
// flight, which get 5 s to answer 503 before what is left is closed.
func Serve(ctx context.Context, srv *http.Server, ln net.Listener, grace time.Duration, cancelRequests func(), logger *slog.Logger) error {
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	select {
	case err := <-serveErr:
		return err
	case <-ctx.Done():
	}
	logger.Info("shutting down", "grace", grace)
	shutdownCtx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		// Cancelled loads roll back their current batch and answer 503; give
		// them a moment to say so before closing what is left.
		logger.Warn("grace period over; cancelling requests in flight", "err", err)
		cancelRequests()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			srv.Close()
		}
	}
	logger.Info("stopped")
	return nil
}
