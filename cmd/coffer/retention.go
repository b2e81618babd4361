package main

import (
	"path/filepath"
	"strings"
)

// archiveDir is where retention writes its archive files: the directory
// given, else "archives" next to the SQLite file, else (PostgreSQL)
// "archives" in the working directory. Several instances sharing one
// PostgreSQL should be given one shared directory, so that each can serve
// the archives the others wrote.
func archiveDir(given, dsn string) (string, error) {
	dir := given
	if dir == "" {
		dir = "archives"
		if !strings.HasPrefix(dsn, "postgres://") && !strings.HasPrefix(dsn, "postgresql://") {
			dir = filepath.Join(filepath.Dir(dsn), "archives")
		}
	}
	// Absolute, so that the files stay where the log says they are.
	return filepath.Abs(dir)
}
