// envoy stands in for the Envoy proxy, which cannot be downloaded here. It
// takes Envoy's -c flag, reads the bootstrap and reports what it would start.
package main

import (
	"fmt"
	"os"

	"istio.io/istio/pkg/cmd"
	"istio.io/istio/pkg/envoy"
)

const binaryName = "envoy"

func main() {
	c := cmd.New(binaryName, "Stand-in for the Envoy proxy: reads a bootstrap file and reports what it would start.")
	var config string
	c.Flags.StringVar(&config, "c", "", "path to the bootstrap configuration (JSON)")
	c.Flags.StringVar(&config, "config-path", "", "same as -c")
	if rest := c.Parse(os.Args[1:]); len(rest) > 0 {
		c.UsageError("unexpected argument %q", rest[0])
	}
	if config == "" {
		c.UsageError("a bootstrap is required: -c FILE")
	}

	b, err := envoy.LoadBootstrap(config)
	if err != nil {
		c.Fatal(err)
	}
	fmt.Printf("%s: would start with %s (%s)\n", binaryName, config, b)
}
