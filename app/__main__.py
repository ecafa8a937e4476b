"""``python -m app`` is the ``posdesk`` command."""

import sys

from app.cli import main

sys.exit(main())
