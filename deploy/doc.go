// Package deploy holds what an operator installs beside the coffer binary:
// the systemd unit (coffer.service), its user (coffer.sysusers) and settings
// (coffer.env.example), reverse proxies in front of it (nginx.conf,
// Caddyfile), and release.sh, which builds the release archives. It has no
// Go code of its own; its tests check those files with the tools that read
// them (docs/deploy.md says how to use them).
package deploy
