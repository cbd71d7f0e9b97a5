#!/usr/bin/env bash
# Bring up every real server of fogsim's real tier, in order: MariaDB, Toxiproxy, MinIO, Kafka,
# then the S3 clients of the S3 conformance suite (s3-clients.sh: boto3, aws-cli, mc) and the
# Toxiproxy clients of the proxy conformance suite (toxiproxy-clients.sh: Go client checks, toxiproxy-cli).
# Each via scripts/real/<svc>.sh install + start (cached, idempotent, health-checked), then print
# its version, and collect every `env` line into $FOGSIM_REAL_DIR/env.sh to be sourced.
#
#   scripts/real/up.sh [svc ...]      (default: all six)
#
# Teardown is the caller's job, also when a test fails; use a trap:
#   trap 'bash scripts/real/down.sh' EXIT
#   bash scripts/real/up.sh
#   . "${FOGSIM_REAL_DIR:-/tmp/fogsim-real}/env.sh"
#   npm run test:real
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REAL_DIR="${FOGSIM_REAL_DIR:-/tmp/fogsim-real}"
SERVICES=("$@")
[ ${#SERVICES[@]} -gt 0 ] || SERVICES=(mariadb toxiproxy minio kafka s3-clients toxiproxy-clients)

mkdir -p "$REAL_DIR"
ENV_FILE="$REAL_DIR/env.sh"
TMP_ENV="$(mktemp "$REAL_DIR/env.sh.XXXXXX")"
trap 'rm -f "$TMP_ENV"' EXIT
echo "# written by scripts/real/up.sh on $(date -u +%FT%TZ); source it: . $ENV_FILE" >"$TMP_ENV"

for svc in "${SERVICES[@]}"; do
  script="$HERE/$svc.sh"
  [ -f "$script" ] || { echo "up.sh: no script for '$svc' ($script missing)" >&2; exit 1; }
  echo "== $svc"
  t0=$SECONDS
  bash "$script" install || { echo "up.sh: $svc install failed" >&2; exit 1; }
  bash "$script" start || { echo "up.sh: $svc did not start (see above)" >&2; exit 1; }
  echo "$svc version: $(bash "$script" version)"
  echo "$svc ready in $((SECONDS - t0)) s"
  bash "$script" env >>"$TMP_ENV"
done

mv "$TMP_ENV" "$ENV_FILE"
echo "== real servers up; environment in $ENV_FILE:"
sed 's/\(SECRET[A-Z_]*=\).*/\1***/; s#\(://[^:]*:\)[^@]*@#\1***@#' "$ENV_FILE" | grep '^export'
