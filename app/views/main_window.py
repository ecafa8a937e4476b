"""The main window: navigation on the left, one page at a time on the right.

Pages are imported and built lazily on first show (a page module that is not there yet
shows a placeholder).  Keyboard: Ctrl+F search, Ctrl+N new, F5 refresh, Ctrl+C copies the
selected rows of the focused table as tab-separated text (DataTable does that itself).
"""

from __future__ import annotations

import importlib
import logging
import sys
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings, QSize, Qt, Signal
from PySide6.QtGui import QAction, QCloseEvent, QIcon, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from app.core.errors import Changes
from app.views.changes import hub

log = logging.getLogger("posdesk")

ROOT = Path(__file__).resolve().parents[2]
RESOURCES = ROOT / "resources"
if getattr(sys, "frozen", False):  # PyInstaller: resources sit next to the bundle
    RESOURCES = Path(getattr(sys, "_MEIPASS", ROOT)) / "resources"

# (navigation title, module, class)
PAGES: list[tuple[str, str, str]] = [
    ("工作台", "app.views.dashboard", "DashboardPage"),
    ("代理商", "app.views.agents", "AgentsPage"),
    ("产品", "app.views.products", "ProductsPage"),
    ("政策", "app.views.policies", "PoliciesPage"),
    ("机具", "app.views.terminals", "TerminalsPage"),
    ("押金", "app.views.deposits", "DepositsPage"),
    ("商户", "app.views.merchants", "MerchantsPage"),
    ("商户维护", "app.views.merchant_care", "MerchantCarePage"),
    ("商户分析", "app.views.merchant_analysis", "MerchantAnalysisPage"),
    ("工单", "app.views.tickets", "TicketsPage"),
    ("团队", "app.views.team", "TeamPage"),
    ("交易导入", "app.views.import_wizard", "ImportPage"),
    ("月结", "app.views.month_close", "MonthClosePage"),
    ("对账", "app.views.reconcile", "ReconcilePage"),
    ("试算", "app.views.whatif", "WhatIfPage"),
    ("补差", "app.views.resettle", "ResettlePage"),
    ("审计日志", "app.views.audit_page", "AuditPage"),
    ("设置", "app.views.settings_page", "SettingsPage"),
]


def app_icon() -> QIcon:
    icon = QIcon()
    for name in ("posdesk.ico", "posdesk.png"):
        path = RESOURCES / "icons" / name
        if path.exists():
            icon.addFile(str(path))
    return icon


def load_style(app: QApplication) -> None:
    qss = RESOURCES / "styles" / "app.qss"
    if qss.exists():
        # url(icons/…) in the sheet is relative to resources/, wherever the app runs from
        icons = (RESOURCES / "icons").as_posix()
        app.setStyleSheet(qss.read_text(encoding="utf-8").replace("url(icons/", f"url({icons}/"))


def ensure_font(app: QApplication) -> None:
    """Use the bundled WenQuanYi Micro Hei where the system has no Chinese UI font."""
    from PySide6.QtGui import QFont, QFontDatabase

    families = set(QFontDatabase.families())
    for family in ("Microsoft YaHei UI", "Microsoft YaHei", "PingFang SC", "Noto Sans CJK SC",
                   "WenQuanYi Micro Hei"):
        if family in families:
            break
    else:
        bundled = RESOURCES / "fonts" / "wqy-microhei.ttc"
        family = "WenQuanYi Micro Hei"
        if bundled.exists():
            fid = QFontDatabase.addApplicationFont(str(bundled))
            loaded = QFontDatabase.applicationFontFamilies(fid) if fid >= 0 else []
            family = loaded[0] if loaded else family
    font = QFont(family, 10)
    app.setFont(font)


class PlaceholderPage(QWidget):
    """Shown where a page's module is not there yet."""

    def __init__(self, title: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.nav_title = title
        layout = QVBoxLayout(self)
        label = QLabel(f"「{title}」页面即将推出")
        label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        label.setObjectName("hint")
        layout.addWidget(label)

    def refresh(self) -> None:
        pass


class MainWindow(QMainWindow):
    """The one window of the app.  ``changes_applied`` fires after every operation."""

    changes_applied = Signal(object)

    def __init__(self, db_path: str | Path, parent: QWidget | None = None):
        super().__init__(parent)
        self.db_path = str(db_path)
        self.setWindowTitle("分润台 POSDesk")
        self.setWindowIcon(app_icon())
        self.setMinimumSize(QSize(1000, 640))

        self.nav = QListWidget()
        self.nav.setObjectName("nav")
        self.nav.setFixedWidth(150)
        self.nav.setIconSize(QSize(18, 18))
        # eighteen pages: rows low enough that all fit a 768-high screen, no sideways scroll
        self.nav.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.stack = QStackedWidget()
        self.pages: dict[int, QWidget] = {}
        self._stale: set[int] = set()
        for title, _module, _cls in PAGES:
            item = QListWidgetItem(title)
            item.setSizeHint(QSize(140, 32))
            self.nav.addItem(item)
            self.stack.addWidget(QWidget())  # replaced by the page on first show

        central = QWidget()
        layout = QHBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        side = QWidget()
        side.setObjectName("sidebar")
        side_layout = QVBoxLayout(side)
        side_layout.setContentsMargins(0, 0, 0, 0)
        side_layout.setSpacing(0)
        brand = QLabel("分润台")
        brand.setObjectName("brand")
        brand.setAlignment(Qt.AlignmentFlag.AlignCenter)
        side_layout.addWidget(brand)
        side_layout.addWidget(self.nav, 1)
        layout.addWidget(side)
        layout.addWidget(self.stack, 1)
        self.setCentralWidget(central)

        self.db_label = QLabel()
        self.month_label = QLabel()
        self.statusBar().addWidget(self.db_label, 1)
        self.statusBar().addPermanentWidget(self.month_label)
        self.update_status()

        self._add_shortcuts()
        from app.views import undo

        undo.install(self)
        self.nav.currentRowChanged.connect(self.show_page)
        hub().applied.connect(self._on_changes)
        self._restore_geometry()
        self.nav.setCurrentRow(0)

    # ------------------------------------------------------------ pages
    def page(self, index: int) -> QWidget:
        """The page at ``index``, built on first use."""
        existing = self.pages.get(index)
        if existing is not None:
            return existing
        title, module_name, cls_name = PAGES[index]
        try:
            module = importlib.import_module(module_name)
            page: QWidget = getattr(module, cls_name)(self.stack)
        except ImportError as exc:
            if exc.name != module_name and not str(exc).endswith(f"'{cls_name}'"):
                log.exception("page %s failed to import", module_name)
            page = PlaceholderPage(title, self.stack)
        old = self.stack.widget(index)
        if old is not None:
            self.stack.removeWidget(old)
            old.deleteLater()
        self.stack.insertWidget(index, page)
        self.pages[index] = page
        return page

    def page_by_title(self, title: str) -> QWidget:
        for i, (t, _m, _c) in enumerate(PAGES):
            if t == title:
                return self.page(i)
        raise KeyError(title)

    def show_page(self, index: int) -> None:
        if index < 0:
            return
        page = self.page(index)
        self.stack.setCurrentIndex(index)
        if index in self._stale:
            self._stale.discard(index)
            self._refresh(page)

    def go_to(self, title: str) -> QWidget:
        for i, (t, _m, _c) in enumerate(PAGES):
            if t == title:
                self.nav.setCurrentRow(i)
                return self.page(i)
        raise KeyError(title)

    def current_page(self) -> QWidget:
        return self.page(self.stack.currentIndex())

    def _refresh(self, page: QWidget) -> None:
        from app.views.errors import show_error

        try:
            page.refresh()  # type: ignore[attr-defined]
        except Exception as exc:  # a page must never take the window down
            show_error(self, exc)

    def _on_changes(self, changes: Changes) -> None:
        from app.views.page import Page

        for index, page in self.pages.items():
            if isinstance(page, Page):
                continue  # a Page refreshes itself from the hub
            if index == self.stack.currentIndex():
                self._refresh(page)
            else:
                self._stale.add(index)
        self.update_status()
        self.changes_applied.emit(changes)

    # ------------------------------------------------------------ status bar
    def update_status(self) -> None:
        from app.core.money import format_month
        from app.core.months import agency_name, is_locked, working_month

        try:
            month = working_month()
            state = "已锁定" if is_locked(month) else "未锁定"
            self.month_label.setText(f"当前月份:{format_month(month)}({state})  ")
            self.db_label.setText(f"{agency_name()}   数据库:{self.db_path}")
        except Exception:  # the status bar is informative only
            log.exception("status bar update failed")

    # ------------------------------------------------------------ keyboard
    def _add_shortcuts(self) -> None:
        def action(text: str, keys, slot) -> QAction:
            act = QAction(text, self)
            act.setShortcuts(keys if isinstance(keys, list) else [keys])
            act.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            act.triggered.connect(slot)
            self.addAction(act)
            return act

        self.search_action = action("搜索", QKeySequence.StandardKey.Find, self.focus_search)
        self.new_action = action("新建", QKeySequence.StandardKey.New, self.new_item)
        self.refresh_action = action("刷新", [QKeySequence(Qt.Key.Key_F5)], self.refresh_current)
        for i in range(len(PAGES)):
            action(PAGES[i][0], [QKeySequence(f"Ctrl+{i + 1}")],
                   lambda _c=False, i=i: self.nav.setCurrentRow(i))

    def focus_search(self) -> None:
        page = self.current_page()
        fn = getattr(page, "focus_search", None)
        if fn is not None:
            fn()

    def new_item(self) -> None:
        page = self.current_page()
        fn = getattr(page, "new_item", None)
        if fn is not None:
            fn()

    def refresh_current(self) -> None:
        self._refresh(self.current_page())
        self.update_status()

    # ------------------------------------------------------------ geometry
    def _restore_geometry(self) -> None:
        settings = QSettings()
        geometry = settings.value("main/geometry")
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self.restoreGeometry(geometry)
        else:
            self.resize(1280, 800)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt name
        from app.views.errors import confirm
        from app.views.qt_setup import running_jobs, stop_jobs

        long = [op for op in running_jobs() if op.title]
        if long and not confirm(
                self, f"「{long[0].title}」还没有完成。\n关闭窗口会取消它,已做的部分不会保存"
                      "(无法取消的操作会先做完)。\n\n确定关闭吗?", "操作进行中"):
            event.ignore()
            return
        stop_jobs()
        QSettings().setValue("main/geometry", self.saveGeometry())
        super().closeEvent(event)


def make_app(argv: list[str] | None = None) -> QApplication:
    app = QApplication.instance()
    if app is None:
        app = QApplication(argv if argv is not None else sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setOrganizationName("POSDesk")
    app.setApplicationName("POSDesk")
    app.setApplicationDisplayName("分润台")
    app.setWindowIcon(app_icon())
    from app.views.qt_setup import install_translations, use_fusion

    install_translations(app)
    use_fusion(app)
    ensure_font(app)
    load_style(app)
    return app


def run(db_path: str | Path) -> int:
    """Open the database and the window; returns the exit code (``posdesk`` with no command).

    One window per database: a second start asks the running one to come forward and
    exits.  Any unexpected error is logged and shown in Chinese with the log's path."""
    from app.core.errors import UserError
    from app.core.session import open_database
    from app.runtime import InstanceLock, install_crash_handler, raise_window, refuse_second_start
    from app.views.errors import show_error

    try:
        install_crash_handler()
    except OSError:
        pass
    app = make_app()
    lock = InstanceLock(db_path)
    if not lock.acquire():
        return refuse_second_start(lock)
    try:
        from app.views.sign_in import after_open, check_before_open

        if not check_before_open(db_path):  # a damaged file is never opened for writing
            return 2
        try:
            open_database(db_path)
        except Exception as exc:  # a locked or damaged file: tell the user, don't crash
            show_error(None, UserError(f"无法打开数据库 {db_path}:{exc}"))
            return 2
        from app.io.slip_temp import sweep_leftovers

        sweep_leftovers(db_path)  # slip folders of a batch that was killed
        if not after_open(None):  # the day's backup; sign-in when it is on
            return 0
        window = MainWindow(db_path)
        lock.listen(lambda: raise_window(window))
        window.show()
        from app.views.welcome import needs_welcome, show_welcome

        if needs_welcome():
            show_welcome(window)
        return app.exec()
    finally:
        lock.release()
