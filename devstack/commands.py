"""The commands of ./dev and what each does: `./dev help` and the README's command table.

Standard library only: `./dev help` answers on a fresh clone before `.venv` exists.
"""

from __future__ import annotations

import sys
import textwrap

# One row per command: how it is called, what it does. `./dev help` prints these and the README's
# command table is `./dev help --markdown` (tests/unit/test_readme_commands.py keeps them equal):
# a new command is one row here and the same row in the README.
COMMANDS: tuple[tuple[str, str], ...] = (
    (
        "demo [--keep] [--v3]",
        "the whole system end to end: four payment scenarios, then a summary; `--keep` leaves "
        "it running and prints what to open; `--v3` speaks WeChat Pay API v3 throughout",
    ),
    (
        "test [--keep] [pytest args]",
        "ruff, mypy, import-linter, then pytest against the real stack; extra arguments go to "
        "pytest (`./dev test tests/unit -x`)",
    ),
    ("up", "start the local stack (PostgreSQL, Redis, Kafka) and leave it running"),
    (
        "down",
        "stop everything of this checkout that runs: the processes `demo --keep` left, then "
        "PostgreSQL, Redis, Kafka",
    ),
    ("status", "what runs where: versions, addresses, topics, the processes and their logs"),
    (
        "env",
        'the environment a process needs, `.venv` on `PATH` included: `eval "$(./dev env)"`',
    ),
    (
        "run COMMAND",
        "run one command in that environment: `./dev run python -m order.reconcile`",
    ),
    (
        "image",
        "build the product image `paystream:local` from the `Dockerfile` on a Debian-made base; "
        "sets up a Docker engine first where none answers (README: Containers)",
    ),
    ("proto", "regenerate `paystream/` from `protos/`"),
    ("lock", "re-pin `constraints.txt` from the current `.venv`"),
    (
        "bench [--quick] [--keep]",
        "every stage against its same-run baselines; `--quick` for a few minutes (BENCHMARKS.md)",
    ),
    (
        "chaos [--orders N] [--v3]",
        "a fault run on private servers: pay N orders (default 2,000) while the broker, "
        "PostgreSQL, Redis, the gateway and the worker are knocked over, then check every "
        "order (RELIABILITY.md)",
    ),
)
RULE = (
    "Every command stops what it started, unless `--keep`; `up` is for leaving the stack "
    "running, `down` stops everything."
)


def usage() -> str:
    width = max(len(call) for call, _ in COMMANDS) + 8
    lines = ["./dev COMMAND", ""]
    for call, what in COMMANDS:
        wrapped = textwrap.wrap(what.replace("`", ""), 98 - width)
        lines.append(f"  {'./dev ' + call:<{width}}{wrapped[0]}")
        lines += [" " * (width + 2) + more for more in wrapped[1:]]
    return "\n".join([*lines, "", textwrap.fill(RULE.replace("`", ""), 100), ""])


def markdown_table() -> str:
    """The README's command table, row for row."""
    rows = ["| command | what it does |", "|---|---|"]
    rows += [f"| `./dev {call}` | {what} |" for call, what in COMMANDS]
    return "\n".join(rows)


USAGE = usage()

if __name__ == "__main__":
    print(markdown_table() if "--markdown" in sys.argv[1:] else USAGE)
