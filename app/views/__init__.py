"""Qt only: windows, pages, dialogs, table models, workers.

PySide6 6.12.0 on CPython 3.11 loses a reference to ``None`` on every call of a ``void`` Qt
method and one to ``True`` on every ``Signal.emit`` (measured: ``QLineEdit.setText`` and
``QTimer.start`` lower ``sys.getrefcount(None)`` by one per call).  After enough calls the
interpreter aborts with "none_dealloc: deallocating None".  From CPython 3.12 these
singletons are immortal and nothing happens; on 3.11 we give them the same immortality by
raising their reference counts far beyond anything a session can lose.
"""

from __future__ import annotations

import ctypes
import sys

_CUSHION = 1 << 40


def _make_singletons_immortal() -> None:
    if sys.implementation.name != "cpython" or sys.version_info >= (3, 12):
        return
    for obj in (None, True, False):
        refcnt = ctypes.c_ssize_t.from_address(id(obj))  # ob_refcnt is the first field
        if refcnt.value < _CUSHION:
            refcnt.value += _CUSHION


_make_singletons_immortal()
