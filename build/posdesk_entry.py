"""Entry script of the frozen build (``build/posdesk.spec``): ``posdesk`` the same as
``python -m app``, plus ``freeze_support`` because PDF batches use a spawn process pool
and a frozen child must not re-run the command line."""

import multiprocessing
import sys

if __name__ == "__main__":
    multiprocessing.freeze_support()
    from app.cli import main

    sys.exit(main())
