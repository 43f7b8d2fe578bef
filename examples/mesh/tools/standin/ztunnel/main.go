// ztunnel stands in for Istio's node proxy, a Rust binary published prebuilt
// per architecture, which cannot be downloaded here. It answers `version` like
// the other binaries and otherwise reports that it would start.
package main

import (
	"fmt"
	"os"

	"istio.io/istio/pkg/cmd"
)

const binaryName = "ztunnel"

func main() {
	c := cmd.New(binaryName, "Stand-in for ztunnel, the ambient node proxy: reports that it would start.")
	if rest := c.Parse(os.Args[1:]); len(rest) > 0 {
		c.UsageError("unexpected argument %q", rest[0])
	}
	fmt.Printf("%s: would start the ambient node proxy\n", binaryName)
}
