"""What changed: after an operation a page calls ``announce(changes)`` and every page
that shows that kind of data refreshes itself (now if visible, else when next shown).

``Changes.kinds`` vocabulary: ``agents``, ``policies``, ``terminals``, ``deposits``,
``transactions``, ``imports``, ``statements``, ``months``, ``settings``, ``followups``,
``all`` (a whole new database, e.g. after loading the demo).
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from app.core.errors import Changes


class ChangeHub(QObject):
    applied = Signal(object)


_HUB: ChangeHub | None = None


def hub() -> ChangeHub:
    global _HUB
    if _HUB is None:
        _HUB = ChangeHub()
    return _HUB


def announce(changes: Changes) -> None:
    """Tell every page what an operation changed (call on the GUI thread)."""
    hub().applied.emit(changes)
