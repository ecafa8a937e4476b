"""开始使用: the first-run checklist on 工作台 (``app.core.first_month``), one line per step —
done (✓) or not, what the data shows, and a button to the page where it is done.  Shown
until the office's first month is computed, locked and printed."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QGridLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from app.core import first_month


class ChecklistPanel(QFrame):
    """The checklist; ``navigate(title)`` asks for a page."""

    navigate = Signal(str)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("checklist")
        self.setStyleSheet(
            "#checklist { background: #ffffff; border: 1px solid #cfdcf0; border-radius: 6px; }"
            "QLabel#stepDone { color: #2e7d32; font-weight: bold; }"
            "QLabel#stepTodo { color: #9aa5b4; font-weight: bold; }"
            "QLabel#stepNext { color: #1c5fc4; font-weight: bold; }")
        self.steps: list[first_month.Step] = []
        outer = QVBoxLayout(self)
        outer.setContentsMargins(14, 10, 14, 10)
        self.title = QLabel()
        self.title.setStyleSheet("font-size: 15px; font-weight: bold; color: #1f2a3a;")
        outer.addWidget(self.title)
        self.hint = QLabel("按顺序完成下面各步,就能算出并打印第一个月的分润单。每一步是否完成都由数据判断。")
        self.hint.setObjectName("hint")
        self.hint.setWordWrap(True)
        outer.addWidget(self.hint)
        self.grid = QGridLayout()
        self.grid.setHorizontalSpacing(12)
        self.grid.setVerticalSpacing(4)
        outer.addLayout(self.grid)
        self.buttons: dict[str, QPushButton] = {}

    def refresh(self) -> None:
        self.show_steps(first_month.checklist())

    def show_steps(self, steps: list[first_month.Step]) -> None:
        self.steps = steps
        while self.grid.count():
            item = self.grid.takeAt(0)
            w = item.widget() if item is not None else None
            if w is not None:
                w.deleteLater()
        self.buttons = {}
        done = sum(s.done for s in steps)
        self.title.setText(f"开始使用:第一个月的十步(已完成 {done}/{len(steps)})")
        next_key = next((s.key for s in steps if not s.done), None)
        for row, s in enumerate(steps):
            mark = QLabel("✓" if s.done else ("➜" if s.key == next_key else "○"))
            mark.setObjectName("stepDone" if s.done else ("stepNext" if s.key == next_key else "stepTodo"))
            name = QLabel(f"{row + 1}. {s.title}")
            if s.key == next_key:
                name.setStyleSheet("font-weight: bold;")
            detail = QLabel(s.detail if s.done else f"{s.detail} — {s.how}")
            detail.setObjectName("hint")
            detail.setWordWrap(True)
            button = QPushButton("查看" if s.done else "去完成")
            button.setProperty("primary", s.key == next_key)
            button.clicked.connect(lambda _c=False, page=s.page: self.navigate.emit(page))
            self.buttons[s.key] = button
            self.grid.addWidget(mark, row, 0, Qt.AlignmentFlag.AlignCenter)
            self.grid.addWidget(name, row, 1)
            self.grid.addWidget(detail, row, 2)
            self.grid.addWidget(button, row, 3)
        self.grid.setColumnStretch(2, 1)
        self.setVisible(not first_month.is_complete(steps))
