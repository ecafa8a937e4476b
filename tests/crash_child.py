"""A child process for the crash tests (tests/unit/test_crash.py): runs one operation on a
database and kills itself with SIGKILL — as ``kill -9`` would — at its Nth progress report.

    python -m tests.crash_child DB OP KILL_AT [ARG]

OP is ``import`` (ARG: the transactions file), ``compute``, ``lock`` or ``pdf`` (ARG: the
output folder).  KILL_AT 0 runs to the end."""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path


def main() -> None:
    db, op, kill_at = sys.argv[1], sys.argv[2], int(sys.argv[3])
    arg = sys.argv[4] if len(sys.argv) > 4 else ""
    from app.core import closing, settlement
    from app.core.session import open_database

    open_database(db)
    seen = 0

    def progress(*_args: object) -> None:
        nonlocal seen
        seen += 1
        print(f"STEP {seen}", flush=True)
        if seen == kill_at:
            os.kill(os.getpid(), signal.SIGKILL)

    if op == "import":
        from app.io import importers

        importers.BATCH_ROWS = 10_000  # several batches, several points to be killed at
        importers.import_file("transactions", arg, progress=progress)
    elif op == "compute":
        settlement.compute_month("2026-10", progress)
    elif op == "lock":
        closing.lock("2026-10", progress)
    elif op == "pdf":
        from app.io.slips import render_batch

        render_batch("2026-10", Path(arg), progress=progress, processes=1)
    print("DONE", flush=True)


if __name__ == "__main__":
    main()
