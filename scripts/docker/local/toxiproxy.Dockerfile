# Stand-in for ghcr.io/shopify/toxiproxy: the server and cli scripts/real/toxiproxy.sh builds, at
# the paths of the public image
ARG BASE
FROM ${BASE}
COPY toxiproxy /toxiproxy
COPY toxiproxy-cli /toxiproxy-cli
EXPOSE 8474
ENTRYPOINT ["/toxiproxy"]
CMD ["-host=0.0.0.0"]
