// istio-cni is the CNI plugin the container runtime calls for each pod. It
// follows the CNI calling convention: the command in CNI_COMMAND, the network
// configuration on stdin, the result on stdout.
package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"

	"istio.io/istio/pkg/cmd"
)

const binaryName = "istio-cni"

var supported = []string{"0.3.1", "0.4.0", "1.0.0"}

func main() {
	c := cmd.New(binaryName, "CNI plugin: set CNI_COMMAND (ADD, DEL, CHECK or VERSION) and pass the network configuration on stdin.")
	if rest := c.Parse(os.Args[1:]); len(rest) > 0 {
		c.UsageError("unexpected argument %q", rest[0])
	}

	out := json.NewEncoder(os.Stdout)
	switch command := os.Getenv("CNI_COMMAND"); command {
	case "VERSION":
		_ = out.Encode(map[string]interface{}{"cniVersion": "1.0.0", "supportedVersions": supported})
	case "ADD", "DEL", "CHECK":
		var conf struct {
			CNIVersion string          `json:"cniVersion"`
			PrevResult json.RawMessage `json:"prevResult"`
		}
		data, err := io.ReadAll(os.Stdin)
		if err == nil {
			err = json.Unmarshal(data, &conf)
		}
		if err != nil {
			fail(out, 6, fmt.Sprintf("decoding the network configuration: %v", err))
		}
		fmt.Fprintf(os.Stderr, "%s: %s for container %s\n", binaryName, command, os.Getenv("CNI_CONTAINERID"))
		if command != "ADD" {
			return // DEL and CHECK succeed silently
		}
		if len(conf.PrevResult) > 0 { // a chained plugin passes the result on
			_, _ = os.Stdout.Write(append(conf.PrevResult, '\n'))
			return
		}
		if conf.CNIVersion == "" {
			conf.CNIVersion = supported[len(supported)-1]
		}
		_ = out.Encode(map[string]string{"cniVersion": conf.CNIVersion})
	case "":
		c.UsageError("CNI_COMMAND is not set")
	default:
		fail(out, 4, "unknown CNI_COMMAND "+command)
	}
}

// fail writes a CNI error result and exits 1.
func fail(out *json.Encoder, code int, msg string) {
	_ = out.Encode(map[string]interface{}{"cniVersion": "1.0.0", "code": code, "msg": msg})
	os.Exit(1)
}
