// Package cmd is the command-line plumbing the mesh binaries share: flag
// parsing with --help, --version and the version subcommand (-ojson as Istio's),
// and uniform exits.
package cmd

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"istio.io/istio/pkg/version"
)

// Command describes one binary.
type Command struct {
	Name     string      // the binary's name, as printed by --version
	Summary  string      // one sentence for --help
	Synopsis string      // usage line; defaults to "NAME [flags]"
	Commands [][2]string // subcommands and their one-line help, for --help
	Flags    *flag.FlagSet
	showVer  *bool
}

// New returns a Command whose flag set already knows --version.
func New(name, summary string) *Command {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.Usage = func() {} // usage is printed by Parse, to the right stream
	c := &Command{Name: name, Summary: summary, Flags: fs}
	c.showVer = fs.Bool("version", false, "print the version line and exit")
	return c
}

// Parse parses args (without the program name) and returns the arguments
// left after the flags. It exits for --help (0), --version or a leading
// "version" argument (0; JSON with -ojson) and a bad flag (2).
func (c *Command) Parse(args []string) []string {
	err := c.Flags.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		c.PrintUsage(os.Stdout)
		os.Exit(0)
	}
	if err != nil { // the flag package has already printed the error
		c.PrintUsage(os.Stderr)
		os.Exit(2)
	}
	rest := c.Flags.Args()
	if len(rest) > 0 && rest[0] == "version" && wantsJSON(rest[1:]) {
		fmt.Println(version.JSON())
		os.Exit(0)
	}
	if *c.showVer || (len(rest) > 0 && rest[0] == "version") {
		fmt.Println(version.Line(c.Name))
		os.Exit(0)
	}
	return rest
}

// wantsJSON reports whether the version subcommand's arguments ask for JSON,
// the way Istio's are written: -ojson, -o json, --output=json. Others (such as
// istioctl's --remote=false) are ignored.
func wantsJSON(args []string) bool {
	for i, arg := range args {
		switch arg {
		case "-ojson", "-o=json", "--output=json":
			return true
		case "-o", "--output":
			if i+1 < len(args) && args[i+1] == "json" {
				return true
			}
		}
	}
	return false
}

// PrintUsage writes the synopsis, the summary and the flags to w.
func (c *Command) PrintUsage(w io.Writer) {
	synopsis := c.Synopsis
	if synopsis == "" {
		synopsis = c.Name + " [flags]"
	}
	fmt.Fprintf(w, "Usage: %s\n\n%s\n", synopsis, c.Summary)
	if len(c.Commands) > 0 {
		fmt.Fprintln(w, "\nCommands:")
		for _, command := range c.Commands {
			fmt.Fprintf(w, "  %-10s %s\n", command[0], command[1])
		}
	}
	fmt.Fprintln(w, "\nFlags:")
	c.Flags.SetOutput(w)
	c.Flags.PrintDefaults()
	c.Flags.SetOutput(os.Stderr)
}

// UsageError reports a wrong invocation and exits 2.
func (c *Command) UsageError(format string, a ...interface{}) {
	fmt.Fprintf(os.Stderr, "%s: %s\n", c.Name, fmt.Sprintf(format, a...))
	c.PrintUsage(os.Stderr)
	os.Exit(2)
}

// Fatal reports a failure and exits 1.
func (c *Command) Fatal(err error) {
	fmt.Fprintf(os.Stderr, "%s: %v\n", c.Name, err)
	os.Exit(1)
}
