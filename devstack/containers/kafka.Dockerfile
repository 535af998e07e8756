# Apache Kafka (KRaft) from the Maven Central jars the local stack resolved (.stack/kafka/lib-*,
# the build context's lib/), on Debian's JRE 17. Configured like the official apache/kafka image:
# every KAFKA_FOO_BAR variable becomes foo.bar in server.properties.
ARG BASE
FROM ${BASE}
RUN apt-get update \
    && apt-get install -y --no-install-recommends openjdk-17-jre-headless \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 1000 --home-dir /var/lib/kafka --create-home kafka
COPY lib/ /opt/kafka/libs/
COPY kafka-entrypoint.sh /usr/local/bin/entrypoint
USER kafka
EXPOSE 9092
ENTRYPOINT ["/usr/local/bin/entrypoint"]
