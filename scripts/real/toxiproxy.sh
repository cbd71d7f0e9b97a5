#!/usr/bin/env bash
# Real Toxiproxy for the real test tier: scripts/real/toxiproxy.sh install|start|stop|env|version
# Built from the Go module proxy (go install), cached per version, API on 127.0.0.1:18474.
set -euo pipefail

VERSION=2.12.0
CACHE="${FOGSIM_CACHE:-$HOME/.cache/fogsim}"
BIN_DIR="$CACHE/toxiproxy-v$VERSION"
BIN="$BIN_DIR/server"
# its command-line client (the public image's /toxiproxy-cli; the local stand-in image ships it too)
CLI="$BIN_DIR/cli"
STATE="${FOGSIM_REAL_DIR:-/tmp/fogsim-real}/toxiproxy"
HOST=127.0.0.1
PORT=18474
URL="http://$HOST:$PORT"

die() { echo "toxiproxy.sh: $*" >&2; exit 1; }

healthy() { curl -fsS --max-time 2 "$URL/version" >/dev/null 2>&1; }

running_pid() {
  [[ -f "$STATE/pid" ]] || return 1
  local pid
  pid=$(cat "$STATE/pid")
  kill -0 "$pid" 2>/dev/null || return 1
  echo "$pid"
}

install() {
  if [[ -x "$BIN" && -x "$CLI" ]]; then return 0; fi
  command -v go >/dev/null || die "Go is needed to build Toxiproxy v$VERSION (apt-get install golang-go, or put go on PATH)"
  mkdir -p "$BIN_DIR"
  echo "toxiproxy.sh: building Toxiproxy v$VERSION from the Go module proxy into $BIN_DIR" >&2
  # the ldflag stamps the version (a plain go install reports "git" on /version)
  GOBIN="$BIN_DIR" go install -ldflags "-X github.com/Shopify/toxiproxy/v2.Version=$VERSION" \
    "github.com/Shopify/toxiproxy/v2/cmd/server@v$VERSION" "github.com/Shopify/toxiproxy/v2/cmd/cli@v$VERSION" \
    || die "go install of Toxiproxy v$VERSION failed (network to the Go module proxy?)"
  [[ -x "$BIN" && -x "$CLI" ]] || die "go install finished but $BIN or $CLI is missing"
}

start() {
  if running_pid >/dev/null && healthy; then return 0; fi
  if healthy; then die "port $PORT answers but not as our Toxiproxy (pid file $STATE/pid): stop whatever listens on $HOST:$PORT"; fi
  install
  mkdir -p "$STATE"
  # setsid: the server outlives this script and is not hit by the caller's Ctrl-C
  setsid "$BIN" -host "$HOST" -port "$PORT" >"$STATE/server.log" 2>&1 < /dev/null &
  echo $! >"$STATE/pid"
  for _ in $(seq 1 50); do
    if healthy; then return 0; fi
    if ! running_pid >/dev/null; then
      tail -n 20 "$STATE/server.log" >&2 || true
      die "Toxiproxy exited during start (log: $STATE/server.log)"
    fi
    sleep 0.2
  done
  stop || true
  die "Toxiproxy did not answer on $URL/version within 10 s (log: $STATE/server.log)"
}

stop() {
  local pid
  if pid=$(running_pid); then
    kill "$pid"
    for _ in $(seq 1 50); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -0 "$pid" 2>/dev/null && kill -9 "$pid" || true
  fi
  rm -f "$STATE/pid"
}

case "${1:-}" in
  install) install ;;
  start) start ;;
  stop) stop ;;
  # what the local stand-in image (scripts/docker/build-local-images.sh) copies
  paths) install >&2; echo "server=$BIN"; echo "cli=$CLI" ;;
  env) echo "export FOGSIM_TOXIPROXY_URL=$URL" ;;
  status) if pid="$(running_pid)" && healthy; then echo "toxiproxy running (pid $pid)"; else echo "toxiproxy not running"; exit 1; fi ;;
  version)
    install
    "$BIN" -version
    ;;
  *) die "usage: $0 install|start|stop|env|version|status|paths" ;;
esac
