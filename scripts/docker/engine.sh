#!/usr/bin/env bash
# A Docker engine for fogsim's Docker tests: scripts/docker/engine.sh install|start|stop|env|version
#
# Installs Debian's docker.io and docker-compose when missing, then runs its own dockerd (not the
# system service: a CI machine or container often has no systemd) with every piece of state under
# one folder, so it never touches /var/lib/docker or /var/run/docker.sock of the machine:
#   ${FOGSIM_DOCKER_DIR:-/tmp/fogsim-docker}/{data,exec,docker.sock,pid,dockerd.log}
# `env` prints the DOCKER_HOST line the tests and dockerode read. `start` is idempotent and waits
# (bounded) until the engine answers. Needs root (dockerd does).
set -euo pipefail

STATE="${FOGSIM_DOCKER_DIR:-/tmp/fogsim-docker}"
SOCK="$STATE/docker.sock"
export DOCKER_HOST="unix://$SOCK"
START_TIMEOUT_S="${FOGSIM_DOCKER_START_TIMEOUT:-60}"

die() { echo "engine.sh: $*" >&2; exit 1; }

healthy() { [[ -S "$SOCK" ]] && timeout 5 docker version --format '{{.Server.Version}}' >/dev/null 2>&1; }

running_pid() {
  [[ -f "$STATE/pid" ]] || return 1
  local pid
  pid=$(cat "$STATE/pid")
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null || return 1
  echo "$pid"
}

install() {
  local missing=()
  command -v dockerd >/dev/null || missing+=(docker.io)
  command -v docker-compose >/dev/null || missing+=(docker-compose)
  [[ ${#missing[@]} -eq 0 ]] && return 0
  [[ $(id -u) -eq 0 ]] || die "${missing[*]} missing; install as root: apt-get install -y ${missing[*]}"
  echo "engine.sh: installing Debian's ${missing[*]}" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null \
    || die "apt-get install ${missing[*]} failed"
  command -v dockerd >/dev/null || die "docker.io installed but dockerd is not on PATH"
}

start() {
  if running_pid >/dev/null && healthy; then return 0; fi
  install
  [[ $(id -u) -eq 0 ]] || die "dockerd needs root; run as root (or point DOCKER_HOST at an existing engine and skip this script)"
  if running_pid >/dev/null; then stop; fi
  mkdir -p "$STATE/data" "$STATE/exec"
  rm -f "$SOCK" "$STATE/pid"
  # setsid: the engine outlives this script and is not hit by the caller's Ctrl-C.
  # --exec-root holds containerd's state too, so two engines on one machine never share it.
  setsid dockerd \
    --data-root "$STATE/data" \
    --exec-root "$STATE/exec" \
    -H "unix://$SOCK" \
    --pidfile "$STATE/pid" \
    >"$STATE/dockerd.log" 2>&1 </dev/null &
  local launched=$!
  local deadline=$((SECONDS + START_TIMEOUT_S))
  while ((SECONDS < deadline)); do
    if healthy; then return 0; fi
    if ! kill -0 "$launched" 2>/dev/null; then
      tail -n 20 "$STATE/dockerd.log" >&2 || true
      die "dockerd exited during start (log: $STATE/dockerd.log)"
    fi
    sleep 0.3
  done
  tail -n 20 "$STATE/dockerd.log" >&2 || true
  stop || true
  die "dockerd did not answer on $SOCK within ${START_TIMEOUT_S} s (log: $STATE/dockerd.log)"
}

stop() {
  local pid
  if pid=$(running_pid); then
    # containers of fogsim tests are the tests' to remove; leftovers die with the engine
    kill "$pid"
    for _ in $(seq 1 100); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.2
    done
    kill -0 "$pid" 2>/dev/null && kill -9 "$pid" || true
  fi
  rm -f "$STATE/pid" "$SOCK"
  # dockerd leaves its network namespace mounted; unmount it so the folder can be removed
  if [[ -d "$STATE/exec" ]]; then
    { grep -o " $STATE/exec/[^ ]*" /proc/mounts 2>/dev/null || true; } | sort -r | while read -r m; do umount "$m" 2>/dev/null || true; done
  fi
}

case "${1:-}" in
  install) install ;;
  start) start ;;
  stop) stop ;;
  env) echo "export DOCKER_HOST=unix://$SOCK" ;;
  version)
    healthy || die "the engine is not running on $SOCK; run: $0 start"
    echo "Docker Engine $(docker version --format '{{.Server.Version}}')"
    ;;
  *) die "usage: $0 install|start|stop|env|version" ;;
esac
