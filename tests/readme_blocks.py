"""The README's code blocks, and which of them are runnable.

A runnable block is marked by an HTML comment on the line before its fence:
``<!-- runnable: expect "some text" -->``. The README test runs it against the local system and
wants exit status 0 and that text in what it printed; every other block is illustrative.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"
FENCE = re.compile(
    r"(?:<!-- runnable: expect \"(?P<expect>(?:[^\"\\]|\\.)*)\" -->\n)?"
    r"```(?P<lang>\w*)\n(?P<code>.*?)\n```",
    re.DOTALL,
)


@dataclass(frozen=True)
class Block:
    line: int
    lang: str
    code: str
    expect: str | None

    @property
    def runnable(self) -> bool:
        return self.expect is not None


def blocks(text: str | None = None) -> list[Block]:
    text = README.read_text(encoding="utf-8") if text is None else text
    found = []
    for match in FENCE.finditer(text):
        expect = match["expect"]
        found.append(
            Block(
                line=text.count("\n", 0, match.start("code")) + 1,
                lang=match["lang"],
                code=match["code"],
                expect=None if expect is None else expect.replace('\\"', '"'),
            )
        )
    return found


def command_table(text: str | None = None) -> str:
    """The README's table of ./dev commands, as it stands."""
    text = README.read_text(encoding="utf-8") if text is None else text
    start = text.index("| command | what it does |")
    end = text.index("\n\n", start)
    return text[start:end]
