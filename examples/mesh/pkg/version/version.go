// Package version holds the build information stamped into every binary at
// link time, for example:
//
//	go build -ldflags "-X istio.io/istio/pkg/version.buildVersion=1.2.3" ./...
package version

import (
	"encoding/json"
	"fmt"
	"runtime"
)

// Set with -ldflags "-X istio.io/istio/pkg/version.NAME=VALUE": the same seven
// variables as Istio's pkg/version, stamped the way its report_build_info.sh does.
var (
	buildVersion     = "unknown"
	buildGitRevision = "unknown"
	buildStatus      = "unknown"
	buildTag         = "unknown"
	buildHub         = "unknown"
	buildOS          = "unknown"
	buildArch        = "unknown"
)

// BuildInfo describes the build that produced the running binary.
type BuildInfo struct {
	Version     string `json:"version"`
	GitRevision string `json:"revision"`
	Status      string `json:"status"`
	GitTag      string `json:"tag"`
	GoVersion   string `json:"golang_version"`
	Platform    string `json:"platform"`
}

// DockerBuildInfo names the hub, tag and platform the binary was built for.
type DockerBuildInfo struct {
	Hub  string `json:"hub"`
	Tag  string `json:"tag"`
	OS   string `json:"os"`
	Arch string `json:"arch"`
}

// Output is what `version -ojson` prints: the build under "clientVersion", as
// Istio's binaries print it, and the hub, tag and platform stamped at build time.
type Output struct {
	ClientVersion BuildInfo       `json:"clientVersion"`
	Docker        DockerBuildInfo `json:"docker"`
}

// Info returns the build information of the running binary.
func Info() BuildInfo {
	return BuildInfo{
		Version:     buildVersion,
		GitRevision: buildGitRevision,
		Status:      buildStatus,
		GitTag:      buildTag,
		GoVersion:   runtime.Version(),
		Platform:    runtime.GOOS + "/" + runtime.GOARCH,
	}
}

// DockerInfo returns the hub, tag and platform stamped at build time.
func DockerInfo() DockerBuildInfo {
	return DockerBuildInfo{Hub: buildHub, Tag: buildVersion, OS: buildOS, Arch: buildArch}
}

// Line formats the one line every binary prints for --version:
// "<binary> version <buildVersion> <GOOS>/<GOARCH>".
func Line(binary string) string {
	info := Info()
	return fmt.Sprintf("%s version %s %s", binary, info.Version, info.Platform)
}

// JSON formats Output for `version -ojson`.
func JSON() string {
	out, err := json.MarshalIndent(Output{ClientVersion: Info(), Docker: DockerInfo()}, "", "  ")
	if err != nil {
		panic(err) // plain strings always marshal
	}
	return string(out)
}
