#!/usr/bin/env bash
# The S3 clients of the S3 conformance suite (test/real/s3-conformance.test.ts), cached:
#   boto3 and aws-cli in one Python venv (pip, PyPI), and mc (go install, Go module proxy).
#   scripts/real/s3-clients.sh install|start|stop|env|version|status
# start/stop do nothing (clients, not servers); they exist so scripts/real/up.sh can bring it up
# like a server. env prints the paths the suite reads.
set -euo pipefail

BOTO3_VERSION="${FOGSIM_BOTO3_VERSION:-1.43.11}"
AWSCLI_VERSION="${FOGSIM_AWSCLI_VERSION:-1.45.11}"
MC_MODULE=github.com/minio/mc
MC_VERSION="${FOGSIM_MC_VERSION:-v0.0.0-20250313080218-cf909e1063a9}"
CACHE="${FOGSIM_CACHE:-$HOME/.cache/fogsim}"
VENV="$CACHE/s3-clients-venv-boto3-$BOTO3_VERSION-awscli-$AWSCLI_VERSION"
MC_DIR="$CACHE/mc-$MC_VERSION"
MC="$MC_DIR/mc"

die() { echo "s3-clients.sh: $*" >&2; exit 1; }

venv_ok() { [ -x "$VENV/bin/python" ] && [ -x "$VENV/bin/aws" ] && "$VENV/bin/python" -c 'import boto3' 2>/dev/null; }

install() {
  if venv_ok; then
    echo "boto3 $BOTO3_VERSION and awscli $AWSCLI_VERSION already in $VENV"
  else
    command -v python3 >/dev/null || die "python3 not found: apt-get install python3 python3-venv"
    rm -rf "$VENV"
    python3 -m venv "$VENV" || die "python3 -m venv failed (apt-get install python3-venv?)"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check "boto3==$BOTO3_VERSION" "awscli==$AWSCLI_VERSION" \
      || die "pip install boto3==$BOTO3_VERSION awscli==$AWSCLI_VERSION failed (PyPI reachable?)"
    venv_ok || die "pip finished but boto3 or aws is missing in $VENV"
    echo "boto3 and aws-cli installed in $VENV"
  fi
  if [ -x "$MC" ]; then
    echo "mc $MC_VERSION already installed in $MC_DIR"
  else
    command -v go >/dev/null || die "go not found: install Go >= 1.24 (apt-get install golang-go)"
    mkdir -p "$MC_DIR"
    echo "s3-clients.sh: building $MC_MODULE@$MC_VERSION with go install..."
    GOBIN="$MC_DIR" go install "$MC_MODULE@$MC_VERSION" || die "go install $MC_MODULE@$MC_VERSION failed (see output above)"
    [ -x "$MC" ] || die "go install finished but $MC is missing"
    echo "mc installed: $MC"
  fi
}

version() {
  venv_ok || die "not installed: run $0 install"
  echo "boto3 $("$VENV/bin/python" -c 'import boto3; print(boto3.__version__)'), $("$VENV/bin/aws" --version 2>&1 | cut -d' ' -f1), mc $MC_VERSION"
}

case "${1:-}" in
  install) install ;;
  start | stop) ;;
  # what the local stand-in images (scripts/docker/build-local-images.sh) copy
  paths) install >&2; echo "mc=$MC" ;;
  env)
    echo "export FOGSIM_S3_CLIENTS_PYTHON=$VENV/bin/python"
    echo "export FOGSIM_S3_CLIENTS_AWS=$VENV/bin/aws"
    echo "export FOGSIM_S3_CLIENTS_MC=$MC"
    ;;
  version) version ;;
  status) if venv_ok && [ -x "$MC" ]; then echo "s3 clients installed"; else echo "s3 clients not installed"; exit 1; fi ;;
  *) echo "usage: $0 install|start|stop|env|version|status|paths" >&2; exit 2 ;;
esac
