#!/usr/bin/env bash
# The Toxiproxy clients of the proxy conformance suite (test/real/proxy-conformance.test.ts), cached:
#   goclient: test/real/toxiproxy-clients (the official Go client), built into $CACHE, one build
#             per hash of its source, so an edit rebuilds and an unchanged tree is reused;
#   cli:      toxiproxy-cli, built with the server by scripts/real/toxiproxy.sh.
#   scripts/real/toxiproxy-clients.sh install|start|stop|env|version|status|paths
# start/stop do nothing (clients, not servers); they exist so scripts/real/up.sh can bring it up
# like a server. env prints the paths the suite reads.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SRC="$(cd "$HERE/../../test/real/toxiproxy-clients" && pwd)"
CACHE="${FOGSIM_CACHE:-$HOME/.cache/fogsim}"
HASH="$(cd "$SRC" && cat go.mod go.sum ./*.go | sha256sum | cut -c1-16)"
GOCLIENT_DIR="$CACHE/toxiproxy-goclient-$HASH"
GOCLIENT="$GOCLIENT_DIR/toxiclient"

die() { echo "toxiproxy-clients.sh: $*" >&2; exit 1; }

cli_path() { bash "$HERE/toxiproxy.sh" paths 2>/dev/null | sed -n 's/^cli=//p'; }

install() {
  bash "$HERE/toxiproxy.sh" install || die "toxiproxy.sh install failed (it builds toxiproxy-cli)"
  if [ -x "$GOCLIENT" ]; then
    echo "toxiproxy Go client checks already built: $GOCLIENT"
    return 0
  fi
  command -v go >/dev/null || die "go not found: install Go >= 1.23 (apt-get install golang-go)"
  mkdir -p "$GOCLIENT_DIR"
  echo "toxiproxy-clients.sh: building $SRC into $GOCLIENT..."
  (cd "$SRC" && go build -o "$GOCLIENT.tmp" .) || die "go build in $SRC failed (Go module proxy reachable? see output above)"
  mv "$GOCLIENT.tmp" "$GOCLIENT"
  echo "toxiproxy Go client checks built: $GOCLIENT"
}

case "${1:-}" in
  install) install ;;
  start | stop) ;;
  paths) install >&2; echo "goclient=$GOCLIENT"; echo "cli=$(cli_path)" ;;
  env)
    echo "export FOGSIM_TOXIPROXY_GOCLIENT=$GOCLIENT"
    echo "export FOGSIM_TOXIPROXY_CLI=$(cli_path)"
    ;;
  version)
    [ -x "$GOCLIENT" ] || die "not installed: run $0 install"
    echo "Go client $(sed -n 's/^require github.com\/Shopify\/toxiproxy\/v2 //p' "$SRC/go.mod") (build $HASH), toxiproxy-cli $("$(cli_path)" --version 2>&1 | awk '{print $NF}')"
    ;;
  status) if [ -x "$GOCLIENT" ] && [ -x "$(cli_path)" ]; then echo "toxiproxy clients installed"; else echo "toxiproxy clients not installed"; exit 1; fi ;;
  *) echo "usage: $0 install|start|stop|env|version|status|paths" >&2; exit 2 ;;
esac
