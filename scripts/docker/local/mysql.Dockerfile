# Stand-in for mysql:8.4 (MariaDB from Debian): see mysql-entrypoint.sh
ARG BASE
FROM ${BASE}
COPY mysql-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
VOLUME /var/lib/mysql
EXPOSE 3306
ENTRYPOINT ["/usr/local/bin/docker-entrypoint.sh"]
