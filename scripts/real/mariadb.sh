#!/usr/bin/env bash
# MariaDB for fogsim's real tier: a private server instance (own data dir, socket, pid) on 127.0.0.1:13306.
#   scripts/real/mariadb.sh install|start|stop|env|version|status
# install: mariadb-server from Debian apt when no mariadbd/mysqld is on the machine.
# start:   initialises the data dir once, starts mariadbd, waits until it answers, then makes sure
#          database `fogsim` and user fogsim/fogsim exist. Idempotent.
set -euo pipefail

STATE="${FOGSIM_REAL_DIR:-/tmp/fogsim-real}/mariadb"
DATA="$STATE/data"
SOCK="$STATE/mariadb.sock"
PIDFILE="$STATE/mariadb.pid"
LOG="$STATE/mariadb.log"
PORT=13306
START_TIMEOUT="${FOGSIM_MARIADB_START_TIMEOUT:-60}"
DB=fogsim
DB_USER=fogsim
DB_PASS=fogsim
# Debian puts the server in /usr/sbin, which a non-root PATH may lack.
export PATH="$PATH:/usr/sbin:/usr/local/sbin"

die() { echo "mariadb.sh: $*" >&2; exit 1; }

server_bin() { command -v mariadbd || command -v mysqld || true; }
client_bin() { command -v mariadb || command -v mysql || true; }
install_db_bin() { command -v mariadb-install-db || command -v mysql_install_db || true; }

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else die "need root (or sudo) to run: $*"; fi; }

install() {
  if [ -n "$(server_bin)" ]; then echo "mariadb already installed: $("$(server_bin)" --version)"; return 0; fi
  export DEBIAN_FRONTEND=noninteractive
  # A stale package index makes the first attempt fail; refresh it then.
  as_root apt-get install -y -q mariadb-server \
    || { as_root apt-get update -q && as_root apt-get install -y -q mariadb-server; } \
    || die "apt-get could not install mariadb-server (network? apt sources?)"
  [ -n "$(server_bin)" ] || die "mariadb-server installed but no mariadbd/mysqld found on PATH"
  # The package may start the system's own instance on 3306; ours is separate and does not need it.
  echo "mariadb installed: $("$(server_bin)" --version)"
}

running_pid() {
  [ -f "$PIDFILE" ] || return 1
  local pid; pid="$(cat "$PIDFILE" 2>/dev/null)" || return 1
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -Eq 'mariadbd|mysqld' || return 1
  echo "$pid"
}

root_sql() { "$(client_bin)" --no-defaults --protocol=socket --socket="$SOCK" -uroot "$@"; }

alive() { root_sql -N -e 'SELECT 1' >/dev/null 2>&1; }

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; }

user_flag() { if [ "$(id -u)" = 0 ]; then echo "--user=root"; fi; }

init_datadir() {
  [ -d "$DATA/mysql" ] && return 0
  local installer; installer="$(install_db_bin)"
  [ -n "$installer" ] || die "mariadb-install-db not found: run 'scripts/real/mariadb.sh install'"
  mkdir -p "$DATA"
  # root@localhost without password, reachable only through our private socket.
  "$installer" --no-defaults $(user_flag) --datadir="$DATA" --auth-root-authentication-method=normal \
    --skip-test-db >"$STATE/install-db.log" 2>&1 \
    || { rm -rf "$DATA"; die "mariadb-install-db failed; see $STATE/install-db.log"; }
}

ensure_db() {
  root_sql <<SQL || die "could not create database/user; see $LOG"
CREATE DATABASE IF NOT EXISTS \`$DB\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE USER IF NOT EXISTS '$DB_USER'@'127.0.0.1' IDENTIFIED BY '$DB_PASS';
CREATE USER IF NOT EXISTS '$DB_USER'@'localhost' IDENTIFIED BY '$DB_PASS';
GRANT ALL PRIVILEGES ON \`$DB\`.* TO '$DB_USER'@'127.0.0.1';
GRANT ALL PRIVILEGES ON \`$DB\`.* TO '$DB_USER'@'localhost';
-- scratch databases (fogsim_*) let test suites work beside the main database instead of wiping it
GRANT ALL PRIVILEGES ON \`${DB}\\_%\`.* TO '$DB_USER'@'127.0.0.1';
GRANT ALL PRIVILEGES ON \`${DB}\\_%\`.* TO '$DB_USER'@'localhost';
FLUSH PRIVILEGES;
SQL
}

start() {
  [ -n "$(server_bin)" ] || die "mariadbd not found: run 'scripts/real/mariadb.sh install' first"
  [ -n "$(client_bin)" ] || die "mariadb client not found: install mariadb-client"
  mkdir -p "$STATE"
  if running_pid >/dev/null && alive; then
    ensure_db
    echo "mariadb already running (pid $(running_pid)) on 127.0.0.1:$PORT"
    return 0
  fi
  if port_busy; then die "port $PORT is taken by another process; stop it (or 'scripts/real/mariadb.sh stop')"; fi
  init_datadir
  # setsid + nohup: the server outlives this script and its terminal.
  setsid nohup "$(server_bin)" --no-defaults $(user_flag) --datadir="$DATA" \
    --bind-address=127.0.0.1 --port="$PORT" --socket="$SOCK" --pid-file="$PIDFILE" \
    --log-error="$LOG" --skip-name-resolve --max-connections=500 \
    --innodb-buffer-pool-size=64M --innodb-log-file-size=16M \
    `# a throwaway test server: flush the redo log once a second, not at every commit (a crash of the` \
    `# machine, not of mariadbd, may lose the last second; commits stay atomic and isolated)` \
    --innodb-flush-log-at-trx-commit=2 \
    >/dev/null 2>&1 </dev/null &
  local launched=$! waited=0
  until alive; do
    if ! kill -0 "$launched" 2>/dev/null && ! running_pid >/dev/null; then
      tail -n 20 "$LOG" >&2 2>/dev/null || true
      die "mariadbd exited during start-up; see $LOG"
    fi
    [ "$waited" -ge "$((START_TIMEOUT * 4))" ] && { tail -n 20 "$LOG" >&2 2>/dev/null || true; die "mariadbd not ready after ${START_TIMEOUT}s; see $LOG"; }
    sleep 0.25; waited=$((waited + 1))
  done
  ensure_db
  echo "mariadb started (pid $(running_pid || echo "$launched")) on 127.0.0.1:$PORT, database $DB, user $DB_USER"
}

stop() {
  local pid
  if ! pid="$(running_pid)"; then echo "mariadb not running"; rm -f "$PIDFILE"; return 0; fi
  kill -TERM "$pid"   # mariadbd shuts down cleanly on SIGTERM (flushes InnoDB)
  for _ in $(seq 1 120); do kill -0 "$pid" 2>/dev/null || { echo "mariadb stopped"; return 0; }; sleep 0.25; done
  echo "mariadb.sh: pid $pid ignored SIGTERM for 30s; killing it" >&2
  kill -KILL "$pid" 2>/dev/null || true
  rm -f "$PIDFILE"
}

status() {
  if running_pid >/dev/null && alive; then echo "mariadb running (pid $(running_pid)) on 127.0.0.1:$PORT"; else echo "mariadb not running"; return 1; fi
}

case "${1:-}" in
  install) install ;;
  start) start ;;
  stop) stop ;;
  status) status ;;
  env) echo "export FOGSIM_MYSQL_URL=mysql://$DB_USER:$DB_PASS@127.0.0.1:$PORT/$DB" ;;
  version) b="$(server_bin)"; [ -n "$b" ] || die "mariadbd not installed"; "$b" --version ;;
  *) echo "usage: $0 install|start|stop|env|version|status" >&2; exit 2 ;;
esac
