// install-cni installs the istio-cni plugin's network configuration on a node.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"istio.io/istio/pkg/cmd"
)

const binaryName = "install-cni"

func main() {
	c := cmd.New(binaryName, "Writes the istio-cni network configuration into the node's CNI config directory.")
	netDir := c.Flags.String("mounted-cni-net-dir", "/host/etc/cni/net.d", "directory of the node's CNI network configurations")
	confName := c.Flags.String("cni-conf-name", "YY-istio-cni.conflist", "file name of the configuration to write")
	binDir := c.Flags.String("cni-bin-dir", "/opt/cni/bin", "directory of the CNI plugin binaries on the node")
	logLevel := c.Flags.String("log-level", "info", "log level of the plugin")
	if rest := c.Parse(os.Args[1:]); len(rest) > 0 {
		c.UsageError("unexpected argument %q", rest[0])
	}

	conf := map[string]interface{}{
		"cniVersion": "0.3.1",
		"name":       "istio-cni",
		"plugins": []map[string]interface{}{{
			"type":        "istio-cni",
			"log_level":   *logLevel,
			"cni_bin_dir": *binDir,
			"kubernetes":  map[string]string{"exclude_namespaces": "istio-system,kube-system"},
		}},
	}
	data, err := json.MarshalIndent(conf, "", "  ")
	if err != nil {
		c.Fatal(err)
	}
	path := filepath.Join(*netDir, *confName)
	if err := writeAtomic(path, append(data, '\n')); err != nil {
		c.Fatal(err)
	}
	fmt.Printf("%s: wrote %s\n", binaryName, path)
}

// writeAtomic writes data beside path and renames it into place, so the
// container runtime never reads a half-written configuration.
func writeAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".install-cni-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
