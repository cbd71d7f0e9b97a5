#!/bin/bash
# The local stand-in for the mysql image (MariaDB from Debian), for docker-compose.yml: on the first
# start of an empty /var/lib/mysql it creates MYSQL_DATABASE and MYSQL_USER / MYSQL_PASSWORD with
# every right on it and sets MYSQL_ROOT_PASSWORD, as the mysql image's entrypoint does; later starts
# keep what the volume holds (a changed password in the environment does not change the stored one,
# as with the real image). Then mariadbd serves 3306 on every interface of the container.
set -euo pipefail
DATA=/var/lib/mysql
mkdir -p /run/mysqld "$DATA"
chown mysql:mysql /run/mysqld "$DATA"

# a value inside single quotes of an SQL string literal
q() { local v=${1//\\/\\\\}; printf "%s" "${v//\'/\'\'}"; }

if [[ ! -d $DATA/mysql ]]; then
  : "${MYSQL_ROOT_PASSWORD:?MYSQL_ROOT_PASSWORD must be set (as the mysql image requires)}"
  echo "mysql stand-in: initialising $DATA"
  mariadb-install-db --user=mysql --datadir="$DATA" --auth-root-authentication-method=normal --skip-test-db >/dev/null
  mariadbd --user=mysql --datadir="$DATA" --skip-networking --socket=/run/mysqld/init.sock &
  pid=$!
  for _ in $(seq 120); do
    mariadb-admin --socket=/run/mysqld/init.sock ping >/dev/null 2>&1 && break
    sleep 0.25
  done
  sql="ALTER USER 'root'@'localhost' IDENTIFIED BY '$(q "$MYSQL_ROOT_PASSWORD")';"
  sql+="CREATE USER 'root'@'%' IDENTIFIED BY '$(q "$MYSQL_ROOT_PASSWORD")'; GRANT ALL ON *.* TO 'root'@'%' WITH GRANT OPTION;"
  if [[ -n ${MYSQL_DATABASE:-} ]]; then
    sql+="CREATE DATABASE IF NOT EXISTS \`${MYSQL_DATABASE//\`/}\`;"
  fi
  if [[ -n ${MYSQL_USER:-} && -n ${MYSQL_PASSWORD:-} ]]; then
    sql+="CREATE USER '$(q "$MYSQL_USER")'@'%' IDENTIFIED BY '$(q "$MYSQL_PASSWORD")';"
    [[ -n ${MYSQL_DATABASE:-} ]] && sql+="GRANT ALL ON \`${MYSQL_DATABASE//\`/}\`.* TO '$(q "$MYSQL_USER")'@'%';"
  fi
  mariadb --socket=/run/mysqld/init.sock -uroot -e "$sql FLUSH PRIVILEGES;"
  mariadb-admin --socket=/run/mysqld/init.sock -uroot -p"$MYSQL_ROOT_PASSWORD" shutdown
  wait "$pid" || true
  echo "mysql stand-in: initialised"
fi
exec mariadbd --user=mysql --datadir="$DATA" --bind-address=0.0.0.0 --port=3306 --socket=/run/mysqld/mysqld.sock "$@"
