#!/bin/bash
# The local stand-in for the apache/kafka image, for docker-compose.yml: as that image does, every
# KAFKA_* variable becomes a broker setting (KAFKA_ dropped, lower case, "___" -> "-", "__" -> "_",
# "_" -> "."), the log folder is formatted once with CLUSTER_ID, and the broker runs in the foreground.
set -euo pipefail
PROPS=/opt/kafka/config/server.properties
mkdir -p /opt/kafka/config /opt/kafka/logs
: >"$PROPS"
# variables the launch scripts read, not broker settings
skip='^KAFKA_(HEAP_OPTS|JVM_PERFORMANCE_OPTS|GC_LOG_OPTS|LOG4J_OPTS|JMX_OPTS|OPTS|DEBUG|VERSION)$'
while IFS='=' read -r name value; do
  [[ $name == KAFKA_* && ! $name =~ $skip ]] || continue
  key=${name#KAFKA_}
  key=${key,,}
  key=${key//___/-}
  key=${key//__/@}
  key=${key//_/.}
  key=${key//@/_}
  printf '%s=%s\n' "$key" "$value" >>"$PROPS"
done < <(env)
grep -q '^log.dirs=' "$PROPS" || echo "log.dirs=/tmp/kraft-combined-logs" >>"$PROPS"
CLUSTER_ID=${CLUSTER_ID:-5L6g3nShT-eMCtK--X86sw}
/opt/kafka/bin/kafka-storage.sh format -t "$CLUSTER_ID" -c "$PROPS" --ignore-formatted >/opt/kafka/logs/format.log
exec /opt/kafka/bin/kafka-server-start.sh "$PROPS"
