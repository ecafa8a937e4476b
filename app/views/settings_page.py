"""设置: the agency profile printed on every slip, the settlement parameters, the data
folder with backup and restore, and the about box.

Setting keys (``Setting`` table): ``agency_name``, ``agency_logo`` (a copy of the chosen
image inside the data folder, so the slips keep it when the original moves),
``agency_address``, ``agency_phone``, ``min_payout`` (fen), ``default_tax_rate`` (ppm; the
tax rate a new agent starts with).

Restore never overwrites the open database: the backup is checked (integrity, schema
version), copied to a new file the user names, checked again, and then opened.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from PySide6.QtCore import QSettings, Qt, QUrl
from PySide6.QtGui import QDesktopServices, QPixmap
from PySide6.QtWidgets import (
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from app.core import values
from app.core.errors import Changes, UserError
from app.core.money import (
    ParseError,
    format_money,
    format_rate,
)
from app.core.months import get_setting, set_setting
from app.views.changes import announce
from app.views.errors import show_error, show_info
from app.views.page import Page
from app.views.widgets import hint_label, title_label
from app.views.workers import Operation, run_with_progress

LOGO_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif")


def app_version() -> str:
    try:
        from importlib.metadata import version

        return version("posdesk")
    except Exception:  # not installed as a package (running from the source tree)
        return "0.1.0"


def database_path() -> Path | None:
    from app.core.session import database_path as open_path

    return open_path()


def restore_backup(source: Path, target: Path) -> int:
    """Check ``source``, copy it to the new file ``target`` and check the copy; returns
    the schema version.  The open database is never touched."""
    from app.io.backup import check_backup

    source, target = Path(source), Path(target)
    if target.exists():
        raise UserError(f"{target} 已存在:恢复只写入新文件,请换一个文件名")
    current = database_path()
    if current is not None and target.resolve() == current.resolve():
        raise UserError("不能恢复到正在使用的数据库文件")
    version = check_backup(source)
    from app.core.session import latest_schema

    latest = latest_schema()
    if version > latest:
        raise UserError(f"备份的数据库版本 {version} 比本程序支持的 {latest} 新,请先升级分润台")
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    check_backup(target)
    return version


class SettingsPage(Page):
    nav_title = "设置"
    watches = frozenset({"settings", "all"})

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.op: Operation | None = None
        self.last_backup: Path | None = None
        self.restored: Path | None = None
        outer = QVBoxLayout(self)
        outer.addWidget(title_label("设置"))
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        body = QWidget()
        scroll.setWidget(body)
        outer.addWidget(scroll, 1)
        lay = QVBoxLayout(body)

        profile = QGroupBox("本机构资料(印在每张分润单的页眉)")
        form = QFormLayout(profile)
        self.name = QLineEdit()
        self.address = QLineEdit()
        self.phone = QLineEdit()
        logo_row = QHBoxLayout()
        self.logo_preview = QLabel("(无)")
        self.logo_preview.setFixedSize(160, 60)
        self.logo_preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.logo_preview.setStyleSheet("border:1px dashed #b0bec5; color:#90a4ae;")
        self.logo_path = ""
        self.logo_btn = QPushButton("选择图片…")
        self.logo_clear = QPushButton("清除")
        logo_row.addWidget(self.logo_preview)
        logo_row.addWidget(self.logo_btn)
        logo_row.addWidget(self.logo_clear)
        logo_row.addStretch(1)
        form.addRow("机构名称:", self.name)
        form.addRow("标志(Logo):", logo_row)
        form.addRow("地址:", self.address)
        form.addRow("电话:", self.phone)
        lay.addWidget(profile)

        money = QGroupBox("结算参数")
        mform = QFormLayout(money)
        self.min_payout = QLineEdit()
        self.min_payout.setPlaceholderText("例如 50 或 50.00(元)")
        self.tax = QLineEdit()
        self.tax.setPlaceholderText("例如 6%、6 或 0.06")
        self.echo = QLabel()
        self.echo.setWordWrap(True)
        mform.addRow("起付金额(元):", self.min_payout)
        mform.addRow("新代理默认税点:", self.tax)
        mform.addRow("", self.echo)
        mform.addRow("", hint_label("实发金额低于起付金额的代理本月不发放,金额全部结转下月。"
                                    "税点按合计金额计算;已有代理的税点在「代理商」页修改。", wrap=True))
        lay.addWidget(money)

        row = QHBoxLayout()
        self.save_btn = QPushButton("保存")
        self.save_btn.setObjectName("primary")
        self.revert_btn = QPushButton("放弃修改")
        row.addWidget(self.save_btn)
        row.addWidget(self.revert_btn)
        row.addStretch(1)
        lay.addLayout(row)

        data = QGroupBox("数据")
        dl = QVBoxLayout(data)
        path_row = QHBoxLayout()
        self.folder = QLabel()
        self.folder.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.folder.setWordWrap(True)
        self.open_folder = QPushButton("打开数据文件夹")
        path_row.addWidget(QLabel("数据库文件:"))
        path_row.addWidget(self.folder, 1)
        path_row.addWidget(self.open_folder)
        dl.addLayout(path_row)
        brow = QHBoxLayout()
        self.backup_btn = QPushButton("立即备份…")
        self.restore_btn = QPushButton("从备份恢复…")
        brow.addWidget(self.backup_btn)
        brow.addWidget(self.restore_btn)
        brow.addStretch(1)
        dl.addLayout(brow)
        dl.addWidget(hint_label(
            "备份是数据库的完整副本(可在使用中备份)。恢复时先检查备份文件是否完好,"
            "再复制为一个新的数据库文件并打开它,当前数据库保持不变。", wrap=True))
        lay.addWidget(data)

        from app.views.trust_settings import TrustPanel

        self.trust = TrustPanel()  # 用户, 自动备份, 数据校验
        lay.addWidget(self.trust)

        about = QGroupBox("关于")
        al = QHBoxLayout(about)
        self.version_label = QLabel(f"分润台 POSDesk  版本 {app_version()}")
        self.about_btn = QPushButton("关于分润台…")
        al.addWidget(self.version_label)
        al.addStretch(1)
        al.addWidget(self.about_btn)
        lay.addWidget(about)
        lay.addStretch(1)

        self.logo_btn.clicked.connect(self.choose_logo)
        self.logo_clear.clicked.connect(lambda: self.set_logo(""))
        self.save_btn.clicked.connect(self.save)
        self.revert_btn.clicked.connect(self.refresh)
        self.min_payout.textChanged.connect(lambda _t: self._echo())
        self.tax.textChanged.connect(lambda _t: self._echo())
        self.open_folder.clicked.connect(self._open_folder)
        self.backup_btn.clicked.connect(self.backup)
        self.restore_btn.clicked.connect(self.restore)
        self.about_btn.clicked.connect(self.about)
        self.refresh()

    # ------------------------------------------------------------ injection points
    def ask_open_file(self, title: str, filter_: str) -> str:
        folder = str(QSettings().value("settings/folder", "") or Path.home())
        path, _ = QFileDialog.getOpenFileName(self, title, folder, filter_)
        if path:
            QSettings().setValue("settings/folder", str(Path(path).parent))
        return path

    def ask_save_file(self, title: str, name: str, filter_: str) -> str:
        folder = str(QSettings().value("settings/folder", "") or Path.home())
        path, _ = QFileDialog.getSaveFileName(self, title, str(Path(folder) / name), filter_)
        return path

    def ask_yes(self, text: str, title: str) -> bool:
        answer = QMessageBox.question(self, title, text)
        return answer == QMessageBox.StandardButton.Yes

    # ------------------------------------------------------------ profile
    def refresh(self) -> None:
        self.name.setText(get_setting("agency_name", ""))
        self.address.setText(get_setting("agency_address", ""))
        self.phone.setText(get_setting("agency_phone", ""))
        self.set_logo(get_setting("agency_logo", ""), copy=False)
        self.min_payout.setText(format_money(int(get_setting("min_payout", "0") or 0), symbol=False))
        self.tax.setText(format_rate(int(get_setting("default_tax_rate", "0") or 0)))
        path = database_path()
        self.folder.setText(str(path) if path else "(内存数据库)")
        self.open_folder.setEnabled(path is not None)
        self._echo()
        if hasattr(self, "trust"):
            self.trust.refresh()

    def set_logo(self, path: str, copy: bool = True) -> None:
        self.logo_path = path
        pix = QPixmap(path) if path else QPixmap()
        if path and not pix.isNull():
            self.logo_preview.setPixmap(pix.scaled(
                self.logo_preview.size(), Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.SmoothTransformation))
        else:
            self.logo_preview.setPixmap(QPixmap())
            self.logo_preview.setText("(无)" if not path else "(图片无法读取)")

    def choose_logo(self) -> None:
        path = self.ask_open_file("选择机构标志", "图片 (*.png *.jpg *.jpeg *.bmp *.gif)")
        if path:
            if QPixmap(path).isNull():
                show_error(self, f"{Path(path).name} 不是可读取的图片")
                return
            self.set_logo(path)

    def _parsed(self) -> tuple[int, int]:
        try:
            fen = values.money(self.min_payout.text() or "0")
        except ParseError as exc:
            raise UserError(f"起付金额:{exc}") from None
        if fen < 0:
            raise UserError("起付金额不能为负")
        try:
            tax = values.tax_rate(self.tax.text())
        except ParseError as exc:
            raise UserError(f"默认税点:{exc}") from None
        return fen, tax

    def _echo(self) -> None:
        try:
            fen, tax = self._parsed()
        except UserError as exc:
            self.echo.setText(f"<span style='color:#c62828'>{exc}</span>")
            return
        self.echo.setText(f"将保存为:起付金额 {format_money(fen)},新代理默认税点 {format_rate(tax)}")

    def _stored_logo(self, path: str) -> str:
        """Keep a copy of the logo next to the database, so slips find it later."""
        if not path:
            return ""
        src = Path(path)
        folder = database_path()
        if folder is None or not src.is_file():
            return path
        target = folder.parent / f"agency_logo{src.suffix.lower()}"
        if src.resolve() != target.resolve():
            shutil.copyfile(src, target)
        return str(target)

    def save(self) -> bool:
        name = self.name.text().strip()
        try:
            if not name:
                raise UserError("机构名称不能为空")
            fen, tax = self._parsed()
            logo = self._stored_logo(self.logo_path)
        except (UserError, OSError) as exc:
            show_error(self, exc if isinstance(exc, UserError) else UserError(f"无法保存标志图片:{exc}"))
            return False
        values = {
            "agency_name": name,
            "agency_address": self.address.text().strip(),
            "agency_phone": self.phone.text().strip(),
            "agency_logo": logo,
            "min_payout": str(fen),
            "default_tax_rate": str(tax),
        }
        for key, value in values.items():
            set_setting(key, value)
        announce(Changes({"settings"}, message="已保存设置"))
        self.refresh()
        show_info(self, f"已保存。起付金额 {format_money(fen)},新代理默认税点 {format_rate(tax)}。")
        return True

    # ------------------------------------------------------------ data
    def _open_folder(self) -> None:
        path = database_path()
        if path is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(path.parent)))

    def backup(self) -> None:
        import datetime as dt

        from app.io.backup import backup_to

        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        dest = self.ask_save_file("备份到", f"posdesk-backup-{stamp}.db", "分润台数据库 (*.db)")
        if not dest:
            return
        target = Path(dest)

        def job(progress, _cancel):
            progress(10, "正在备份……")
            try:
                return backup_to(target)
            finally:
                from app.core.session import close_connection

                close_connection()

        def done(result: object) -> None:
            self.op = None
            self.last_backup = Path(str(result))
            show_info(self, f"已备份到\n{result}", "备份完成")

        def failed(message: str) -> None:
            self.op = None
            show_error(self, message)

        self.op = run_with_progress(self, "备份", job, done, failed, cancellable=False)

    def restore(self) -> None:
        source = self.ask_open_file("选择备份文件", "分润台数据库 (*.db);;所有文件 (*)")
        if not source:
            return
        try:
            from app.io.backup import check_backup

            check_backup(Path(source))
        except UserError as exc:
            show_error(self, exc)
            return
        name = Path(source).stem + "-恢复.db"
        dest = self.ask_save_file("恢复为新的数据库文件", name, "分润台数据库 (*.db)")
        if not dest:
            return
        try:
            restore_backup(Path(source), Path(dest))
        except UserError as exc:
            show_error(self, exc)
            return
        self.restored = Path(dest)
        if self.ask_yes(f"备份已检查无误并恢复为\n{dest}\n\n现在打开这个数据库吗?(当前数据库保持不变)",
                        "恢复完成"):
            self.open_restored(Path(dest))

    def open_restored(self, path: Path) -> None:
        from app.core.session import open_database

        try:
            open_database(path)
        except Exception as exc:
            show_error(self, UserError(f"无法打开 {path}:{exc}"))
            return
        window = self.window()
        if hasattr(window, "db_path"):
            window.db_path = str(path)
        announce(Changes({"all"}, message="已打开恢复的数据库"))
        self.refresh()

    def about(self) -> None:
        from PySide6 import __version__ as pyside_version

        path = database_path()
        QMessageBox.about(
            self,
            "关于分润台",
            f"<h3>分润台 POSDesk {app_version()}</h3>"
            "<p>POS机代理机构的离线分润管理:代理、政策、机具、交易导入、月结与分润单。</p>"
            f"<p>数据库:{path or '内存'}<br>PySide6 {pyside_version}</p>"
            "<p>金额以分为单位精确计算,四舍五入只在每个明细项发生一次。</p>",
        )
