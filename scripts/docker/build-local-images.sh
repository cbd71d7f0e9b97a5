#!/usr/bin/env bash
# Local stand-ins for the public images of docker-compose.yml, built without pulling anything:
#   scripts/docker/build-local-images.sh [build] [--force]   build what is missing or out of date
#   scripts/docker/build-local-images.sh env                 print the FOGSIM_*_IMAGE=... lines for compose
#
# Why: docker-compose.yml names public images (mysql, minio, toxiproxy, kafka, adminer) and builds
# fogsim's own from node:20-slim; on machines without a registry none of them can be pulled. Here:
#   fogsim-local/base      a Debian bookworm root made by debootstrap from Debian's packages, with
#                          MariaDB, PHP and a JRE 17 (one base, so the stand-ins share its layer)
#   fogsim-local/mysql     MariaDB with the mysql image's first-start variables (local/mysql-entrypoint.sh)
#   fogsim-local/minio     the MinIO server scripts/real/minio.sh builds, and mc for `mc ready local`
#   fogsim-local/toxiproxy /toxiproxy and /toxiproxy-cli, built by scripts/real/toxiproxy.sh
#   fogsim-local/kafka     the broker scripts/real/kafka.sh fetches, configured from KAFKA_* as apache/kafka is
#   fogsim-local/adminer   Debian's adminer.php on PHP's built-in server
#   fogsim-controller:local, fogsim-node:local   scripts/docker/build-local-node-image.sh
# Each image carries a hash of its inputs as a label and is rebuilt only when they change; the base
# root is also kept as a tarball in the cache, so a new engine only imports it. Nothing is committed.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
LOCAL="$ROOT/scripts/docker/local"
CACHE="${FOGSIM_CACHE:-$HOME/.cache/fogsim}/local-images"
SUITE=bookworm
MIRROR="${FOGSIM_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
BASE_PACKAGES=(mariadb-server mariadb-client php-cli php-mysql openjdk-17-jre-headless ca-certificates procps)
STANDINS=(mysql minio toxiproxy kafka adminer)

die() { echo "build-local-images.sh: $*" >&2; exit 1; }
log() { echo "build-local-images.sh: $*" >&2; }

# image tag of a stand-in, and the compose variable that names it
tag_of() { echo "fogsim-local/$1:latest"; }
var_of() { echo "FOGSIM_$(echo "$1" | tr '[:lower:]' '[:upper:]')_IMAGE"; }

print_env() {
  for s in "${STANDINS[@]}"; do echo "$(var_of "$s")=$(tag_of "$s")"; done
  echo "FOGSIM_CONTROLLER_IMAGE=fogsim-controller:local"
  echo "FOGSIM_NODE_IMAGE=fogsim-node:local"
}

label_of() { docker image inspect --format '{{index .Config.Labels "fogsim.build"}}' "$1" 2>/dev/null || true; }

base_image() {
  local hash tag tarball
  hash=$(printf '%s\n' "$SUITE" "${BASE_PACKAGES[@]}" adminer | sha1sum | cut -c1-16)
  tag="fogsim-local/base:$SUITE-$hash"
  if [[ $FORCE -eq 0 && "$(label_of "$tag")" == "$hash" ]]; then echo "$tag"; return; fi
  tarball="$CACHE/base-$SUITE-$hash.tar"
  if [[ $FORCE -eq 1 || ! -s $tarball ]]; then
    [[ $(id -u) -eq 0 ]] || die "debootstrap needs root to make the base image (run as root)"
    command -v debootstrap >/dev/null || {
      log "installing Debian's debootstrap"
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null || die "apt-get install debootstrap failed"
    }
    local dir t0=$SECONDS
    dir=$(mktemp -d "${TMPDIR:-/tmp}/fogsim-base.XXXXXX")
    log "debootstrap $SUITE with ${BASE_PACKAGES[*]} (about a minute)"
    debootstrap --variant=minbase --include="$(IFS=,; echo "${BASE_PACKAGES[*]}")" "$SUITE" "$dir" "$MIRROR" >"$dir.log" 2>&1 \
      || { tail -20 "$dir.log" >&2; rm -rf "$dir"; die "debootstrap failed (is $MIRROR reachable?)"; }
    # adminer's package wants a web server; only its one PHP file is needed, which PHP's own server runs
    chroot "$dir" sh -c 'cd /tmp && apt-get download -q adminer >/dev/null && dpkg-deb -x adminer_*.deb / && rm adminer_*.deb' \
      || { rm -rf "$dir"; die "could not fetch Debian's adminer package"; }
    rm -rf "$dir"/var/lib/apt/lists/* "$dir"/var/cache/apt/* "$dir"/usr/share/doc/* "$dir"/usr/share/man/* "$dir"/usr/share/locale/*
    mkdir -p "$CACHE"
    tar -C "$dir" --numeric-owner -cf "$tarball.tmp" . && mv "$tarball.tmp" "$tarball"
    rm -rf "$dir" "$dir.log"
    log "base root made in $((SECONDS - t0)) s ($(du -m "$tarball" | cut -f1) MB, $tarball)"
  fi
  docker import --change "LABEL fogsim.build=$hash fogsim.made-by=scripts/docker/build-local-images.sh" \
    --change 'ENV LANG=C.UTF-8' "$tarball" "$tag" >/dev/null
  echo "$tag"
}

# copies a `name=path` line's file (from scripts/real/<script>.sh paths) into the build context
stage_from() {
  local script=$1 name=$2 dest=$3 line
  line=$(bash "$ROOT/scripts/real/$script.sh" paths | grep "^$name=") || die "scripts/real/$script.sh paths gave no $name"
  cp -a "${line#*=}" "$dest"
}

standin() {
  local s=$1 base=$2 ctx hash tag
  tag=$(tag_of "$s")
  ctx=$(mktemp -d "${TMPDIR:-/tmp}/fogsim-standin.XXXXXX")
  cp "$LOCAL"/* "$ctx/"
  case $s in
    minio) stage_from minio minio "$ctx/minio"; stage_from s3-clients mc "$ctx/mc" ;;
    toxiproxy) stage_from toxiproxy server "$ctx/toxiproxy"; stage_from toxiproxy cli "$ctx/toxiproxy-cli" ;;
    kafka) stage_from kafka libs "$ctx/libs" ;;
  esac
  hash=$( { echo "$base"; cd "$ctx" && find . -type f -print0 | sort -z | xargs -0 sha1sum; } | sha1sum | cut -c1-16)
  if [[ $FORCE -eq 0 && "$(label_of "$tag")" == "$hash" ]]; then
    log "$tag up to date"
  else
    local t0=$SECONDS
    DOCKER_BUILDKIT=0 docker build -q -f "$ctx/$s.Dockerfile" --build-arg "BASE=$base" \
      --label "fogsim.build=$hash" --label "fogsim.made-by=scripts/docker/build-local-images.sh" -t "$tag" "$ctx" \
      >/dev/null 2>"$ctx.err" \
      || { cat "$ctx.err" >&2; rm -rf "$ctx" "$ctx.err"; die "docker build of $tag failed"; }
    # (the legacy builder's deprecation notice is all it prints on success: BuildKit needs buildx, not installed here)
    rm -f "$ctx.err"
    log "built $tag in $((SECONDS - t0)) s"
  fi
  rm -rf "$ctx"
}

build() {
  command -v docker >/dev/null || die "the docker CLI is missing (scripts/docker/engine.sh install)"
  timeout 10 docker version --format '{{.Server.Version}}' >/dev/null 2>&1 \
    || die "no Docker engine answers at ${DOCKER_HOST:-unix:///var/run/docker.sock}; start one (scripts/docker/engine.sh start) and export DOCKER_HOST (eval \"\$(scripts/docker/engine.sh env)\")"
  local base t0=$SECONDS
  base=$(base_image)
  for s in "${STANDINS[@]}"; do standin "$s" "$base"; done
  local force=(); [[ $FORCE -eq 1 ]] && force=(--force)
  bash "$ROOT/scripts/docker/build-local-node-image.sh" "${force[@]}" >&2
  bash "$ROOT/scripts/docker/build-local-node-image.sh" --role controller "${force[@]}" >&2
  docker image prune -f --filter "label=fogsim.made-by=scripts/docker/build-local-images.sh" >/dev/null || true
  log "every image ready in $((SECONDS - t0)) s"
}

FORCE=0
CMD=build
for a in "$@"; do
  case $a in
    build | env) CMD=$a ;;
    --force) FORCE=1 ;;
    *) die "usage: $0 [build|env] [--force]" ;;
  esac
done
case $CMD in
  build) build ;;
  env) print_env ;;
esac
