"""交易导入: a wizard — pick files (several, or drop them here), see how each is read
(kind, payment-company profile, encoding, column mapping, first rows), check them (every
bad row listed, nothing written), import in the background with progress and cancel, and
read the report.  The 导入记录 tab lists every batch and undoes one while its months are open."""

from __future__ import annotations

import functools
from pathlib import Path

from PySide6.QtCore import QSettings, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QMenu,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.core import imports as history_svc
from app.core.errors import Changes, UserError
from app.io import detect
from app.io.reader import KIND_LABELS, KINDS, list_profiles
from app.io.templates import template_order
from app.views.changes import announce
from app.views.errors import confirm, show_error
from app.views.page import Loader, Page
from app.views.table_model import Column, RowsModel, int_column
from app.views.widgets import DataTable, hint_label, title_label
from app.views.workers import run_with_progress

STEPS = ("1 选择文件", "2 预览与列对应", "3 检查", "4 导入报告")
FILTER = "表格文件 (*.csv *.txt *.tsv *.xlsx *.xlsm *.xls *.ods);;所有文件 (*)"


class Entry:
    """One chosen file and how it will be read."""

    def __init__(self, path: Path):
        self.path = path
        self.guess: detect.FileGuess | None = None
        self.error = ""
        self.result: detect.DryRun | None = None

    @property
    def kind(self) -> str:
        return self.guess.kind if self.guess else ""

    @property
    def status(self) -> str:
        if self.error:
            return "无法识别"
        if self.result is None:
            return "待检查"
        return "可以导入" if self.result.ok else f"{len(self.result.errors)} 处错误"


def file_columns() -> list[Column]:
    return [
        Column("文件", lambda e: e.path.name, width=240),
        Column("类型", lambda e: KIND_LABELS.get(e.kind, "") if e.guess else "", width=90),
        Column("导入方案", lambda e: (e.guess.profile or "标准格式") if e.guess else "", width=110),
        Column("编码", lambda e: (e.guess.encoding or "Excel") if e.guess else "", width=100),
        Column("状态", "status", width=100),
        Column("说明", lambda e: e.error or (e.result.message.splitlines()[0] if e.result else ""), width=360),
    ]


def error_columns() -> list[Column]:
    return [
        Column("文件", "file", width=200),
        int_column("行", "row", width=60),
        Column("列", "column", width=120),
        Column("原因", "reason", width=520),
    ]


def mapping_columns() -> list[Column]:
    return [
        Column("字段", lambda c: c.label + (" *" if c.required else ""), width=120),
        Column("文件中的列", lambda c: c.header or ("(缺少)" if c.required else "(无)"), width=160),
    ]


def history_columns() -> list[Column]:
    return [
        int_column("批次", "id", width=56),
        Column("导入时间", "created", width=150),
        Column("类型", "kind_label", width=80),
        Column("文件", "file_name", width=240),
        int_column("新增", "added"),
        int_column("更新", "updated"),
        int_column("跳过", "skipped"),
        Column("涉及月份", lambda b: _months(b.months), width=170),
        Column("可否撤销", lambda b: b.undo_blocked or "可以撤销", width=200),
    ]


def _months(months: tuple[str, ...]) -> str:
    if len(months) > 2:
        return f"{months[0]} 至 {months[-1]}({len(months)} 个月)"
    return "、".join(months)


def _cell(i: int):
    return lambda r: r[1][i]


class DropArea(QFrame):
    """A dashed box that takes dropped files."""

    dropped = Signal(list)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setAcceptDrops(True)
        self.setObjectName("dropArea")
        self.setMinimumHeight(90)
        layout = QVBoxLayout(self)
        label = QLabel("把支付公司导出的交易明细、激活、机具等文件拖到这里(可一次多个)\n支持 CSV(UTF-8/GBK)、XLSX、XLS")
        label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        label.setObjectName("hint")
        layout.addWidget(label)

    def dragEnterEvent(self, event) -> None:  # noqa: N802 - Qt name
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:  # noqa: N802 - Qt name
        paths = [Path(u.toLocalFile()) for u in event.mimeData().urls() if u.isLocalFile()]
        if paths:
            self.dropped.emit(paths)
            event.acceptProposedAction()


class ImportWizard(QWidget):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.entries: list[Entry] = []
        self.reports: list = []
        self.loader = Loader(self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 8, 0, 0)
        self.step_label = QLabel()
        self.step_label.setTextFormat(Qt.TextFormat.RichText)
        layout.addWidget(self.step_label)
        self.stack = QStackedWidget()
        layout.addWidget(self.stack, 1)
        self.stack.addWidget(self._pick_step())
        self.stack.addWidget(self._preview_step())
        self.stack.addWidget(self._check_step())
        self.stack.addWidget(self._report_step())
        nav = QHBoxLayout()
        self.restart_button = QPushButton("重新开始")
        self.restart_button.clicked.connect(self.restart)
        nav.addWidget(self.restart_button)
        nav.addStretch(1)
        self.back_button = QPushButton("上一步")
        self.back_button.clicked.connect(lambda: self.go(self.stack.currentIndex() - 1))
        self.next_button = QPushButton("下一步")
        self.next_button.setProperty("primary", True)
        self.next_button.clicked.connect(self.next_step)
        nav.addWidget(self.back_button)
        nav.addWidget(self.next_button)
        layout.addLayout(nav)
        self.go(0)

    def _template_chosen(self, kind: str, _checked: bool = False) -> None:
        self.save_template(kind)

    def save_template(self, kind: str, path: Path | None = None) -> Path | None:
        """Write the import template of ``kind`` (asks where unless ``path`` is given)."""
        from app.io.templates import template_file_name, write_template
        from app.views.errors import show_info

        if path is None:
            folder = str(QSettings().value("export/folder", "") or Path.home())
            chosen, _ = QFileDialog.getSaveFileName(
                self, "保存导入模板", str(Path(folder) / template_file_name(kind)),
                "Excel 工作簿 (*.xlsx)")
            if not chosen:
                return None
            path = Path(chosen if chosen.lower().endswith(".xlsx") else chosen + ".xlsx")
            QSettings().setValue("export/folder", str(path.parent))
        try:
            write_template(kind, path)
        except (OSError, UserError) as exc:
            show_error(self, f"模板未能保存:{exc}")
            return None
        show_info(self, f"已保存{KIND_LABELS.get(kind, kind)}导入模板:\n{path}\n\n"
                        "填好后把文件拖到这里导入;各列的规则见模板里的「说明」页。")
        return path

    # ------------------------------------------------------------ steps
    def _pick_step(self) -> QWidget:
        w = QWidget()
        layout = QVBoxLayout(w)
        layout.setContentsMargins(0, 0, 0, 0)
        self.drop = DropArea()
        self.drop.dropped.connect(self.add_files)
        layout.addWidget(self.drop)
        row = QHBoxLayout()
        pick = QPushButton("选择文件…")
        pick.clicked.connect(self.pick_files)
        remove = QPushButton("移除所选")
        remove.clicked.connect(self.remove_selected)
        row.addWidget(pick)
        row.addWidget(remove)
        self.template_button = QPushButton("下载模板")
        self.template_button.setToolTip("每种导入一个 Excel 模板:中文表头、一行示例、「说明」页写明每列的规则")
        menu = QMenu(self.template_button)
        for kind in template_order():
            act = menu.addAction(f"{KIND_LABELS.get(kind, kind)}模板…")
            act.triggered.connect(functools.partial(self._template_chosen, kind))
        self.template_button.setMenu(menu)
        row.addWidget(self.template_button)
        self.map_button = QPushButton("建立导入方案…")
        self.map_button.setToolTip("支付公司的导出格式不认识时:把它的列和取值对应到标准列,保存为本机构的导入方案")
        self.map_button.clicked.connect(lambda: self.map_file())
        row.addWidget(self.map_button)
        row.addWidget(hint_label("自动识别文件类型、支付公司导出格式和编码;识别不对可在下一步改。"))
        row.addStretch(1)
        layout.addLayout(row)
        self.files_model = RowsModel(file_columns())
        self.files = DataTable()
        self.files.setModel(self.files_model)
        layout.addWidget(self.files, 1)
        return w

    def _preview_step(self) -> QWidget:
        w = QWidget()
        layout = QVBoxLayout(w)
        layout.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()
        row.addWidget(QLabel("文件"))
        self.preview_file = QComboBox()
        self.preview_file.setMinimumWidth(260)
        self.preview_file.currentIndexChanged.connect(lambda _i: self.show_preview())
        row.addWidget(self.preview_file)
        row.addWidget(QLabel("类型"))
        self.kind_combo = QComboBox()
        for k in KINDS:
            self.kind_combo.addItem(KIND_LABELS[k], k)
        row.addWidget(self.kind_combo)
        row.addWidget(QLabel("导入方案"))
        self.profile_combo = QComboBox()
        self.profile_combo.setMinimumWidth(150)
        row.addWidget(self.profile_combo)
        apply = QPushButton("按此读取")
        apply.clicked.connect(self.reread)
        row.addWidget(apply)
        row.addStretch(1)
        layout.addLayout(row)
        self.read_info = QLabel()
        self.read_info.setObjectName("hint")
        layout.addWidget(self.read_info)
        split = QSplitter(Qt.Orientation.Horizontal)
        self.mapping_model = RowsModel(mapping_columns())
        self.mapping = DataTable(multi=False)
        self.mapping.setModel(self.mapping_model)
        self.mapping.setSortingEnabled(False)
        split.addWidget(self.mapping)
        self.rows_model = RowsModel([])
        self.rows = DataTable()
        self.rows.setModel(self.rows_model)
        split.addWidget(self.rows)
        split.setSizes([300, 900])
        layout.addWidget(split, 1)
        return w

    def _check_step(self) -> QWidget:
        w = QWidget()
        layout = QVBoxLayout(w)
        layout.setContentsMargins(0, 0, 0, 0)
        self.check_summary = QLabel()
        self.check_summary.setWordWrap(True)
        self.check_summary.setTextFormat(Qt.TextFormat.RichText)
        layout.addWidget(self.check_summary)
        self.errors_model = RowsModel(error_columns())
        self.errors = DataTable()
        self.errors.setModel(self.errors_model)
        layout.addWidget(self.errors, 1)
        return w

    def _report_step(self) -> QWidget:
        w = QWidget()
        layout = QVBoxLayout(w)
        layout.setContentsMargins(0, 0, 0, 0)
        self.report_text = QPlainTextEdit()
        self.report_text.setReadOnly(True)
        layout.addWidget(self.report_text, 1)
        return w

    def go(self, index: int) -> None:
        index = max(0, min(index, len(STEPS) - 1))
        self.stack.setCurrentIndex(index)
        parts = []
        for i, name in enumerate(STEPS):
            style = "color:#1c5fc4;font-weight:bold" if i == index else "color:#8a94a3"
            parts.append(f"<span style='{style}'>{name}</span>")
        self.step_label.setText("  ›  ".join(parts))
        self.back_button.setEnabled(0 < index < 3)
        self.next_button.setText(("下一步", "检查", "开始导入", "完成")[index])
        self._update_next()
        if index == 1:
            self._fill_preview_files()

    def _update_next(self) -> None:
        index = self.stack.currentIndex()
        readable = [e for e in self.entries if e.guess is not None]
        if index in (0, 1):
            ok = bool(readable) and not any(e.error for e in self.entries)
        elif index == 2:
            ok = bool(readable) and all(e.result is not None and e.result.ok for e in readable)
        else:
            ok = True
        self.next_button.setEnabled(ok)

    def next_step(self) -> None:
        index = self.stack.currentIndex()
        if index == 0:
            self.go(1)
        elif index == 1:
            self.run_check()
        elif index == 2:
            self.run_import()
        else:
            self.restart()

    def restart(self) -> None:
        self.entries = []
        self.files_model.set_rows([])
        self.errors_model.set_rows([])
        self.report_text.clear()
        self.go(0)

    # ------------------------------------------------------------ step 1
    def pick_files(self) -> None:
        names, _ = QFileDialog.getOpenFileNames(self, "选择要导入的文件", "", FILTER)
        if names:
            self.add_files([Path(n) for n in names])

    def add_files(self, paths: list[Path]) -> None:
        known = {e.path for e in self.entries}
        new = [Entry(p) for p in paths if p not in known]
        if not new:
            return
        self.entries.extend(new)

        def job():
            for e in new:
                try:
                    e.guess = detect.detect_file(e.path)
                except UserError as exc:
                    e.error = exc.message
            return new

        self.files_model.set_rows(self.entries)
        self.loader.load(job, lambda _r: self._detected())

    def _detected(self) -> None:
        self.files_model.set_rows(self.entries)
        self._update_next()

    def map_file(self, entry: Entry | None = None) -> Path | None:
        """Open 建立导入方案 for the selected file (or the first one not recognised); once a
        profile is saved, the file is read again with it."""
        from app.views.profile_mapper import ProfileMapperDialog

        if entry is None:
            chosen = self.files.selected_objects()
            entry = chosen[0] if chosen else next((e for e in self.entries if e.error), None)
        if entry is None:
            show_error(self, "请先选择要建立导入方案的文件")
            return None
        kind = entry.kind if entry.kind in ("transactions", "activations") else "transactions"
        try:
            dialog = ProfileMapperDialog(entry.path, kind, self)
        except UserError as exc:
            show_error(self, exc)
            return None
        self.mapper = dialog  # for tests
        if not dialog.exec() or dialog.saved is None:
            return None
        self.entries = [e for e in self.entries if e is not entry]
        self.add_files([entry.path])
        return dialog.saved

    def remove_selected(self) -> None:
        gone = {id(e) for e in self.files.selected_objects()}
        self.entries = [e for e in self.entries if id(e) not in gone]
        self.files_model.set_rows(self.entries)
        self._update_next()

    # ------------------------------------------------------------ step 2
    def _fill_preview_files(self) -> None:
        self.preview_file.blockSignals(True)
        self.preview_file.clear()
        for e in self.entries:
            if e.guess is not None:
                self.preview_file.addItem(e.path.name, str(e.path))
        self.preview_file.blockSignals(False)
        self.show_preview()

    def _entry(self) -> Entry | None:
        path = self.preview_file.currentData()
        for e in self.entries:
            if str(e.path) == path:
                return e
        return None

    def _fill_profiles(self, kind: str, selected: str | None) -> None:
        self.profile_combo.clear()
        self.profile_combo.addItem("标准格式", None)
        for p in list_profiles():
            kinds = p["kind"] if isinstance(p["kind"], list) else [p["kind"]]
            if kind in kinds:
                self.profile_combo.addItem(f"{p['company']}({p['name']})", p["name"])
        self.profile_combo.setCurrentIndex(max(self.profile_combo.findData(selected), 0))

    def show_preview(self) -> None:
        e = self._entry()
        if e is None or e.guess is None:
            return
        g = e.guess
        self.kind_combo.setCurrentIndex(self.kind_combo.findData(g.kind))
        self._fill_profiles(g.kind, g.profile)
        where = f"工作表「{g.sheet}」," if g.sheet else ""
        self.read_info.setText(
            f"{g.path.name}:{KIND_LABELS[g.kind]}文件,{where}编码 {g.encoding or 'Excel'},表头在第 {g.header_row} 行"
            + (f";未识别的列(将忽略):{'、'.join(g.unknown_columns)}" if g.unknown_columns else "")
        )
        self.mapping_model.set_rows(g.columns)
        keys = g.preview_keys
        labels = {c.key: c.label for c in g.columns}
        cols = [Column("行", 0, align="right", width=50)] + [
            Column(labels[k], _cell(i), width=120) for i, k in enumerate(keys)
        ]
        self.rows_model.columns = cols
        self.rows_model.set_rows(g.preview)
        self.rows.setModel(self.rows_model)

    def reread(self) -> None:
        e = self._entry()
        if e is None:
            return
        try:
            e.guess = detect.open_as(e.path, self.kind_combo.currentData(), self.profile_combo.currentData())
            e.result = None
        except UserError as exc:
            show_error(self, exc)
            return
        self.files_model.set_rows(self.entries)
        self.show_preview()

    # ------------------------------------------------------------ step 3
    def jobs(self) -> list[detect.FileJob]:
        return [detect.FileJob(e.path, e.guess.kind, e.guess.profile) for e in self.entries if e.guess]

    def run_check(self) -> None:
        jobs = self.jobs()

        def job(progress, cancel):
            return detect.check_files(jobs, progress, cancel)

        run_with_progress(self, "正在检查文件(不会写入数据)……", job, on_done=self._checked)

    def _checked(self, results: list[detect.DryRun]) -> None:
        by_path = dict(zip([j.path for j in self.jobs()], results, strict=False))
        errors = []
        for e in self.entries:
            e.result = by_path.get(e.path)
            if e.result is not None:
                errors.extend(e.result.errors)
        self.errors_model.set_rows(errors)
        self.files_model.set_rows(self.entries)
        if errors:
            self.check_summary.setText(
                f"<span style='color:#c0392b'><b>发现 {len(errors)} 处错误,未写入任何数据。</b></span>"
                "请在表格软件中改正这些行后重新选择文件。")
        else:
            lines = "<br>".join(r.message.replace("\n", "<br>") for r in results if r.report)
            self.check_summary.setText(f"<b>检查通过</b>,可以导入:<br>{lines}")
        self.go(2)

    def _push_undo(self, reports) -> None:
        """An import is undone batch by batch, newest first, like 撤销所选批次."""
        from app.views import undo

        batches = [r.batch_id for r in reports if getattr(r, "batch_id", None)]
        if not batches:
            return
        names = "、".join(e.path.name for e in self.entries[:2]) + (" 等" if len(self.entries) > 2 else "")

        def inverse() -> Changes:
            last = Changes()
            for b in reversed(batches):
                last = history_svc.undo_batch(b)
            return Changes({"imports", "transactions", "terminals", "agents", "policies", "statements"},
                           last.months, f"已撤销导入 {names}")

        undo.push(f"导入 {names}", inverse)

    def ask_changes(self, text: str) -> bool:
        """The confirmation of an agents import that changes existing agents (tests replace it)."""
        return confirm(self, f"此次导入将修改已有代理:\n\n{text}\n\n确定导入吗?", "导入将修改已有代理")

    # ------------------------------------------------------------ step 4
    def run_import(self) -> None:
        jobs = self.jobs()
        # an agents file that changes existing agents: show the changes and ask first
        changes = [e.result.report.confirm_text for e in self.entries
                   if e.result is not None and e.result.report is not None and e.result.report.confirm_text]
        if changes and not self.ask_changes("\n\n".join(changes)):
            return

        def job(progress, cancel):
            return detect.import_files(jobs, progress, cancel)

        def done(reports) -> None:
            self.reports = reports
            self.report_text.setPlainText(
                "导入完成。\n\n" + "\n\n".join(r.summary() + f"\n(批次 {r.batch_id})" for r in reports)
                + "\n\n导入的交易在重新计算月结后计入分润。"
            )
            months: set[str] = set()
            announce(Changes({"imports", "transactions", "terminals", "agents", "policies", "statements"}, months,
                             "导入完成"))
            self._push_undo(reports)
            self.go(3)

        def failed(message: str) -> None:
            show_error(self, message, "导入未完成")

        run_with_progress(self, "正在导入……", job, on_done=done, on_error=failed)


class HistoryPanel(QWidget):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 8, 0, 0)
        row = QHBoxLayout()
        self.undo_button = QPushButton("撤销所选批次")
        self.undo_button.clicked.connect(self.undo)
        row.addWidget(self.undo_button)
        row.addWidget(hint_label("撤销会删除该批次导入的全部交易、流转、调账或入库记录(代理导入则恢复导入前的资料);涉及已锁定月份的批次不能撤销。"))
        row.addStretch(1)
        layout.addLayout(row)
        self.model = RowsModel(history_columns())
        self.table = DataTable(multi=False)
        self.table.setModel(self.model)
        self.table.selectionModel().selectionChanged.connect(lambda *_a: self._update())
        layout.addWidget(self.table, 1)
        self.refresh()

    def refresh(self) -> None:
        self.model.set_rows(history_svc.import_history())
        self._update()

    def _update(self) -> None:
        b = self.table.current_object() if self.table.selected_view_rows() else None
        self.undo_button.setEnabled(b is not None and not b.undo_blocked)

    def undo(self, ask: bool = True) -> None:
        b = self.table.current_object()
        if b is None:
            return
        if ask and not confirm(self, f"撤销批次 {b.id}({b.kind_label},{b.file_name})?\n该批次导入的记录将全部删除。"):
            return

        def job(progress, _cancel):
            progress(10, "正在撤销……")
            return history_svc.undo_batch(b.id)

        def done(changes) -> None:
            announce(changes)
            self.refresh()

        run_with_progress(self, "撤销导入", job, on_done=done, cancellable=False)


class ImportPage(Page):
    nav_title = "交易导入"
    watches = frozenset({"imports", "months", "all"})

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(16, 12, 16, 8)
        outer.addWidget(title_label("交易导入"))
        self.tabs = QTabWidget()
        self.wizard = ImportWizard()
        self.history = HistoryPanel()
        self.tabs.addTab(self.wizard, "导入向导")
        self.tabs.addTab(self.history, "导入记录")
        self.tabs.currentChanged.connect(self._tab_changed)
        outer.addWidget(self.tabs, 1)

    def _tab_changed(self, index: int) -> None:
        if index == 1:
            self.history.refresh()

    def refresh(self) -> None:
        self.history.refresh()

    def new_item(self) -> None:
        self.tabs.setCurrentIndex(0)
        self.wizard.pick_files()
