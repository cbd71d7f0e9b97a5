#!/usr/bin/env bash
# Apache Kafka, one broker in KRaft mode (broker + controller in one JVM), for fogsim's real tier.
#   scripts/real/kafka.sh install|start|stop|env|version|status
# Server jars come from Maven Central (pinned version), fetched by Maven into the cache dir;
# run with the machine's Java 17. Broker on 127.0.0.1:19092, controller on 127.0.0.1:19093.
# Version 3.9.x (not 4.x): kafkajs 2.2.4 speaks request versions that Kafka 4 removed (KIP-896).
set -euo pipefail

KAFKA_VERSION="${FOGSIM_KAFKA_VERSION:-3.9.2}"
SLF4J_VERSION=1.7.36      # what Kafka 3.9's own distribution ships
RELOAD4J_VERSION=1.2.25
CACHE="${FOGSIM_CACHE:-$HOME/.cache/fogsim}"
HOME_DIR="$CACHE/kafka-$KAFKA_VERSION"
LIBS="$HOME_DIR/libs"
STATE="${FOGSIM_REAL_DIR:-/tmp/fogsim-real}/kafka"
PORT=19092
CONTROLLER_PORT=19093
CLUSTER_ID="ZmdzaW0ta2Fma2EtcmVhbA"   # fixed: the data dir survives stop/start
START_TIMEOUT="${FOGSIM_KAFKA_START_TIMEOUT:-90}"
PIDFILE="$STATE/kafka.pid"

die() { echo "kafka.sh: $*" >&2; exit 1; }

installed() { [ -f "$HOME_DIR/.installed" ] && ls "$LIBS"/kafka_2.13-"$KAFKA_VERSION".jar >/dev/null 2>&1; }

install() {
  if installed; then echo "kafka $KAFKA_VERSION already installed in $HOME_DIR"; return 0; fi
  command -v java >/dev/null || die "java not found: install Java 17 (apt-get install openjdk-17-jre-headless)"
  command -v mvn >/dev/null || die "mvn not found: install Maven (apt-get install maven)"
  mkdir -p "$HOME_DIR"
  # A throwaway pom whose only purpose is to resolve the broker and its runtime dependencies.
  cat >"$HOME_DIR/pom.xml" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>fogsim</groupId><artifactId>kafka-server</artifactId><version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId><version>$KAFKA_VERSION</version></dependency>
    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-reload4j</artifactId><version>$SLF4J_VERSION</version></dependency>
    <dependency><groupId>ch.qos.reload4j</groupId><artifactId>reload4j</artifactId><version>$RELOAD4J_VERSION</version></dependency>
  </dependencies>
</project>
POM
  echo "kafka.sh: fetching org.apache.kafka:kafka_2.13:$KAFKA_VERSION and dependencies from Maven Central..."
  rm -rf "$LIBS"
  (cd "$HOME_DIR" && mvn -B -q -Dstyle.color=never -Dmaven.repo.local="$CACHE/m2" \
      dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$LIBS") \
    || die "maven could not fetch Kafka $KAFKA_VERSION (network? see output above)"
  [ -f "$LIBS/kafka_2.13-$KAFKA_VERSION.jar" ] || die "kafka_2.13-$KAFKA_VERSION.jar missing after maven"
  touch "$HOME_DIR/.installed"
  echo "kafka $KAFKA_VERSION installed in $HOME_DIR ($(ls "$LIBS" | wc -l) jars)"
}

running_pid() {
  [ -f "$PIDFILE" ] || return 1
  local pid; pid="$(cat "$PIDFILE")"
  kill -0 "$pid" 2>/dev/null && [ -r "/proc/$pid/cmdline" ] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q 'kafka.Kafka' && { echo "$pid"; return 0; }
  return 1
}

# True when the broker accepts a TCP connection and answers an ApiVersions request.
healthy() {
  node -e '
    const s = require("net").connect(+process.argv[1], "127.0.0.1");
    // ApiVersions v0 request: size, api key 18, version 0, correlation id 1, client id "h"
    const b = Buffer.from([0,0,0,11, 0,18, 0,0, 0,0,0,1, 0,1, 0x68]);
    s.setTimeout(2000, () => process.exit(1));
    s.on("error", () => process.exit(1));
    s.on("connect", () => s.write(b));
    s.on("data", (d) => process.exit(d.length >= 8 && d.readInt32BE(4) === 1 ? 0 : 1));
  ' "$PORT" 2>/dev/null
}

write_config() {
  mkdir -p "$STATE/data" "$STATE/logs"
  cat >"$STATE/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$PORT,CONTROLLER://127.0.0.1:$CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$PORT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
log.dirs=$STATE/data
num.partitions=3
offsets.topic.replication.factor=1
offsets.topic.num.partitions=3
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=true
log.retention.hours=24
num.network.threads=2
num.io.threads=2
background.threads=2
num.recovery.threads.per.data.dir=1
PROPS
  cat >"$STATE/log4j.properties" <<'L4J'
log4j.rootLogger=INFO, file
log4j.appender.file=org.apache.log4j.RollingFileAppender
log4j.appender.file.File=${kafka.logs.dir}/server.log
log4j.appender.file.MaxFileSize=10MB
log4j.appender.file.MaxBackupIndex=2
log4j.appender.file.layout=org.apache.log4j.PatternLayout
log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka=INFO
log4j.logger.org.apache.kafka=INFO
log4j.logger.state.change.logger=WARN
log4j.logger.kafka.request.logger=WARN
L4J
}

java_opts=(-Xms256m -Xmx512m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Djava.awt.headless=true)

start() {
  installed || install
  if pid="$(running_pid)"; then
    if healthy; then echo "kafka already running (pid $pid) on 127.0.0.1:$PORT"; return 0; fi
  else
    write_config
    if [ ! -f "$STATE/data/meta.properties" ]; then
      java "${java_opts[@]}" -Dlog4j.configuration="file:$STATE/log4j.properties" -Dkafka.logs.dir="$STATE/logs" \
        -cp "$LIBS/*" kafka.tools.StorageTool format -t "$CLUSTER_ID" -c "$STATE/server.properties" --ignore-formatted \
        >"$STATE/logs/format.log" 2>&1 || { cat "$STATE/logs/format.log" >&2; die "storage format failed"; }
    fi
    (ss -ltn 2>/dev/null | grep -q "127.0.0.1:$PORT ") && die "port $PORT is taken by another process; stop it first"
    # setsid: its own session, out of reach of signals to the caller's process group (as mariadb.sh, toxiproxy.sh)
    setsid nohup java "${java_opts[@]}" -Dlog4j.configuration="file:$STATE/log4j.properties" -Dkafka.logs.dir="$STATE/logs" \
      -cp "$LIBS/*" kafka.Kafka "$STATE/server.properties" >"$STATE/logs/stdout.log" 2>&1 </dev/null &
    echo $! >"$PIDFILE"
  fi
  local deadline=$((SECONDS + START_TIMEOUT))
  while [ $SECONDS -lt $deadline ]; do
    if healthy; then echo "kafka $KAFKA_VERSION up on 127.0.0.1:$PORT (pid $(cat "$PIDFILE"))"; return 0; fi
    running_pid >/dev/null || { tail -n 30 "$STATE/logs/stdout.log" "$STATE/logs/server.log" 2>/dev/null >&2; die "broker exited during start (logs in $STATE/logs)"; }
    sleep 1
  done
  tail -n 30 "$STATE/logs/server.log" 2>/dev/null >&2 || true
  die "broker not healthy after ${START_TIMEOUT}s (logs in $STATE/logs)"
}

stop() {
  local pid
  if ! pid="$(running_pid)"; then echo "kafka not running"; rm -f "$PIDFILE"; return 0; fi
  kill -TERM "$pid"
  # A controlled shutdown of a single KRaft node takes a few seconds; then force it.
  for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
  if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid"; echo "kafka killed (pid $pid) after 30 s"; fi
  while kill -0 "$pid" 2>/dev/null; do sleep 0.2; done
  rm -f "$PIDFILE"
  echo "kafka stopped"
}

version() {
  installed || die "not installed: run $0 install"
  echo "Apache Kafka $(java -cp "$LIBS/*" kafka.Kafka --version 2>/dev/null | head -n 1) (KRaft, Maven Central org.apache.kafka:kafka_2.13:$KAFKA_VERSION)"
}

case "${1:-}" in
  install) install ;;
  start) start ;;
  stop) stop ;;
  # what the local stand-in image (scripts/docker/build-local-images.sh) copies
  paths) installed || install >&2; echo "libs=$LIBS" ;;
  env) echo "export FOGSIM_KAFKA_BROKERS=127.0.0.1:$PORT" ;;
  version) version ;;
  status) if pid="$(running_pid)" && healthy; then echo "kafka running (pid $pid)"; else echo "kafka not running"; exit 1; fi ;;
  *) echo "usage: $0 install|start|stop|env|version|status|paths" >&2; exit 2 ;;
esac
