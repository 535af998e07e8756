#!/bin/sh
# server.properties from KAFKA_* (as apache/kafka reads them), storage formatted, then the broker.
set -eu
config=/var/lib/kafka/server.properties
: > "$config"
env | grep '^KAFKA_' | grep -v '^KAFKA_CLUSTER_ID=' | while IFS='=' read -r name value; do
  key=$(echo "${name#KAFKA_}" | tr 'A-Z_' 'a-z.')
  echo "$key=$value" >> "$config"
done
grep -q '^log.dirs=' "$config" || echo "log.dirs=/var/lib/kafka/data" >> "$config"
java -Xmx256m -cp '/opt/kafka/libs/*' kafka.tools.StorageTool format --ignore-formatted \
  -t "${KAFKA_CLUSTER_ID:-5L6g3nShT-eMCtK--X86sw}" -c "$config" > /dev/null
exec java -Xms256m -Xmx512m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 \
  -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
  -Dorg.slf4j.simpleLogger.log.kafka.server.KafkaRaftServer=info \
  -cp '/opt/kafka/libs/*' kafka.Kafka "$config"
