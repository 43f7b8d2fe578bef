// istioctl is the mesh's command-line client.
package main

import (
	"os"

	"istio.io/istio/pkg/cmd"
)

const binaryName = "istioctl"

func main() {
	c := cmd.New(binaryName, "Istio configuration command line utility.")
	c.Synopsis = binaryName + " <command> [flags]"
	c.Commands = [][2]string{
		{"version", "print the version line"},
		{"help", "show this help"},
	}
	rest := c.Parse(os.Args[1:]) // answers --help, --version and version

	switch {
	case len(rest) == 0:
		c.UsageError("no command given")
	case rest[0] == "help":
		c.PrintUsage(os.Stdout)
	default:
		c.UsageError("unknown command %q", rest[0])
	}
}
