"""`python -m order.reconcile`: one bounded reconciliation pass, then exit (a CronJob).

Exit 0 when the pass completed (orders whose check failed are retried by the next pass),
69 when it could not run at all (a dependency unreachable), 78 on a configuration error.
"""

from __future__ import annotations

import asyncio
import sys

from order.reconcile.bootstrap import CannotRunError, run_once
from order.reconcile.metrics import push
from order.reconcile.settings import ReconcileSettings
from runtime import logs
from runtime.settings import load

EXIT_UNAVAILABLE = 69  # EX_UNAVAILABLE from sysexits.h


def main() -> int:
    settings = load(ReconcileSettings, "order.reconcile")
    logs.configure("order.reconcile", settings.log_level)
    log = logs.get_logger("order.reconcile")
    try:
        summary = asyncio.run(run_once(settings))
    except CannotRunError as error:
        log.error("reconcile pass could not run", reason=str(error))
        print(f"order.reconcile: could not run: {error}", file=sys.stderr)
        return EXIT_UNAVAILABLE
    log.info(summary.line(), **{k: v for k, v in vars(summary).items() if k != "outcomes"})
    push(summary, settings.pushgateway_url)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
