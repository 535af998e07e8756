"""The README says what ./dev says: its command table is `./dev help --markdown`, `./dev help`
names every command and option, and every Python block of the README compiles as a script."""

from __future__ import annotations

import subprocess

from devstack.commands import COMMANDS, RULE, markdown_table, usage
from tests.readme_blocks import README, blocks, command_table


def test_the_readme_command_table_is_the_one_dev_help_prints() -> None:
    assert command_table() == markdown_table(), (
        "README.md's command table differs from devstack/commands.py; paste the output of "
        "`./dev help --markdown` into README.md"
    )


def test_dev_help_names_every_command_and_option_and_the_rule() -> None:
    printed = subprocess.run(
        [str(README.parent / "dev"), "help"], capture_output=True, text=True, check=True
    ).stdout
    assert printed.strip() == usage().strip()
    for call, _ in COMMANDS:
        assert f"./dev {call}" in printed
    assert "--v3" in printed
    assert "--keep" in printed
    assert RULE.replace("`", "") in " ".join(printed.split())


def test_the_readme_states_the_rule_of_every_command() -> None:
    assert "it stops what it started, unless `--keep`" in README.read_text(encoding="utf-8")


def test_every_python_block_of_the_readme_compiles_as_a_script() -> None:
    python = [b for b in blocks() if b.lang == "python"]
    assert python, "the README has Python examples"
    for block in python:
        compile(block.code, f"README.md:{block.line}", "exec")


def test_the_runnable_blocks_are_found() -> None:
    runnable = [b for b in blocks() if b.runnable]
    assert {b.lang for b in runnable} == {"sh", "python"}
    assert all(b.expect for b in runnable)
