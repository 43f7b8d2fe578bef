// pilot-agent runs beside each workload: it checks the Envoy bootstrap and
// starts the proxy with it.
package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"

	"istio.io/istio/pkg/cmd"
	"istio.io/istio/pkg/envoy"
)

const binaryName = "pilot-agent"

func main() {
	c := cmd.New(binaryName, "Starts Envoy with the mesh bootstrap (command: proxy).")
	c.Synopsis = binaryName + " proxy [sidecar|router] [flags]"
	c.Commands = [][2]string{{"proxy", "check the bootstrap and run Envoy with it, as a sidecar (default) or a router"}}
	binary := c.Flags.String("binaryPath", "/usr/local/bin/envoy", "the Envoy binary to start")
	bootstrap := c.Flags.String("bootstrap", "/var/lib/istio/envoy/envoy_bootstrap_tmpl.json", "the Envoy bootstrap file")
	args := os.Args[1:]
	proxy := len(args) > 0 && args[0] == "proxy"
	if proxy {
		args = args[1:]
	}
	role := "sidecar"
	if proxy && len(args) > 0 && (args[0] == "sidecar" || args[0] == "router") {
		role, args = args[0], args[1:]
	}
	rest := c.Parse(args)
	if !proxy || len(rest) > 0 {
		c.UsageError("expected: proxy [sidecar|router]")
	}

	b, err := envoy.LoadBootstrap(*bootstrap)
	if err != nil {
		c.Fatal(err)
	}
	fmt.Fprintf(os.Stderr, "%s: starting %s as a %s (%s)\n", binaryName, *binary, role, b)
	proc := exec.Command(*binary, "-c", *bootstrap)
	proc.Stdout, proc.Stderr = os.Stdout, os.Stderr
	if err := proc.Run(); err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			os.Exit(exit.ExitCode())
		}
		c.Fatal(err)
	}
}
