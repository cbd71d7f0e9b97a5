#!/bin/bash
# The one launcher of the stand-in's /opt/kafka/bin scripts: the public image ships Kafka's own
# scripts; here each is a link to this file, which maps its name to the class it starts.
set -euo pipefail
case "$(basename "$0")" in
  kafka-server-start.sh) class=kafka.Kafka ;;
  kafka-storage.sh) class=kafka.tools.StorageTool ;;
  kafka-broker-api-versions.sh) class=kafka.admin.BrokerApiVersionsCommand ;;
  *) echo "$(basename "$0"): not in this stand-in (it has kafka-server-start.sh, kafka-storage.sh, kafka-broker-api-versions.sh)" >&2; exit 2 ;;
esac
heap=${KAFKA_HEAP_OPTS:--Xms256m -Xmx512m}
[[ $class == kafka.Kafka ]] || heap="-Xmx128m"
# shellcheck disable=SC2086
exec java $heap -XX:+UseSerialGC -Djava.awt.headless=true -Dlog4j.configuration=file:/opt/kafka/config/log4j.properties \
  ${KAFKA_OPTS:-} -cp '/opt/kafka/libs/*' "$class" "$@"
