"""建立导入方案: when a payment company's export is not one the program knows, the office
maps it once — each canonical column to one of the file's columns (with sample values
beside it), each unknown card type or status to a canonical one — previews the first rows
as the importer will read them, and saves the profile in the office's data folder
(``app.io.profile_store``).  From then on the file, and every later export like it, is read
like a known one, in the window and with ``--profile <名称>`` alike."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.core.errors import UserError
from app.io import profile_store
from app.io.reader import KIND_COLUMNS, KIND_LABELS, header_key, profiles_dir
from app.views.table_model import Column, RowsModel
from app.views.widgets import DataTable, hint_label, warning_label

MAPPABLE_KINDS = ("transactions", "activations")
CANONICAL_VALUES = {
    "category": [("credit", "贷记卡"), ("debit", "借记卡"), ("scan", "扫码")],
    "status": [("success", "成功"), ("void", "撤销"), ("reversal", "冲正"), ("failed", "失败"),
               ("refund", "退货")],
}
# words that give a value away, tried in this order ("撤销成功" is a void, not a success)
_HINTS = {
    "category": [("credit", ("贷记", "信用", "credit")), ("debit", ("借记", "储蓄", "debit")),
                 ("scan", ("扫码", "微信", "支付宝", "云闪付", "二维码", "scan", "qr"))],
    "status": [("void", ("撤销", "void")), ("reversal", ("冲正", "reversal")),
               ("refund", ("退货", "退款", "refund")), ("failed", ("失败", "fail")),
               ("success", ("成功", "success", "ok"))],
}


def guess_value(key: str, text: str) -> str:
    low = text.lower()
    for canonical, words in _HINTS.get(key, []):
        if any(w in low for w in words):
            return canonical
    return ""


class ProfileMapperDialog(QDialog):
    """Map an unknown export onto a canonical kind and save it as the office's profile."""

    def __init__(self, path: Path, kind: str = "transactions", parent: QWidget | None = None):
        super().__init__(parent)
        self.path = Path(path)
        self.saved: Path | None = None
        self.setWindowTitle(f"建立导入方案 · {self.path.name}")
        self.resize(1000, 880)
        self.sample = profile_store.sample_file(self.path)
        lay = QVBoxLayout(self)
        lay.addWidget(hint_label(
            f"表头在第 {self.sample.header_row} 行,共 {len(self.sample.headers)} 列。为每个字段选出文件里的列"
            "(带 * 的必须选),再把卡类型、交易状态的取值对应到标准取值;预览无误后保存。", wrap=True))
        form = QFormLayout()
        self.name = QLineEdit()
        self.name.setPlaceholderText("如 hkrt(字母、数字、- 和 _,也可用汉字)")
        self.company = QLineEdit()
        self.company.setPlaceholderText("如 海科融通")
        self.kind = QComboBox()
        for k in MAPPABLE_KINDS:
            self.kind.addItem(KIND_LABELS[k], k)
        self.kind.setCurrentIndex(max(0, self.kind.findData(kind)))
        self.unit = QComboBox()
        self.unit.addItem("元(如 12.30)", "yuan")
        self.unit.addItem("分(如 1230)", "fen")
        form.addRow("方案名称", self.name)
        form.addRow("支付公司", self.company)
        form.addRow("文件类型", self.kind)
        form.addRow("金额单位", self.unit)
        lay.addLayout(form)

        self.columns = QTableWidget(0, 3)
        self.columns.setHorizontalHeaderLabels(["字段", "文件中的列", "示例值"])
        self.columns.verticalHeader().setVisible(False)
        self.columns.horizontalHeader().setStretchLastSection(True)
        self.columns.setColumnWidth(0, 130)
        self.columns.setColumnWidth(1, 220)
        self.columns.setMinimumHeight(300)
        lay.addWidget(self.columns, 3)

        self.values_box = QGroupBox("取值对照")
        self.values_layout = QFormLayout(self.values_box)
        lay.addWidget(self.values_box, 1)

        row = QHBoxLayout()
        self.preview_btn = QPushButton("预览前 10 行")
        self.preview_btn.clicked.connect(self.preview)
        row.addWidget(self.preview_btn)
        self.error = warning_label()
        row.addWidget(self.error, 1)
        lay.addLayout(row)
        self.preview_model = RowsModel([])
        self.preview_table = DataTable(name="导入方案预览")
        self.preview_table.setModel(self.preview_model)
        self.preview_table.setMinimumHeight(140)
        lay.addWidget(self.preview_table, 2)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        lay.addWidget(buttons)
        self.combos: dict[str, QComboBox] = {}
        self.value_combos: dict[str, dict[str, QComboBox]] = {}
        self.kind.currentIndexChanged.connect(lambda _i: self.build())
        self.build()

    # ------------------------------------------------------------ columns
    def current_kind(self) -> str:
        return self.kind.currentData()

    def build(self) -> None:
        specs = KIND_COLUMNS[self.current_kind()]
        self.columns.setRowCount(len(specs))
        self.combos = {}
        keys = {header_key(h): i for i, h in enumerate(self.sample.headers)}
        for r, spec in enumerate(specs):
            label = QTableWidgetItem(spec.names[0] + (" *" if spec.required else ""))
            self.columns.setItem(r, 0, label)
            combo = QComboBox()
            combo.addItem("(无)", -1)
            for i, h in enumerate(self.sample.headers):
                combo.addItem(h or f"第{i + 1}列", i)
            guess = next((keys[header_key(n)] for n in spec.names if header_key(n) in keys), -1)
            combo.setCurrentIndex(combo.findData(guess))
            combo.currentIndexChanged.connect(lambda _i, k=spec.key, row=r: self._column_chosen(k, row))
            self.columns.setCellWidget(r, 1, combo)
            self.combos[spec.key] = combo
            self._column_chosen(spec.key, r)
        self.columns.resizeRowsToContents()

    def _column_chosen(self, key: str, row: int) -> None:
        col = self.combos[key].currentData()
        samples = self.sample.samples(col) if col is not None and col >= 0 else []
        self.columns.setItem(row, 2, QTableWidgetItem("、".join(samples)))
        if key in CANONICAL_VALUES:
            self._build_values()

    # ------------------------------------------------------------ values
    def _build_values(self) -> None:
        while self.values_layout.rowCount():
            self.values_layout.removeRow(0)
        self.value_combos = {}
        for key, choices in CANONICAL_VALUES.items():
            combo_col = self.combos.get(key)
            col = combo_col.currentData() if combo_col is not None else -1
            if col is None or col < 0:
                continue
            self.value_combos[key] = {}
            for value in self.sample.distinct(col):
                combo = QComboBox()
                combo.addItem("(不转换)", "")
                for canonical, label in choices:
                    combo.addItem(f"{label} ({canonical})", canonical)
                combo.setCurrentIndex(max(0, combo.findData(guess_value(key, value))))
                spec_label = next(s.names[0] for s in KIND_COLUMNS[self.current_kind()] if s.key == key)
                self.values_layout.addRow(f"{spec_label}「{value}」", combo)
                self.value_combos[key][value] = combo

    # ------------------------------------------------------------ the profile
    def data(self) -> dict:
        columns = {}
        for key, combo in self.combos.items():
            col = combo.currentData()
            if col is not None and col >= 0:
                columns[key] = self.sample.headers[col]
        values = {key: {v: c.currentData() for v, c in m.items() if c.currentData()}
                  for key, m in self.value_combos.items()}
        return profile_store.profile_data(self.name.text(), self.company.text(),
                                          self.current_kind(), columns, values,
                                          self.unit.currentData())

    def preview(self) -> bool:
        try:
            labels, rows = profile_store.preview_rows(self.path, self.current_kind(), self.data())
        except UserError as exc:
            self.error.setText(str(exc))
            return False
        self.error.setText("")
        self.preview_model.columns = [Column(label, i, width=110) for i, label in enumerate(labels)]
        self.preview_model.set_rows(rows)
        self.preview_table.setModel(self.preview_model)
        return True

    def save(self) -> None:
        if not self.preview():
            return
        try:
            self.saved = profile_store.save(self.data(), profiles_dir())
        except UserError as exc:
            self.error.setText(str(exc))
            return
        self.accept()
