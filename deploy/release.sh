#!/usr/bin/env bash
# Builds Coffer's release archives for Linux:
#   dist/coffer-VERSION-linux-amd64.tar.gz, dist/coffer-VERSION-linux-arm64.tar.gz
# and dist/SHA256SUMS. Each archive holds one folder coffer-VERSION-linux-ARCH/
# with the coffer binary, README.md, docs/deploy.md and the files of deploy/.
#
# Usage: deploy/release.sh [VERSION]
#   VERSION defaults to `git describe --tags --always --dirty`.
# Environment:
#   ARCHES  the architectures to build (default "amd64 arm64")
#   DIST    where the archives go (default dist/ at the top of the checkout)
#
# It runs from any directory. The binaries are static (CGO_ENABLED=0: the
# SQLite driver, modernc.org/sqlite, is pure Go), built with -trimpath, and
# `coffer version` prints VERSION (main.buildVersion) and the commit.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
version=${1:-$(git -C "$root" describe --tags --always --dirty)}
arches=${ARCHES:-amd64 arm64}
dist=${DIST:-$root/dist}

case $version in
  "" | *[!A-Za-z0-9._+-]*) echo "release.sh: version \"$version\" may hold only letters, digits and ._+-" >&2; exit 2 ;;
esac
mkdir -p "$dist"
dist=$(cd "$dist" && pwd)
# The archives' file times: the last commit's, for the same bytes from the
# same tree.
mtime=${SOURCE_DATE_EPOCH:-$(git -C "$root" log -1 --format=%ct 2>/dev/null || date +%s)}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

archives=()
for arch in $arches; do
  name=coffer-$version-linux-$arch
  dir=$work/$name
  mkdir -p "$dir/deploy" "$dir/docs"
  echo "release.sh: building $name" >&2
  (cd "$root" && CGO_ENABLED=0 GOOS=linux GOARCH=$arch go build -trimpath -buildvcs=auto \
    -ldflags "-s -w -X main.buildVersion=$version" -o "$dir/coffer" ./cmd/coffer)
  cp "$root/README.md" "$dir/"
  cp "$root/docs/deploy.md" "$dir/docs/"
  cp "$root/deploy/coffer.service" "$root/deploy/coffer.sysusers" "$root/deploy/coffer.env.example" \
    "$root/deploy/nginx.conf" "$root/deploy/Caddyfile" "$dir/deploy/"
  # Fixed owner, order and times: the same tree gives the same bytes.
  tar -C "$work" --sort=name --owner=0 --group=0 --numeric-owner \
    --mtime="@$mtime" \
    -cf - "$name" | gzip -9n >"$dist/$name.tar.gz"
  archives+=("$name.tar.gz")
done

(cd "$dist" && sha256sum "${archives[@]}" >SHA256SUMS)
echo "release.sh: wrote ${archives[*]} and SHA256SUMS in $dist" >&2
