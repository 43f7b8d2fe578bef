// server is the echo test application: it answers every HTTP request with a
// description of the request it received.
package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"strings"

	"istio.io/istio/pkg/cmd"
	"istio.io/istio/pkg/version"
)

const binaryName = "server"

func main() {
	c := cmd.New(binaryName, "Echo server: answers each HTTP request with the request's details.")
	port := c.Flags.Int("port", 8080, "HTTP port to listen on")
	if rest := c.Parse(os.Args[1:]); len(rest) > 0 {
		c.UsageError("unexpected argument %q", rest[0])
	}
	hostname, _ := os.Hostname()

	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		var out strings.Builder
		fmt.Fprintf(&out, "ServiceVersion=%s\n", version.Info().Version)
		fmt.Fprintf(&out, "Proto=%s\nMethod=%s\nHost=%s\nURL=%s\nHostname=%s\n",
			r.Proto, r.Method, r.Host, r.URL.RequestURI(), hostname)
		keys := make([]string, 0, len(r.Header))
		for key := range r.Header {
			keys = append(keys, key)
		}
		sort.Strings(keys)
		for _, key := range keys {
			fmt.Fprintf(&out, "RequestHeader=%s:%s\n", key, strings.Join(r.Header[key], ","))
		}
		if len(body) > 0 {
			fmt.Fprintf(&out, "Body=%s\n", body)
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = io.WriteString(w, out.String())
	})
	if err := c.Serve(&http.Server{Addr: fmt.Sprintf(":%d", *port), Handler: handler}); err != nil {
		c.Fatal(err)
	}
}
