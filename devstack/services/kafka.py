"""Apache Kafka (KRaft, one node: broker and controller) run from its Maven Central jars.

The jars are resolved once with Maven into .stack/kafka/lib-<version>. The first start also
records a class-data-sharing archive of the classes the broker loads, which later starts map
instead of loading and verifying thousands of classes again (about half the start time).
"""

from __future__ import annotations

import base64
import shutil
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from confluent_kafka.admin import AdminClient, NewTopic

from devstack import procs
from devstack.layout import HOST, KAFKA_VERSION, PORTS, STACK, TOPICS

SHARED = STACK / "kafka"
LIB = SHARED / f"lib-{KAFKA_VERSION}"
CDS_ARCHIVE = SHARED / f"classes-{KAFKA_VERSION}.jsa"

POM = """<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.stack</groupId><artifactId>kafka-broker-runtime</artifactId><version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId>
      <version>{version}</version></dependency>
    <!-- the release tarball adds a logging binding the pom lacks; slf4j 2 needs its own api -->
    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-api</artifactId>
      <version>2.0.17</version></dependency>
    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-simple</artifactId>
      <version>2.0.17</version></dependency>
  </dependencies>
</project>
"""

SERVER_PROPERTIES = """\
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@{host}:{controller_port}
listeners=PLAINTEXT://{host}:{port},CONTROLLER://{host}:{controller_port}
advertised.listeners=PLAINTEXT://{host}:{port}
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs={data}
num.partitions=3
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
share.coordinator.state.topic.num.partitions=1
group.initial.rebalance.delay.ms=0
log.cleaner.dedupe.buffer.size=4194304
num.network.threads=2
num.io.threads=4
auto.create.topics.enable=false
delete.topic.enable=true
broker.session.timeout.ms=3000
broker.heartbeat.interval.ms=500
"""


def jars_ready() -> bool:
    return (LIB / ".complete").exists()


def fetch_jars(say: Callable[[str], None] = print) -> None:
    """Resolves the broker and its runtime dependencies from Maven Central (once per version),
    saying every few seconds how many files it has downloaded so far."""
    if jars_ready():
        return
    SHARED.mkdir(parents=True, exist_ok=True)
    pom = SHARED / "pom.xml"
    pom.write_text(POM.format(version=KAFKA_VERSION))
    if LIB.exists():
        shutil.rmtree(LIB)
    mvn = shutil.which("mvn") or "/usr/bin/mvn"
    argv = [
        mvn,
        "-B",
        "-Dstyle.color=never",
        "-f",
        str(pom),
        "dependency:copy-dependencies",
        f"-DoutputDirectory={LIB}",
        "-DincludeScope=runtime",
    ]
    output: list[str] = []
    downloaded, last = 0, time.monotonic()
    with subprocess.Popen(
        argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    ) as mvn_process:
        assert mvn_process.stdout is not None  # stdout=PIPE above
        for line in mvn_process.stdout:
            output.append(line)
            downloaded += line.startswith("Downloaded from")
            if time.monotonic() - last >= 5:
                last = time.monotonic()
                say(f"  … Maven: {downloaded} files downloaded so far")
    if mvn_process.returncode != 0:
        raise SystemExit(
            f"resolving Kafka {KAFKA_VERSION} from Maven failed:\n{''.join(output[-40:])}"
        )
    (LIB / ".complete").write_text(KAFKA_VERSION)


def _java() -> str:
    return shutil.which("java") or "/usr/bin/java"


def version() -> str:
    jar = next(LIB.glob("kafka_2.13-*.jar"), None)
    return jar.stem.removeprefix("kafka_2.13-") if jar else KAFKA_VERSION


@dataclass(frozen=True)
class Kafka:
    home: Path
    port: int
    controller_port: int

    @property
    def bootstrap(self) -> str:
        return f"{HOST}:{self.port}"

    @property
    def pid_file(self) -> Path:
        return self.home / "kafka.pid"

    @property
    def log(self) -> Path:
        return self.home / "logs" / "server.log"

    def _java_options(self) -> list[str]:
        options = [
            "-Xms256m",
            "-Xmx512m",
            "-XX:+UseSerialGC",
            "-XX:TieredStopAtLevel=1",
            "-Djava.awt.headless=true",
            f"-Dkafka.logs.dir={self.home / 'logs'}",
            "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
            "-Dorg.slf4j.simpleLogger.log.kafka.server.KafkaRaftServer=info",
        ]
        if CDS_ARCHIVE.exists():
            options.append(f"-XX:SharedArchiveFile={CDS_ARCHIVE}")
        else:
            options.append(f"-XX:ArchiveClassesAtExit={CDS_ARCHIVE}")
        return options

    def _format(self, config: Path) -> None:
        if (self.home / "data" / "meta.properties").exists():
            return
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        result = subprocess.run(
            [
                _java(),
                "-Xmx256m",
                "-XX:TieredStopAtLevel=1",
                "-cp",
                f"{LIB}/*",
                "kafka.tools.StorageTool",
                "format",
                f"--cluster-id={cluster_id}",  # an id may begin with "-"
                "-c",
                str(config),
                "--ignore-formatted",
            ],
            check=False,
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            raise SystemExit(f"formatting Kafka's storage failed:\n{result.stdout}{result.stderr}")

    def admin(self) -> AdminClient:
        return AdminClient({"bootstrap.servers": self.bootstrap, "socket.timeout.ms": 2000})

    def _listening(self) -> bool:
        with socket.create_connection((HOST, self.port), timeout=1):
            return True

    def ready(self) -> bool:
        """A metadata request answers with a registered broker (after the port accepts)."""
        if not self._listening():
            return False
        return bool(self.admin().list_topics(timeout=2).brokers)

    def pid(self) -> int | None:
        return procs.running(self.pid_file)

    def running(self) -> bool:
        return self.pid() is not None

    def start(self) -> bool:
        if self.running():
            return False
        fetch_jars()
        data = self.home / "data"
        for folder in (data, self.home / "logs"):
            folder.mkdir(parents=True, exist_ok=True)
        config = self.home / "server.properties"
        config.write_text(
            SERVER_PROPERTIES.format(
                host=HOST, port=self.port, controller_port=self.controller_port, data=data
            )
        )
        self._format(config)
        procs.spawn(
            self.pid_file,
            [_java(), *self._java_options(), "-cp", f"{LIB}/*", "kafka.Kafka", str(config)],
            log=self.log,
        )
        if not procs.wait_until(self.ready, 90, interval=0.1):
            raise SystemExit(
                f"Kafka did not answer a metadata request on {self.bootstrap}; see {self.log}"
            )
        return True

    def stop(self, sig: signal.Signals = signal.SIGTERM) -> bool:
        """SIGTERM: a controlled shutdown; SIGKILL: a crash (the log recovers on the next start)."""
        return procs.stop(self.pid_file, timeout=60, sig=sig)

    def ensure_topics(self, topics: dict[str, int]) -> list[str]:
        """Creates the topics that do not exist yet; returns the names it created."""
        admin = self.admin()
        existing = set(admin.list_topics(timeout=10).topics)
        wanted = [
            NewTopic(name, num_partitions=partitions, replication_factor=1)
            for name, partitions in topics.items()
            if name not in existing
        ]
        if not wanted:
            return []
        for future in admin.create_topics(wanted, operation_timeout=30).values():
            future.result()
        return [topic.topic for topic in wanted]

    def describe(self) -> str:
        if not self.running():
            return "stopped"
        metadata = self.admin().list_topics(timeout=5)
        names = sorted(t for t in metadata.topics if not t.startswith("__"))
        shown = ", ".join(
            f"{t}({len(metadata.topics[t].partitions)})" for t in names if t in TOPICS
        )
        others = len([t for t in names if t not in TOPICS])
        return f"Apache Kafka {version()} (KRaft, 1 node) on {self.bootstrap}; topics {shown}" + (
            f" + {others} test topics" if others else ""
        )


LOCAL = Kafka(home=SHARED, port=PORTS.kafka, controller_port=PORTS.kafka_controller)
