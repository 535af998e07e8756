"""`./dev demo`: the whole system end to end, told as four scenarios (dev tooling, not shipped)."""

from devstack.demo.run import main

__all__ = ["main"]
