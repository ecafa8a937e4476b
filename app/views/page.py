"""The page contract of the main window, as a base class pages may use.

A page is a QWidget with a class attribute ``nav_title``, a constructor ``(parent=None)``
and ``refresh()``.  Optional: ``focus_search()`` (Ctrl+F), ``new_item()`` (Ctrl+N) and
``watches`` (the ``Changes.kinds`` that make it stale; empty = every change).
"""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from app.core.errors import Changes
from app.views.changes import hub


class Page(QWidget):
    nav_title = ""
    watches: frozenset[str] = frozenset()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._stale = False
        hub().applied.connect(self.on_changes)

    def refresh(self) -> None:  # pragma: no cover - every page overrides it
        pass

    def on_changes(self, changes: Changes) -> None:
        kinds = changes.kinds
        if self.watches and "all" not in kinds and not (kinds & self.watches):
            return
        try:
            visible = self.isVisible()
        except RuntimeError:  # the C++ widget is gone (closed window); stop listening
            try:
                hub().applied.disconnect(self.on_changes)
            except (RuntimeError, TypeError):
                pass
            return
        if visible:
            self.refresh()
            self._stale = False
        else:
            self._stale = True

    def showEvent(self, event) -> None:  # noqa: N802 - Qt name
        super().showEvent(event)
        if self._stale:
            self._stale = False
            self.refresh()


class Loader:
    """Runs a page's read query off the GUI thread; only the latest result is applied."""

    def __init__(self, owner: QWidget):
        self.owner = owner
        self.generation = 0
        self.loading = False
        self._ops: list = []

    def load(self, job, on_done) -> None:
        from app.views.errors import show_error
        from app.views.workers import Operation

        self.generation += 1
        generation = self.generation
        self.loading = True
        op = Operation(lambda _p, _c: job())

        def done(result: object) -> None:
            if generation == self.generation:
                self.loading = False
                try:
                    on_done(result)
                except RuntimeError:  # the page was closed while loading
                    pass

        def failed(message: str) -> None:
            if generation == self.generation:
                self.loading = False
                show_error(self.owner, message)

        op.signals.finished.connect(done)
        op.signals.failed.connect(failed)
        self._ops = [o for o in self._ops if not o.done.is_set()] + [op]
        op.start()
