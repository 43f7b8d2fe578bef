// pilot-discovery is the control plane's discovery server. This sample
// serves its readiness and version endpoints.
package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"

	"istio.io/istio/pkg/cmd"
	"istio.io/istio/pkg/version"
)

const binaryName = "pilot-discovery"

func main() {
	c := cmd.New(binaryName, "Serves the mesh control plane: /ready and /version over HTTP.")
	c.Synopsis = binaryName + " [discovery] [flags]"
	c.Commands = [][2]string{{"discovery", "serve the control plane (the default)"}}
	addr := c.Flags.String("httpAddr", ":8080", "address of the HTTP server")
	args := os.Args[1:]
	if len(args) > 0 && args[0] == "discovery" {
		args = args[1:]
	}
	if rest := c.Parse(args); len(rest) > 0 {
		c.UsageError("unexpected argument %q", rest[0])
	}

	mux := http.NewServeMux()
	mux.HandleFunc("/ready", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "ready")
	})
	mux.HandleFunc("/version", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(version.Info())
	})
	if err := c.Serve(&http.Server{Addr: *addr, Handler: mux}); err != nil {
		c.Fatal(err)
	}
}
