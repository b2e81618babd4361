package main

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/cofferhq/coffer/internal/server"
)

// buildVersion is the release's version when the build stamps one, as
// deploy/release.sh does: go build -ldflags "-X main.buildVersion=v1.2.3".
// A plain go build or go run leaves it empty.
var buildVersion string

// build is this build from what the Go toolchain recorded in it: the
// module's version (a tag, or "(devel)" from a checkout), the commit it was
// built from and whether the tree had changes, and the Go release. A
// stamped buildVersion takes the module's place: a release is built from a
// checkout, where the module's version is only "(devel)".
func build() server.Build {
	b := server.Build{Version: buildVersion, Commit: "unknown", Go: runtime.Version()}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return b
	}
	if b.Version == "" {
		b.Version = info.Main.Version
	}
	b.Go = info.GoVersion
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			b.Commit = s.Value
		case "vcs.time":
			b.Time = s.Value
		case "vcs.modified":
			b.Dirty = s.Value == "true"
		}
	}
	return b
}

// version describes the build for coffer version.
func version() string {
	b := build()
	if b.Version == "" {
		return "coffer (no build information)"
	}
	when, dirty := "", ""
	if b.Time != "" {
		when = " " + b.Time
	}
	if b.Dirty {
		dirty = " (with uncommitted changes)"
	}
	return fmt.Sprintf("coffer %s, commit %s%s%s, %s", b.Version, b.Commit, when, dirty, b.Go)
}
