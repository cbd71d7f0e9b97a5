# Stand-in for adminer: Debian's adminer.php on PHP's built-in server, port 8080 as in the public image
ARG BASE
FROM ${BASE}
COPY adminer-index.php /var/www/adminer/index.php
EXPOSE 8080
ENTRYPOINT ["php", "-S", "0.0.0.0:8080", "-t", "/var/www/adminer"]
