package main

import (
	"fmt"
	"runtime/debug"
)

// buildVersion is the release's version when the build stamps one, as
// deploy/release.sh does: go build -ldflags "-X main.buildVersion=v1.2.3".
// A plain go build or go run leaves it empty.
var buildVersion string

// version describes this build from what the Go toolchain recorded in it:
// the module's version (a tag, or "(devel)" from a checkout), the commit it
// was built from and whether the tree had changes, and the Go release. A
// stamped buildVersion takes the module's place: a release is built from a
// checkout, where the module's version is only "(devel)".
func version() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		if buildVersion != "" {
			return "coffer " + buildVersion
		}
		return "coffer (no build information)"
	}
	v := info.Main.Version
	if buildVersion != "" {
		v = buildVersion
	}
	commit, when, dirty := "unknown", "", ""
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			commit = s.Value
		case "vcs.time":
			when = " " + s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = " (with uncommitted changes)"
			}
		}
	}
	return fmt.Sprintf("coffer %s, commit %s%s%s, %s", v, commit, when, dirty, info.GoVersion)
}
