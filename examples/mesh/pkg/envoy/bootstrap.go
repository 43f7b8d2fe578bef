// Package envoy reads the Envoy bootstrap files that pilot-agent hands to
// the proxy.
package envoy

import (
	"encoding/json"
	"fmt"
	"os"
)

// Bootstrap is the part of an Envoy bootstrap configuration the mesh reads.
type Bootstrap struct {
	Node struct {
		ID      string `json:"id"`
		Cluster string `json:"cluster"`
	} `json:"node"`
	Admin struct {
		Address SocketAddress `json:"address"`
	} `json:"admin"`
	StaticResources struct {
		Listeners []json.RawMessage `json:"listeners"`
		Clusters  []json.RawMessage `json:"clusters"`
	} `json:"static_resources"`
}

// SocketAddress is Envoy's address wrapper.
type SocketAddress struct {
	Socket struct {
		Address string `json:"address"`
		Port    int    `json:"port_value"`
	} `json:"socket_address"`
}

// LoadBootstrap reads and checks the bootstrap file at path.
func LoadBootstrap(path string) (*Bootstrap, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var b Bootstrap
	if err := json.Unmarshal(data, &b); err != nil {
		return nil, fmt.Errorf("%s: not a valid bootstrap: %v", path, err)
	}
	if b.Node.ID == "" {
		return nil, fmt.Errorf("%s: node.id is missing", path)
	}
	return &b, nil
}

// String summarises the bootstrap in one line.
func (b *Bootstrap) String() string {
	return fmt.Sprintf("node %s, admin %s:%d, %d listeners, %d clusters",
		b.Node.ID, b.Admin.Address.Socket.Address, b.Admin.Address.Socket.Port,
		len(b.StaticResources.Listeners), len(b.StaticResources.Clusters))
}
