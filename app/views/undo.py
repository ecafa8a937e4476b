"""撤销 / 重做 for what the office does by hand (QUndoStack).

Every command here wraps an operation a core service has already done, and the service's
inverse: a product added (``products.delete_product``), a price row saved or deleted, a
policy version added (``policies.delete_policy``), a deposit entry (``deposit_entries.cancel``),
a manual move or an import (``imports.undo_batch``).  The inverse runs *before* the stack
moves, so when it is refused — its month was locked meanwhile — the user sees why and the
stack stays where it was.  The window's 撤销 action reads "撤销:<what it will undo>".
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QCoreApplication, QObject
from PySide6.QtGui import QUndoCommand, QUndoStack
from PySide6.QtWidgets import QWidget

from app.core.errors import Changes, UserError
from app.views.changes import announce

Op = Callable[[], Changes]


class ServiceCommand(QUndoCommand):
    """An operation already done; ``inverse`` takes it back, ``again`` does it once more."""

    def __init__(self, text: str, inverse: Op, again: Op | None = None):
        super().__init__(text)
        self.inverse = inverse
        self.again = again

    def undo(self) -> None:  # the stack only moves: undo_last has run the inverse
        pass

    def redo(self) -> None:  # on push the work is done already; redo_next runs ``again``
        pass


_STACKS: dict[int, QUndoStack] = {}


def stack() -> QUndoStack:
    """The application's one undo stack."""
    app = QCoreApplication.instance()
    key = id(app)
    found = _STACKS.get(key)
    if found is None:
        found = QUndoStack(app)
        found.setUndoLimit(50)
        _STACKS.clear()
        _STACKS[key] = found
    return found


def push(text: str, inverse: Op, again: Op | None = None) -> None:
    """Record an operation just done (its ``redo`` is not run again on push)."""
    cmd = ServiceCommand(text, inverse, again)
    s = stack()
    s.push(cmd)  # QUndoStack calls redo() on push: ServiceCommand.redo does nothing


def undo_text() -> str:
    s = stack()
    return s.undoText() if s.canUndo() else ""


def undo_last(parent: QWidget | None = None) -> Changes | None:
    """Take back the latest operation (its inverse service first, then the stack)."""
    from app.views.errors import show_error

    s = stack()
    if not s.canUndo():
        return None
    cmd = s.command(s.index() - 1)
    assert isinstance(cmd, ServiceCommand)
    try:
        changes = cmd.inverse()
    except UserError as exc:
        show_error(parent, f"无法撤销「{cmd.text()}」:{exc}")
        return None
    s.undo()
    if cmd.again is None:  # cannot be redone: drop everything above
        s.push(_Marker())
        s.undo()
    announce(changes)
    return changes


def redo_next(parent: QWidget | None = None) -> Changes | None:
    from app.views.errors import show_error

    s = stack()
    if not s.canRedo():
        return None
    cmd = s.command(s.index())
    if not isinstance(cmd, ServiceCommand) or cmd.again is None:
        return None
    try:
        changes = cmd.again()
    except UserError as exc:
        show_error(parent, f"无法重做「{cmd.text()}」:{exc}")
        return None
    s.redo()
    announce(changes)
    return changes


class _Marker(QUndoCommand):
    """Pushed and undone at once to cut the redo tail of a command that cannot be redone."""

    def __init__(self) -> None:
        super().__init__("")


class _UndoUi(QObject):
    """The window's undo controls; a child of the window, so that the stack's signals stop
    reaching it when the window is gone."""

    def __init__(self, window) -> None:
        super().__init__(window)
        from PySide6.QtCore import Qt
        from PySide6.QtGui import QAction, QKeySequence
        from PySide6.QtWidgets import QPushButton

        self.undo_action = QAction("撤销", window)
        self.undo_action.setShortcut(QKeySequence.StandardKey.Undo)
        self.undo_action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        self.undo_action.triggered.connect(lambda: undo_last(window))
        self.redo_action = QAction("重做", window)
        self.redo_action.setShortcuts([QKeySequence("Ctrl+Y"), QKeySequence("Ctrl+Shift+Z")])
        self.redo_action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        self.redo_action.triggered.connect(lambda: redo_next(window))
        window.addAction(self.undo_action)
        window.addAction(self.redo_action)
        self.button = QPushButton()
        self.button.setObjectName("undoButton")
        self.button.setFlat(True)
        self.button.setToolTip("Ctrl+Z")
        self.button.clicked.connect(lambda: undo_last(window))
        window.statusBar().addPermanentWidget(self.button)
        s = stack()
        s.indexChanged.connect(self.update)
        s.cleanChanged.connect(self.update)
        self.update()

    def update(self, *_args: object) -> None:
        s = stack()
        text = undo_text()
        self.undo_action.setText(f"撤销:{text}" if text else "撤销")
        self.undo_action.setEnabled(bool(text))
        self.button.setText(f"↶ 撤销:{text}" if text else "")
        self.button.setVisible(bool(text))
        nxt = s.command(s.index()) if s.canRedo() else None
        can_redo = isinstance(nxt, ServiceCommand) and nxt.again is not None
        self.redo_action.setEnabled(can_redo)
        self.redo_action.setText(f"重做:{nxt.text()}" if can_redo and nxt is not None else "重做")


def install(window) -> None:
    """The window's 撤销 (Ctrl+Z) and 重做 (Ctrl+Y): keyboard actions and a button in the
    status bar that says what it will undo."""
    ui = _UndoUi(window)
    window.undo_action = ui.undo_action
    window.redo_action = ui.redo_action
    window.undo_button = ui.button
