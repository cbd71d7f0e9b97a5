#!/usr/bin/env bash
# Builds the fog-node image `fogsim-node:local` WITHOUT pulling anything:
#   scripts/docker/build-local-node-image.sh [--force] [--tag NAME:TAG] [--role node|controller]
# --role controller builds `fogsim-controller:local` instead, as the root Dockerfile does: the CLI
# (bin/fogsim.js) as entry point, the admin UI's files, and /data for its state.
#
# Why: the production images (Dockerfile, nodes/Dockerfile) start FROM node:20-slim, and on the
# test machines no registry is reachable, so `docker build` cannot get a base. This script makes a
# minimal root filesystem from what is already on the machine instead and imports it as an image:
#   /usr/local/bin/node        the host's node binary, plus every shared library `ldd` lists for it
#                              and for the native addons (better-sqlite3, compiled on this machine,
#                              so it matches that node)
#   /app/dist                  the compiled sources (run `npm run build` first)
#   /app/node_modules          the production dependencies only (`npm ls --omit=dev`)
#   /app/package.json, /app/scenarios
# then `docker import` with the entry point of nodes/Dockerfile, WORKDIR /app and a non-root USER.
# Only for tests and local use: the production Dockerfiles stay on standard bases.
#
# The image carries a label with a hash of its inputs; an image with the same hash is reused
# (prints "up to date"), so tests can call this script every time. Prints the seconds it took.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
TAG=""
ROLE=node
FORCE=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --force) FORCE=1 ;;
    --tag) TAG="${2:?--tag needs NAME:TAG}"; shift ;;
    --role) ROLE="${2:?--role needs node or controller}"; shift ;;
    *) echo "usage: $0 [--force] [--tag NAME:TAG] [--role node|controller]" >&2; exit 2 ;;
  esac
  shift
done

die() { echo "build-local-node-image.sh: $*" >&2; exit 1; }

case "$ROLE" in
  node) ENTRY='["/usr/local/bin/node", "/app/dist/nodes/main.js"]'; CMD='[]'; EXTRA=() ;;
  controller) ENTRY='["/usr/local/bin/node", "/app/bin/fogsim.js"]'; CMD='["up", "--host", "0.0.0.0"]'; EXTRA=(bin controller/ui) ;;
  *) die "--role must be node or controller, not '$ROLE'" ;;
esac
TAG="${TAG:-fogsim-$ROLE:local}"

command -v docker >/dev/null || die "the docker CLI is missing (apt-get install docker.io, or scripts/docker/engine.sh start)"
timeout 10 docker version --format '{{.Server.Version}}' >/dev/null 2>&1 \
  || die "no Docker engine answers at ${DOCKER_HOST:-unix:///var/run/docker.sock}; start one (scripts/docker/engine.sh start) and export DOCKER_HOST (eval \"\$(scripts/docker/engine.sh env)\")"
[[ -f "$ROOT/dist/nodes/main.js" ]] || die "$ROOT/dist/nodes/main.js is missing: run \`npm run build\` first"
NODE_BIN="$(readlink -f "$(command -v node)")" || die "node is not on PATH"

t0=$(date +%s.%N)
cd "$ROOT"

# what goes in: production packages, as paths relative to the repo
mapfile -t PACKAGES < <(npm ls --omit=dev --all --parseable 2>/dev/null | tail -n +2 | sed "s#^$ROOT/##" | sort -u)
[[ ${#PACKAGES[@]} -gt 0 ]] || die "npm ls found no production packages in $ROOT/node_modules (run npm ci)"
NATIVE=()
for p in "${PACKAGES[@]}"; do
  while IFS= read -r f; do NATIVE+=("$f"); done < <(find "$p" -path '*/build/Release/*.node' -not -path '*/obj.target/*' 2>/dev/null)
done

# reuse the image when nothing it is made of changed
HASH=$(
  {
    echo "$ROLE $NODE_BIN $("$NODE_BIN" --version)"
    sha1sum package.json package-lock.json
    find dist scenarios "${EXTRA[@]}" -type f -print0 | sort -z | xargs -0 sha1sum
    [[ ${#NATIVE[@]} -eq 0 ]] || sha1sum "${NATIVE[@]}"
  } | sha1sum | cut -c1-16
)
if [[ $FORCE -eq 0 ]] && [[ "$(docker image inspect --format '{{index .Config.Labels "fogsim.build"}}' "$TAG" 2>/dev/null || true)" == "$HASH" ]]; then
  echo "build-local-node-image.sh: $TAG up to date (inputs $HASH)"
  exit 0
fi

STAGE="$(mktemp -d "${TMPDIR:-/tmp}/fogsim-rootfs.XXXXXX")"
trap 'rm -rf "$STAGE"' EXIT
RFS="$STAGE/rootfs"
mkdir -p "$RFS/usr/local/bin" "$RFS/app" "$RFS/tmp" "$RFS/etc" "$RFS/home/node"
chmod 1777 "$RFS/tmp"
chown 1000:1000 "$RFS/home/node"

# the node binary and the shared libraries it and the native addons load, at the paths ldd gives
cp "$NODE_BIN" "$RFS/usr/local/bin/node"
for bin in "$NODE_BIN" "${NATIVE[@]}"; do
  # (a library with no dependencies makes ldd and grep find nothing: not an error)
  { ldd "$bin" 2>/dev/null || true; } | { grep -o '/[^ ]*' || true; } | while read -r lib; do
    [[ -e "$RFS$lib" ]] && continue
    mkdir -p "$RFS$(dirname "$lib")"
    cp -L "$lib" "$RFS$lib"
  done
done
# a user table, so the non-root user has a name and a home (node and pino read neither otherwise)
printf 'root:x:0:0:root:/root:/sbin/nologin\nnode:x:1000:1000:fogsim node:/home/node:/sbin/nologin\n' >"$RFS/etc/passwd"
printf 'root:x:0:\nnode:x:1000:\n' >"$RFS/etc/group"

# the app: compiled sources, scenarios, manifest, production packages (source maps are kept for stacks)
cp -a dist scenarios package.json "$RFS/app/"
for f in "${EXTRA[@]}"; do mkdir -p "$RFS/app/$(dirname "$f")"; cp -a "$f" "$RFS/app/$f"; done
# the controller's state folder (FOGSIM_DATA_DIR in docker-compose.yml), writable by its user
if [[ $ROLE == controller ]]; then mkdir -p "$RFS/data"; chown 1000:1000 "$RFS/data"; fi
tar -c "${PACKAGES[@]}" | tar -x -C "$RFS/app"
# build leftovers of native addons are not needed at run time
find "$RFS/app/node_modules" -type d -name obj.target -prune -exec rm -rf {} + 2>/dev/null || true

# owned by root, readable by all: the node user runs it but cannot change it
tar -C "$RFS" --numeric-owner -c . | docker import \
  --change "ENTRYPOINT $ENTRY" \
  --change "CMD $CMD" \
  --change 'WORKDIR /app' \
  --change 'USER 1000:1000' \
  --change 'ENV NODE_ENV=production HOME=/home/node' \
  --change "LABEL fogsim.build=$HASH fogsim.made-by=scripts/docker/build-local-node-image.sh" \
  - "$TAG" >/dev/null

# the image this one replaced is left untagged: drop it (only images this script made)
docker image prune -f --filter "label=fogsim.made-by=scripts/docker/build-local-node-image.sh" >/dev/null || true

size=$(docker image inspect --format '{{.Size}}' "$TAG")
t1=$(date +%s.%N)
printf 'build-local-node-image.sh: built %s (%d MB, %d packages, inputs %s) in %.1f s\n' \
  "$TAG" $((size / 1000000)) "${#PACKAGES[@]}" "$HASH" "$(echo "$t1 - $t0" | bc)"
