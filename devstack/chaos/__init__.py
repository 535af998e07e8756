"""Fault runs (`./dev chaos`): a whole paystream on private servers pays N orders while the
broker, PostgreSQL, Redis, the gateway and the worker are knocked over; then every order is
checked (RELIABILITY.md)."""

from devstack.chaos.plan import ChaosPlan
from devstack.chaos.report import RunReport
from devstack.chaos.run import run_chaos

__all__ = ["ChaosPlan", "RunReport", "run_chaos"]
