#!/usr/bin/env bash
# Docker Compose v2+ as a docker CLI plugin, built from its Go module:
#   scripts/docker/compose.sh install|version|path
#
# Why: Debian's docker-compose package is 1.29, which has no `up --wait` and no `--profile`-aware
# `config`; the current Compose is a Go module (see ../shared/DESIGN.md section 15) that builds
# with this machine's Go. `go install module@version` refuses it (its go.mod has exclude
# directives), so the module's source is fetched through the Go module proxy (`go mod download`)
# and built as the main module, with its own go.mod and go.sum.
#
# The binary is cached per version under ${FOGSIM_CACHE:-~/.cache/fogsim}/compose-<version>/ and
# linked as ~/.docker/cli-plugins/docker-compose (where `docker compose` looks). install is
# idempotent: a cached binary is only linked again.
set -euo pipefail

VERSION="${FOGSIM_COMPOSE_VERSION:-v5.6.0}"
MODULE=github.com/docker/compose/v5
CACHE="${FOGSIM_CACHE:-$HOME/.cache/fogsim}"
BIN_DIR="$CACHE/compose-$VERSION"
BIN="$BIN_DIR/docker-compose"
PLUGIN_DIR="${DOCKER_CONFIG:-$HOME/.docker}/cli-plugins"

die() { echo "compose.sh: $*" >&2; exit 1; }

install() {
  if [[ ! -x "$BIN" ]]; then
    command -v go >/dev/null || die "Go is needed to build Docker Compose $VERSION (apt-get install golang-go, or put go on PATH)"
    local t0=$SECONDS src work
    echo "compose.sh: building $MODULE@$VERSION (a few minutes the first time; Go's build cache makes later builds quick)" >&2
    src=$(go mod download -json "$MODULE@$VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p') \
      || die "go mod download $MODULE@$VERSION failed (network to the Go module proxy?)"
    [[ -n "$src" && -f "$src/go.mod" ]] || die "go mod download gave no source folder for $MODULE@$VERSION"
    mkdir -p "$BIN_DIR"
    work=$(mktemp -d "${TMPDIR:-/tmp}/fogsim-compose.XXXXXX")
    # the module cache is read-only; the build runs in a writable copy
    cp -r "$src/." "$work/"
    chmod -R u+w "$work"
    (cd "$work" && CGO_ENABLED=0 go build -trimpath \
        -ldflags "-s -w -X $MODULE/internal.Version=$VERSION" -o "$BIN.tmp" ./cmd) \
      || { rm -rf "$work" "$BIN.tmp"; die "go build of $MODULE@$VERSION failed (see above)"; }
    rm -rf "$work"
    mv "$BIN.tmp" "$BIN"
    echo "compose.sh: built $BIN in $((SECONDS - t0)) s" >&2
  fi
  mkdir -p "$PLUGIN_DIR"
  ln -sfn "$BIN" "$PLUGIN_DIR/docker-compose"
  docker compose version >/dev/null 2>&1 \
    || die "docker compose does not run the plugin at $PLUGIN_DIR/docker-compose (is the docker CLI installed? scripts/docker/engine.sh install)"
}

case "${1:-}" in
  install) install ;;
  version) [[ -x "$BIN" ]] || die "not built: run $0 install"; "$BIN" version ;;
  path) echo "$BIN" ;;
  *) die "usage: $0 install|version|path" ;;
esac
