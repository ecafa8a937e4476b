"""产品: the office's products and, for the one selected, its merchant price list (商户费率).

A new office starts here: 新增产品 (code, name, payment company and the company's terms —
激活门槛, 达标 rule, deposit period, what the company pays per terminal), then the price
rows, each effective from a day.  Everything is saved through ``app.core.products`` with
the import files' value rules; a row a locked month was priced by is shown but not edited."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from app.core import products as svc
from app.core.errors import Changes, UserError
from app.core.money import format_money, format_rate
from app.views import undo
from app.views.changes import announce
from app.views.errors import confirm, show_error
from app.views.page import Loader, Page
from app.views.table_model import Column, RowsModel, int_column, money_column, rate_column
from app.views.widgets import DataTable, hint_label, title_label, warning_label

PRODUCT_HINTS = {
    "code": "如 P01;保存后不能再改",
    "name": "如 拉卡拉电签",
    "company": "如 拉卡拉",
    "activation_min": "元;首笔成功交易不低于此额才算激活,空 = 0.01",
    "qualify_days": "激活后多少天内考核;空 = 不考核",
    "qualify_volume": "元;考核期内要达到的交易额",
    "deposit_days": "下发后多少天内激活才退押金;空 = 不限",
    "company_cashback": "元;支付公司每台激活返给本机构",
    "company_qualify_bonus": "元;每台达标",
    "company_unqualified_penalty": "元;每台未达标扣本机构",
}
PRICE_HINTS = {
    "effective_from": "如 2026-10-01;从这天起按本行",
    "credit_rate": "如 0.60%",
    "debit_rate": "如 0.55%",
    "debit_cap": "元;借记卡单笔封顶,空 = 不封顶",
    "scan_rate": "如 0.38%",
    "per_txn": "元;每笔另收,空 = 0",
}


def _days(value: int | None) -> str:
    return "" if value is None else f"{value} 天"


def product_columns() -> list[Column]:
    return [
        Column("产品编号", "code", width=80),
        Column("产品名称", "name", width=130),
        Column("支付公司", "company", width=90),
        money_column("激活门槛", "activation_min", width=90, total=False),
        Column("达标", lambda p: (f"{p.qualify_days} 天 {format_money(p.qualify_volume)}"
                                 if p.qualify_days else "不考核"), width=150),
        Column("押金期限", lambda p: _days(p.deposit_days) or "不限", width=80),
        money_column("公司激活返现", "company_cashback", total=False),
        money_column("公司达标奖励", "company_qualify_bonus", total=False),
        money_column("公司未达标扣款", "company_unqualified_penalty", total=False),
        int_column("机具", "terminals", total=True),
        int_column("费率行", "prices"),
    ]


def price_columns() -> list[Column]:
    return [
        Column("生效日期", "effective_from", width=100),
        rate_column("贷记卡费率", "credit_rate", width=90),
        rate_column("借记卡费率", "debit_rate", width=90),
        money_column("借记卡封顶", "debit_cap", width=90, total=False),
        rate_column("扫码费率", "scan_rate", width=80),
        money_column("单笔手续费", "per_txn", width=90, total=False),
        Column("状态", lambda r: "已锁定(只读)" if r.locked else "", width=100),
    ]


class FormDialog(QDialog):
    """A form of labelled text fields; ``save(values)`` raises UserError to keep it open."""

    def __init__(self, title: str, fields: dict[str, str], hints: dict[str, str],
                 save, values: dict[str, str] | None = None, read_only: frozenset[str] = frozenset(),
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setMinimumWidth(480)
        self.save = save
        self.result_changes: Changes | None = None
        lay = QVBoxLayout(self)
        form = QFormLayout()
        self.fields: dict[str, QLineEdit] = {}
        for key, label in fields.items():
            edit = QLineEdit((values or {}).get(key, ""))
            edit.setPlaceholderText(hints.get(key, ""))
            edit.setReadOnly(key in read_only)
            form.addRow(label, edit)
            self.fields[key] = edit
        lay.addLayout(form)
        self.error = warning_label()
        lay.addWidget(self.error)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.submit)
        buttons.rejected.connect(self.reject)
        lay.addWidget(buttons)

    def values(self) -> dict[str, str]:
        return {k: e.text() for k, e in self.fields.items()}

    def submit(self) -> None:
        try:
            self.result_changes = self.save(self.values())
        except UserError as exc:
            self.error.setText(str(exc))
            return
        self.accept()


def product_form(p: svc.ProductRow) -> dict[str, str]:
    def money(v: int | None) -> str:
        return "" if v is None else format_money(v, symbol=False).replace(",", "")

    return {
        "code": p.code, "name": p.name, "company": p.company,
        "activation_min": money(p.activation_min),
        "qualify_days": "" if p.qualify_days is None else str(p.qualify_days),
        "qualify_volume": money(p.qualify_volume),
        "deposit_days": "" if p.deposit_days is None else str(p.deposit_days),
        "company_cashback": money(p.company_cashback),
        "company_qualify_bonus": money(p.company_qualify_bonus),
        "company_unqualified_penalty": money(p.company_unqualified_penalty),
    }


class ProductsPage(Page):
    nav_title = "产品"
    watches = frozenset({"products", "prices", "terminals", "imports", "months"})

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.loader = Loader(self)
        self.dialog: FormDialog | None = None  # the open form (tests fill it)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(16, 12, 16, 8)
        head = QHBoxLayout()
        head.addWidget(title_label("产品"))
        head.addWidget(hint_label("支付公司的产品与公司条款;选中一个产品,下方是它的商户费率(按生效日期)。"))
        head.addStretch(1)
        self.add_btn = QPushButton("新增产品")
        self.add_btn.setProperty("primary", True)
        self.add_btn.clicked.connect(self.new_item)
        self.edit_btn = QPushButton("编辑产品")
        self.edit_btn.clicked.connect(self.edit_product)
        head.addWidget(self.add_btn)
        head.addWidget(self.edit_btn)
        outer.addLayout(head)
        split = QSplitter(Qt.Orientation.Vertical)
        self.model = RowsModel(product_columns())
        self.table = DataTable(name="产品", multi=False)
        self.table.setModel(self.model)
        self.table.doubleClicked.connect(lambda _i: self.edit_product())
        self.table.selectionModel().currentRowChanged.connect(lambda *_a: self.show_prices())
        split.addWidget(self.table)
        bottom = QWidget()
        bl = QVBoxLayout(bottom)
        bl.setContentsMargins(0, 6, 0, 0)
        bar = QHBoxLayout()
        self.price_title = QLabel("商户费率")
        self.price_title.setObjectName("figure")
        bar.addWidget(self.price_title)
        bar.addStretch(1)
        self.add_price_btn = QPushButton("新增费率行")
        self.add_price_btn.clicked.connect(self.add_price)
        self.edit_price_btn = QPushButton("编辑")
        self.edit_price_btn.clicked.connect(self.edit_price)
        self.delete_price_btn = QPushButton("删除")
        self.delete_price_btn.clicked.connect(self.delete_price)
        for b in (self.add_price_btn, self.edit_price_btn, self.delete_price_btn):
            bar.addWidget(b)
        bl.addLayout(bar)
        self.price_model = RowsModel(price_columns())
        self.prices = DataTable(name="商户费率", multi=False)
        self.prices.setModel(self.price_model)
        self.prices.doubleClicked.connect(lambda _i: self.edit_price())
        bl.addWidget(self.prices)
        bl.addWidget(hint_label("商户费率是支付公司向商户收取的费率;代理的结算价在「政策」页。"
                                "生效日期落在已锁定月份的行不能再改。"))
        split.addWidget(bottom)
        split.setSizes([300, 300])
        outer.addWidget(split, 1)
        self.refresh()

    # ------------------------------------------------------------ data
    def refresh(self) -> None:
        self.loader.load(svc.product_rows, self._loaded)

    def _loaded(self, rows) -> None:
        keep = self.current_product()
        self.model.set_rows(rows)
        for i, p in enumerate(self.model.shown_rows()):
            if keep is not None and p.id == keep.id:
                self.table.selectRow(i)
                break
        else:
            if rows:
                self.table.selectRow(0)
        self.show_prices()

    def current_product(self) -> svc.ProductRow | None:
        return self.table.current_object()

    def show_prices(self) -> None:
        p = self.current_product()
        self.add_price_btn.setEnabled(p is not None)
        if p is None:
            self.price_model.set_rows([])
            self.price_title.setText("商户费率")
            return
        self.price_model.set_rows(svc.price_rows(p.id))
        self.price_title.setText(f"商户费率 · {p.code} {p.name}")

    # ------------------------------------------------------------ products
    def _run(self, dialog: FormDialog) -> Changes | None:
        self.dialog = dialog
        if dialog.exec() and dialog.result_changes is not None:
            announce(dialog.result_changes)
            return dialog.result_changes
        return None

    def new_item(self) -> Changes | None:
        dialog = FormDialog("新增产品", svc.PRODUCT_FIELDS, PRODUCT_HINTS,
                            lambda v: svc.save_product(v), parent=self)
        changes = self._run(dialog)
        if changes is not None:
            form = dialog.values()
            code = form["code"].strip()
            undo.push(f"新增产品 {code}", lambda: svc.delete_product(code),
                      lambda: svc.save_product(form))
        return changes

    def edit_product(self) -> Changes | None:
        p = self.current_product()
        if p is None:
            show_error(self, "请先选中一个产品")
            return None
        return self._run(FormDialog(f"编辑产品 {p.code}", svc.PRODUCT_FIELDS, PRODUCT_HINTS,
                                    lambda v: svc.save_product(v, p.id), product_form(p),
                                    read_only=frozenset({"code"}), parent=self))

    # ------------------------------------------------------------ prices
    def add_price(self) -> Changes | None:
        p = self.current_product()
        if p is None:
            return None
        rows = self.price_model.shown_rows()
        start = svc.price_form(rows[0]) if rows else {}
        start.pop("effective_from", None)
        dialog = FormDialog(f"新增商户费率 · {p.code}", svc.PRICE_FIELDS, PRICE_HINTS,
                            lambda v: svc.save_price(p.id, v), start, parent=self)
        before = {r.effective_from: svc.price_form(r) for r in rows}
        changes = self._run(dialog)
        if changes is not None:
            self._push_price(p, dialog.values(), before)
        return changes

    def _push_price(self, p: svc.ProductRow, form: dict[str, str],
                    before: dict[dt.date, dict[str, str]]) -> None:
        """The price row just saved: undo puts back the row of that day, or removes it."""
        from app.core.values import day as parse_day

        day = parse_day(form["effective_from"])
        old = before.get(day)
        pid = p.id

        def inverse() -> Changes:
            return svc.save_price(pid, old) if old is not None else svc.delete_price(pid, day)

        undo.push(f"{p.code} {day} 起的商户费率", inverse, lambda: svc.save_price(pid, form))

    def edit_price(self) -> Changes | None:
        p, r = self.current_product(), self.prices.current_object()
        if p is None or r is None:
            show_error(self, "请先选中一行商户费率")
            return None
        if r.locked:
            show_error(self, "这一行的生效日期落在已锁定的月份,不能再改;请新增一行从之后的日期起生效")
            return None
        dialog = FormDialog(f"编辑商户费率 · {p.code}", svc.PRICE_FIELDS, PRICE_HINTS,
                            lambda v: svc.save_price(p.id, v), svc.price_form(r),
                            read_only=frozenset({"effective_from"}), parent=self)
        changes = self._run(dialog)
        if changes is not None:
            self._push_price(p, dialog.values(), {r.effective_from: svc.price_form(r)})
        return changes

    def delete_price(self) -> None:
        p, r = self.current_product(), self.prices.current_object()
        if p is None or r is None:
            show_error(self, "请先选中一行商户费率")
            return
        if not confirm(self, f"删除 {r.effective_from} 起的商户费率(贷记卡 {format_rate(r.credit_rate)})吗?"):
            return
        try:
            announce(svc.delete_price(p.id, r.effective_from))
        except UserError as exc:
            show_error(self, exc)
            return
        pid, day, old = p.id, r.effective_from, svc.price_form(r)
        undo.push(f"删除 {p.code} {day} 起的商户费率", lambda: svc.save_price(pid, old),
                  lambda: svc.delete_price(pid, day))

    def focus_search(self) -> None:
        self.table.setFocus()
