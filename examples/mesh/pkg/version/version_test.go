package version

import (
	"runtime"
	"testing"
)

func TestLine(t *testing.T) {
	old := buildVersion
	defer func() { buildVersion = old }()
	buildVersion = "1.2.3"

	want := "pilot-discovery version 1.2.3 " + runtime.GOOS + "/" + runtime.GOARCH
	if got := Line("pilot-discovery"); got != want {
		t.Fatalf("Line() = %q, want %q", got, want)
	}
}

func TestDefaults(t *testing.T) {
	info := Info()
	if info.Version != "unknown" || info.GitRevision != "unknown" || info.Status != "unknown" || info.GitTag != "unknown" {
		t.Fatalf("unstamped build should report unknown, got %+v", info)
	}
}

func TestDockerInfoDefaults(t *testing.T) {
	if got := DockerInfo(); got != (DockerBuildInfo{Hub: "unknown", Tag: "unknown", OS: "unknown", Arch: "unknown"}) {
		t.Fatalf("unstamped build should report unknown, got %+v", got)
	}
}
