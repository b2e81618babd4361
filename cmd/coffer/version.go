package main

import (
	"fmt"
	"runtime/debug"
)

// version describes this build from what the Go toolchain recorded in it:
// the module's version (a tag, or "(devel)" from a checkout), the commit it
// was built from and whether the tree had changes, and the Go release.
func version() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "coffer (no build information)"
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
	return fmt.Sprintf("coffer %s, commit %s%s%s, %s", info.Main.Version, commit, when, dirty, info.GoVersion)
}
