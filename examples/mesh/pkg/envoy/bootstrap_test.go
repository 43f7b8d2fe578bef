package envoy

import (
	"os"
	"path/filepath"
	"testing"
)

func TestLoadShippedBootstrap(t *testing.T) {
	b, err := LoadBootstrap(filepath.Join("..", "..", "tools", "packaging", "common", "envoy_bootstrap.json"))
	if err != nil {
		t.Fatal(err)
	}
	if b.Admin.Address.Socket.Port != 15000 || len(b.StaticResources.Clusters) == 0 {
		t.Fatalf("unexpected bootstrap: %s", b)
	}
}

func TestLoadBootstrapRejectsMissingNode(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bootstrap.json")
	if err := os.WriteFile(path, []byte(`{"admin": {}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadBootstrap(path); err == nil {
		t.Fatal("expected an error for a bootstrap without node.id")
	}
}
