package cmd

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// Serve runs the servers until SIGINT or SIGTERM, then shuts them down
// gracefully. It returns the first error a server fails with.
func (c *Command) Serve(servers ...*http.Server) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	failed := make(chan error, len(servers))
	for _, srv := range servers {
		ln, err := net.Listen("tcp", srv.Addr)
		if err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "%s: listening on %s\n", c.Name, ln.Addr())
		go func(srv *http.Server) {
			if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
				failed <- err
			}
		}(srv)
	}

	var err error
	select {
	case <-ctx.Done():
		fmt.Fprintf(os.Stderr, "%s: shutting down\n", c.Name)
	case err = <-failed:
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, srv := range servers {
		_ = srv.Shutdown(shutdownCtx)
	}
	return err
}
