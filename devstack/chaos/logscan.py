"""Every log line of a run, searched for what must never be logged: the API keys, any private
key (its PEM body), and signed payloads (a notify body, a `sign` value)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from devstack.chaos.evidence import LogFinding

SIGNED_PAYLOAD = re.compile(
    r"<sign>|<sign><!\[CDATA\[|[?&\"' ]sign=[0-9A-Fa-f]{32}|\"sign\":\s*\"[0-9A-Fa-f]{32}"
    r"|<req_info>|-----BEGIN [A-Z ]*PRIVATE KEY-----",
    re.IGNORECASE,
)
PEM_LINE_CHARS = 40


@dataclass
class Secrets:
    """Literal values that must not appear, by name (for the finding's text)."""

    values: dict[str, str] = field(default_factory=dict)

    def add_value(self, name: str, value: str) -> None:
        if len(value) >= 8:
            self.values[name] = value

    def add_pem(self, name: str, path: Path) -> None:
        """Every base64 line of a PEM file's body (a partial key is a leak too)."""
        if not path.is_file():
            return
        lines = [
            line.strip()
            for line in path.read_text().splitlines()
            if line.strip() and not line.startswith("-----")
        ]
        for number, line in enumerate(lines):
            if len(line) >= PEM_LINE_CHARS:
                self.values[f"{name} (line {number + 1})"] = line


def scan(paths: Iterable[Path], secrets: Secrets) -> tuple[int, list[LogFinding]]:
    """(lines scanned, findings) over every file in `paths` (folders are walked)."""
    lines = 0
    findings: list[LogFinding] = []
    for path in _files(paths):
        with path.open(encoding="utf-8", errors="replace") as text:
            for number, line in enumerate(text, start=1):
                lines += 1
                for name, value in secrets.values.items():
                    if value in line:
                        findings.append(LogFinding(str(path), number, name))
                if SIGNED_PAYLOAD.search(line):
                    findings.append(LogFinding(str(path), number, "a signed payload"))
    return lines, findings


def _files(paths: Iterable[Path]) -> list[Path]:
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found += sorted(p for p in path.rglob("*.log") if p.is_file())
        elif path.is_file():
            found.append(path)
    return found
