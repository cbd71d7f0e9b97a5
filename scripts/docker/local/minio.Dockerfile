# Stand-in for minio/minio: the MinIO server scripts/real/minio.sh builds, and mc for the health check
ARG BASE
FROM ${BASE}
COPY minio mc /usr/bin/
EXPOSE 9000 9001
ENTRYPOINT ["/usr/bin/minio"]
