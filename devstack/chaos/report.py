"""The counts table of a run, for a person (text) and for RELIABILITY.md (JSON)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from devstack.chaos.faults import Struck
from devstack.chaos.verify import Verdict


@dataclass
class RunReport:
    run_id: str
    plan: dict[str, Any]
    phases: dict[str, float] = field(default_factory=dict)
    """Seconds spent in each phase (start, create, pay, settle, verify)."""
    faults: list[Struck] = field(default_factory=list)
    verdict: Verdict = field(default_factory=Verdict)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.verdict.ok and not any(f.error for f in self.faults)

    def as_json(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "ok": self.ok,
            "plan": self.plan,
            "phases_seconds": self.phases,
            "faults": [asdict(f) for f in self.faults],
            "counts": self.verdict.counts,
            "violations": dict(self.verdict.violations),
            "examples": dict(self.verdict.examples),
            "notes": self.notes,
        }

    def write_json(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.as_json(), indent=2, ensure_ascii=False) + "\n")

    def text(self) -> str:
        lines = [f"fault run {self.run_id}: {'PASSED' if self.ok else 'FAILED'}", ""]
        lines += _table(
            ("phase", "seconds"), [(name, f"{s:.1f}") for name, s in self.phases.items()]
        )
        lines.append("")
        lines += _table(
            ("at (s)", "fault", "back after (s)", "what happened"),
            [(f"{f.at:.1f}", f.name, f"{f.seconds:.1f}", f.error or f.detail) for f in self.faults],
        )
        lines.append("")
        lines += _table(("count", "value"), [(k, str(v)) for k, v in self.verdict.counts.items()])
        lines.append("")
        if self.verdict.violations:
            rows = [
                (check, str(n), "; ".join(self.verdict.examples[check]))
                for check, n in sorted(self.verdict.violations.items())
            ]
            lines += _table(("violation", "count", "examples"), rows)
        else:
            lines.append("violations: 0")
        lines += [f"note: {note}" for note in self.notes]
        return "\n".join(lines)


def _table(header: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> list[str]:
    widths = [max(len(str(c)) for c in column) for column in zip(header, *rows, strict=True)]

    def line(cells: tuple[str, ...]) -> str:
        return "  ".join(str(c).ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()

    return [line(header), line(tuple("-" * w for w in widths)), *map(line, rows)]
