// extauthz is the sample external authorizer: a request is allowed when its
// x-ext-authz header says "allow" and denied otherwise.
package main

import (
	"fmt"
	"net/http"
	"os"

	"istio.io/istio/pkg/cmd"
)

const (
	binaryName   = "extauthz"
	checkHeader  = "x-ext-authz"
	resultHeader = "x-ext-authz-check-result"
	allowValue   = "allow"
)

func main() {
	c := cmd.New(binaryName, "External authorizer: allows requests whose "+checkHeader+" header is \""+allowValue+"\".")
	httpPort := c.Flags.Int("http", 8000, "port of the HTTP check service")
	grpcPort := c.Flags.Int("grpc", 9000, "port of the second check service (this sample answers HTTP there too)")
	if rest := c.Parse(os.Args[1:]); len(rest) > 0 {
		c.UsageError("unexpected argument %q", rest[0])
	}

	check := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get(checkHeader) == allowValue {
			w.Header().Set(resultHeader, "allowed")
			w.WriteHeader(http.StatusOK)
			fmt.Fprintf(w, "allowed: %s %s\n", r.Method, r.URL.Path)
			return
		}
		w.Header().Set(resultHeader, "denied")
		w.WriteHeader(http.StatusForbidden)
		fmt.Fprintf(w, "denied: %s %s (set %s: %s to pass)\n", r.Method, r.URL.Path, checkHeader, allowValue)
	})
	err := c.Serve(
		&http.Server{Addr: fmt.Sprintf(":%d", *httpPort), Handler: check},
		&http.Server{Addr: fmt.Sprintf(":%d", *grpcPort), Handler: check},
	)
	if err != nil {
		c.Fatal(err)
	}
}
