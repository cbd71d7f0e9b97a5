#!/usr/bin/env bash
# MinIO for fogsim's real tier: one server, one data dir, on 127.0.0.1:19000 (console 127.0.0.1:19001).
#   scripts/real/minio.sh install|start|stop|env|version|status
# install: `go install github.com/minio/minio@<pinned pseudo-version>` into the versioned cache folder
#          (Go module proxy; the first build takes minutes, later ones reuse Go's build cache).
# start:   idempotent; waits until /minio/health/live answers (bounded).
set -euo pipefail

MINIO_MODULE=github.com/minio/minio
MINIO_VERSION="${FOGSIM_MINIO_VERSION:-v0.0.0-20260212201848-7aac2a2c5b7c}"
CACHE="${FOGSIM_CACHE:-$HOME/.cache/fogsim}"
BIN_DIR="$CACHE/minio-$MINIO_VERSION"
BIN="$BIN_DIR/minio"
STATE="${FOGSIM_REAL_DIR:-/tmp/fogsim-real}/minio"
DATA="$STATE/data"
PIDFILE="$STATE/minio.pid"
LOG="$STATE/minio.log"
PORT=19000
CONSOLE_PORT=19001
ROOT_USER=fogsim
ROOT_PASSWORD=fogsim-secret
START_TIMEOUT="${FOGSIM_MINIO_START_TIMEOUT:-60}"

die() { echo "minio.sh: $*" >&2; exit 1; }

installed() { [ -x "$BIN" ]; }

install() {
  if installed; then echo "minio $MINIO_VERSION already installed in $BIN_DIR"; return 0; fi
  command -v go >/dev/null || die "go not found: install Go >= 1.24 (apt-get install golang-go, or https://go.dev/dl)"
  mkdir -p "$BIN_DIR"
  echo "minio.sh: building $MINIO_MODULE@$MINIO_VERSION with go install (several minutes the first time)..."
  # Default build settings on purpose: they match earlier builds, so Go's build cache makes a re-install quick.
  GOBIN="$BIN_DIR" go install "$MINIO_MODULE@$MINIO_VERSION" \
    || die "go install $MINIO_MODULE@$MINIO_VERSION failed (network? Go module proxy? see output above)"
  installed || die "go install finished but $BIN is missing"
  echo "minio installed: $BIN"
}

running_pid() {
  [ -f "$PIDFILE" ] || return 1
  local pid; pid="$(cat "$PIDFILE" 2>/dev/null)" || return 1
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q 'minio server' || return 1
  echo "$pid"
}

healthy() {
  node -e '
    const req = require("http").get({ host: "127.0.0.1", port: +process.argv[1], path: "/minio/health/live", timeout: 2000 },
      (res) => process.exit(res.statusCode === 200 ? 0 : 1));
    req.on("error", () => process.exit(1));
    req.on("timeout", () => process.exit(1));
  ' "$PORT" 2>/dev/null
}

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

start() {
  installed || install
  if pid="$(running_pid)"; then
    if healthy; then echo "minio already running (pid $pid) on 127.0.0.1:$PORT"; return 0; fi
  else
    port_busy "$PORT" && die "port $PORT is taken by another process; stop it first"
    port_busy "$CONSOLE_PORT" && die "console port $CONSOLE_PORT is taken by another process; stop it first"
    mkdir -p "$DATA"
    MINIO_ROOT_USER="$ROOT_USER" MINIO_ROOT_PASSWORD="$ROOT_PASSWORD" \
      MINIO_BROWSER=on MINIO_UPDATE=off MINIO_CI_CD=1 \
      setsid nohup "$BIN" server "$DATA" --address "127.0.0.1:$PORT" --console-address "127.0.0.1:$CONSOLE_PORT" --quiet \
      >"$LOG" 2>&1 </dev/null &
    echo $! >"$PIDFILE"
  fi
  local deadline=$((SECONDS + START_TIMEOUT))
  while [ $SECONDS -lt $deadline ]; do
    if healthy; then echo "minio up on 127.0.0.1:$PORT (pid $(cat "$PIDFILE"), data $DATA)"; return 0; fi
    running_pid >/dev/null || { tail -n 30 "$LOG" >&2 2>/dev/null || true; die "minio exited during start (log: $LOG)"; }
    sleep 0.5
  done
  tail -n 30 "$LOG" >&2 2>/dev/null || true
  die "minio not healthy after ${START_TIMEOUT}s (log: $LOG)"
}

stop() {
  local pid
  if ! pid="$(running_pid)"; then echo "minio not running"; rm -f "$PIDFILE"; return 0; fi
  kill -TERM "$pid"
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
  if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid"; echo "minio killed (pid $pid) after 10 s"; fi
  while kill -0 "$pid" 2>/dev/null; do sleep 0.2; done
  rm -f "$PIDFILE"
  echo "minio stopped"
}

version() {
  installed || die "not installed: run $0 install"
  echo "$("$BIN" --version 2>/dev/null | head -n 1) ($MINIO_MODULE@$MINIO_VERSION)"
}

case "${1:-}" in
  install) install ;;
  start) start ;;
  stop) stop ;;
  # what the local stand-in image (scripts/docker/build-local-images.sh) copies
  paths) install >&2; echo "minio=$BIN" ;;
  env)
    echo "export FOGSIM_S3_ENDPOINT=http://127.0.0.1:$PORT"
    echo "export FOGSIM_S3_ACCESS_KEY=$ROOT_USER"
    echo "export FOGSIM_S3_SECRET_KEY=$ROOT_PASSWORD"
    ;;
  version) version ;;
  status) if pid="$(running_pid)" && healthy; then echo "minio running (pid $pid)"; else echo "minio not running"; exit 1; fi ;;
  *) echo "usage: $0 install|start|stop|env|version|status|paths" >&2; exit 2 ;;
esac
