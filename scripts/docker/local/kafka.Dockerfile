# Stand-in for apache/kafka: the broker's jars scripts/real/kafka.sh fetches, on Debian's JRE 17;
# see kafka-entrypoint.sh
ARG BASE
FROM ${BASE}
COPY libs /opt/kafka/libs
COPY kafka-run-class.sh /opt/kafka/bin/kafka-run-class.sh
COPY kafka-log4j.properties /opt/kafka/config/log4j.properties
COPY kafka-entrypoint.sh /etc/kafka/docker/run
RUN for s in kafka-server-start.sh kafka-storage.sh kafka-broker-api-versions.sh; do ln -s kafka-run-class.sh /opt/kafka/bin/$s; done
EXPOSE 9092
ENTRYPOINT ["/etc/kafka/docker/run"]
