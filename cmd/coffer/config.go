package main

import (
	"bufio"
	"flag"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"strconv"
	"strings"

	"github.com/cofferhq/coffer/internal/server"
)

// serveConfig is what `coffer serve` runs with. Each setting comes from, in
// order of precedence: its flag, its environment variable, the config file
// (--config or COFFER_CONFIG, lines of `name = value` with the flags'
// names), and its default. docs/configuration.md lists them.
type serveConfig struct {
	addr, dsn, archives string
	pprof               string
	hooksPrivate        bool
	level               slog.Level
	maxConns            int
	proxies             server.Proxies
	baseURL             *url.URL
}

// envOf names each setting's environment variable, by flag name.
var envOf = map[string]string{
	"addr": "COFFER_ADDR", "db": "COFFER_DB", "archive-dir": "COFFER_ARCHIVE_DIR",
	"allow-private-webhooks": "COFFER_ALLOW_PRIVATE_WEBHOOKS", "log-level": "COFFER_LOG_LEVEL",
	"db-max-conns": "COFFER_DB_MAX_CONNS", "trusted-proxies": "COFFER_TRUSTED_PROXIES", "base-url": "COFFER_BASE_URL",
	"pprof": "COFFER_PPROF",
}

// serveFlags declares serve's flags on fs, filling c; their defaults are the
// built-in ones, and settings applies the environment and the file.
func serveFlags(fs *flag.FlagSet, c *serveConfig) (config *string) {
	c.level = slog.LevelInfo
	fs.StringVar(&c.addr, "addr", "127.0.0.1:8080", "address to listen on (env COFFER_ADDR)")
	fs.StringVar(&c.dsn, "db", "coffer.db", "SQLite file, or postgres://… URL (env COFFER_DB)")
	fs.StringVar(&c.archives, "archive-dir", "", "directory for retention's archive files (env COFFER_ARCHIVE_DIR; default: archives next to the SQLite file, or in the working directory)")
	fs.BoolVar(&c.hooksPrivate, "allow-private-webhooks", false,
		"let webhooks reach loopback, link-local and private addresses (env COFFER_ALLOW_PRIVATE_WEBHOOKS=1); off, they are refused")
	fs.TextVar(&c.level, "log-level", slog.LevelInfo, "least severe log lines written: debug, info, warn or error (env COFFER_LOG_LEVEL)")
	fs.Func("db-max-conns", "most PostgreSQL connections this instance opens, 1 to 1000 (env COFFER_DB_MAX_CONNS; default 16)", func(v string) error {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			return fmt.Errorf("want a whole number from 1 to 1000, not %q", v)
		}
		c.maxConns = n
		return nil
	})
	fs.Func("trusted-proxies", "comma-separated addresses or CIDR ranges of reverse proxies whose X-Forwarded-For and X-Forwarded-Proto are believed (env COFFER_TRUSTED_PROXIES; default none)", func(v string) (err error) {
		c.proxies, err = server.ParseProxies(v)
		return err
	})
	fs.Func("base-url", "the address people and programs reach Coffer at, e.g. https://coffer.example.com: links in mails; https makes cookies Secure (env COFFER_BASE_URL)", func(v string) (err error) {
		c.baseURL, err = parseBaseURL(v)
		return err
	})
	fs.StringVar(&c.pprof, "pprof", "", "loopback address to serve Go's profiles on (/debug/pprof/), for measuring; off when empty (env COFFER_PPROF)")
	return fs.String("config", "", "file of settings, one `name = value` a line with the flags' names (env COFFER_CONFIG); flags and environment win over it")
}

// parseBaseURL accepts an absolute http(s) URL without query or fragment.
func parseBaseURL(v string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(v))
	switch {
	case err != nil:
		return nil, err
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, fmt.Errorf("%q: want an http:// or https:// URL", v)
	case u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "":
		return nil, fmt.Errorf("%q: want scheme, host and at most a path, e.g. https://coffer.example.com", v)
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	return u, nil
}

// settings gives each flag not set on the command line its environment
// variable's value, or else the config file's.
func settings(fs *flag.FlagSet, configFile string) error {
	explicit := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { explicit[f.Name] = true })
	if !explicit["config"] {
		configFile = os.Getenv("COFFER_CONFIG")
	}
	file, err := readConfig(configFile)
	if err != nil {
		return err
	}
	for name, line := range file {
		if _, ok := envOf[name]; !ok {
			return fmt.Errorf("%s:%d: no setting %q (the settings are the flags of coffer serve -h)", configFile, line.n, name)
		}
	}
	for name, env := range envOf {
		if explicit[name] {
			continue
		}
		if v := os.Getenv(env); v != "" {
			if err := fs.Set(name, v); err != nil {
				return fmt.Errorf("%s: %w", env, err)
			}
		} else if l, ok := file[name]; ok {
			if err := fs.Set(name, l.value); err != nil {
				return fmt.Errorf("%s:%d: %s: %w", configFile, l.n, name, err)
			}
		}
	}
	return nil
}

type configLine struct {
	n     int
	value string
}

// readConfig reads `name = value` lines; blank lines and lines starting
// with # are skipped. No file (path "") is no settings.
func readConfig(path string) (map[string]configLine, error) {
	out := map[string]configLine{}
	if path == "" {
		return out, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, value, ok := strings.Cut(line, "=")
		name, value = strings.TrimSpace(name), strings.Trim(strings.TrimSpace(value), `"`)
		if !ok || name == "" {
			return nil, fmt.Errorf("%s:%d: want name = value, not %q", path, n, line)
		}
		if prev, dup := out[name]; dup {
			return nil, fmt.Errorf("%s:%d: %s is set on line %d already", path, n, name, prev.n)
		}
		out[name] = configLine{n: n, value: value}
	}
	return out, sc.Err()
}
