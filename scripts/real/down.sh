#!/usr/bin/env bash
# Stop every real server started by scripts/real/up.sh (reverse order). Never fails because one
# is not running or its script is missing: it is meant for `trap ... EXIT`. Data dirs are kept
# (under ${FOGSIM_REAL_DIR:-/tmp/fogsim-real}); pass --purge to delete them too.
set -uo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REAL_DIR="${FOGSIM_REAL_DIR:-/tmp/fogsim-real}"
PURGE=0
SERVICES=()
for a in "$@"; do
  case "$a" in
    --purge) PURGE=1 ;;
    *) SERVICES+=("$a") ;;
  esac
done
[ ${#SERVICES[@]} -gt 0 ] || SERVICES=(kafka minio toxiproxy mariadb)

for svc in "${SERVICES[@]}"; do
  script="$HERE/$svc.sh"
  if [ ! -f "$script" ]; then echo "down.sh: no $svc.sh, skipping"; continue; fi
  bash "$script" stop || echo "down.sh: stopping $svc reported an error (ignored)" >&2
  if [ $PURGE = 1 ]; then rm -rf "${REAL_DIR:?}/$svc"; fi
done
[ $PURGE = 1 ] && rm -f "$REAL_DIR/env.sh"
exit 0
