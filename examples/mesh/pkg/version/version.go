// Package version holds the build information stamped into every binary at
// link time, for example:
//
//	go build -ldflags "-X istio.io/istio/pkg/version.buildVersion=1.2.3" ./...
package version

import (
	"fmt"
	"runtime"
)

// Set with -ldflags "-X istio.io/istio/pkg/version.NAME=VALUE".
var (
	buildVersion     = "unknown"
	buildGitRevision = "unknown"
	buildStatus      = "unknown"
)

// BuildInfo describes the build that produced the running binary.
type BuildInfo struct {
	Version     string `json:"version"`
	GitRevision string `json:"revision"`
	Status      string `json:"status"`
	GoVersion   string `json:"golang_version"`
	Platform    string `json:"platform"`
}

// Info returns the build information of the running binary.
func Info() BuildInfo {
	return BuildInfo{
		Version:     buildVersion,
		GitRevision: buildGitRevision,
		Status:      buildStatus,
		GoVersion:   runtime.Version(),
		Platform:    runtime.GOOS + "/" + runtime.GOARCH,
	}
}

// Line formats the one line every binary prints for --version:
// "<binary> version <buildVersion> <GOOS>/<GOARCH>".
func Line(binary string) string {
	info := Info()
	return fmt.Sprintf("%s version %s %s", binary, info.Version, info.Platform)
}
