"""Slips on screen and on paper: the PDF that ``app.io.slips`` draws is the one source.

The preview in the window and the printer both show the very same PDF pages (rendered by
QtPdf), so what the office checks on screen is what the agent gets on paper — and what
``导出PDF`` writes.  Printing goes through the system print dialog (QPrintDialog), the
preview through QPrintPreviewDialog.

QtPdf ships in the ``PySide6-Pdf`` wheel (since Qt 6.12 it is no longer inside
PySide6-Addons).
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QImage, QPainter
from PySide6.QtPrintSupport import QPrintDialog, QPrinter, QPrintPreviewDialog, QPrintPreviewWidget
from PySide6.QtWidgets import QDialog, QWidget

from app.core.errors import UserError

PRINT_DPI = 300  # enough for 8-point Chinese text; 600 would mean 140 MB per A4 page


def _pdf_module():
    try:
        from PySide6 import QtPdf
    except ImportError:  # pragma: no cover - the wheel is a dependency
        raise UserError("缺少 PDF 显示组件(PySide6-Pdf),无法预览或打印,请重新安装分润台") from None
    return QtPdf


def open_pdf(path: str | Path, parent=None):
    """A loaded ``QPdfDocument`` of ``path``."""
    qtpdf = _pdf_module()
    doc = qtpdf.QPdfDocument(parent)
    err = doc.load(str(path))
    if err != qtpdf.QPdfDocument.Error.None_:
        raise UserError(f"无法打开 {Path(path).name}:{err.name}")
    return doc


def page_count(path: str | Path) -> int:
    doc = open_pdf(path)
    try:
        return doc.pageCount()
    finally:
        doc.close()


def render_page(doc, index: int, dpi: int) -> QImage:
    """Page ``index`` of ``doc`` as an image at ``dpi``."""
    size_pt = doc.pagePointSize(index)
    size = QSize(max(1, round(size_pt.width() * dpi / 72)), max(1, round(size_pt.height() * dpi / 72)))
    return doc.render(index, size)


def paint_pdfs(printer: QPrinter, paths: Sequence[str | Path]) -> int:
    """Paint every page of every PDF onto ``printer`` (a real printer or a preview);
    returns the number of pages painted."""
    painter = QPainter()
    if not painter.begin(printer):
        raise UserError("无法开始打印:打印机不可用")
    pages = 0
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    try:
        dpi = min(PRINT_DPI, max(72, printer.resolution()))
        for path in paths:
            doc = open_pdf(path)
            try:
                for i in range(doc.pageCount()):
                    if pages:
                        printer.newPage()
                    image = render_page(doc, i, dpi)
                    target = printer.pageLayout().paintRectPixels(printer.resolution())
                    area = QRectF(0, 0, target.width(), target.height())
                    # keep the page's proportions inside the printable area
                    scaled = image.size().scaled(area.size().toSize(), Qt.AspectRatioMode.KeepAspectRatio)
                    rect = QRectF(
                        (area.width() - scaled.width()) / 2, 0, scaled.width(), scaled.height()
                    )
                    painter.drawImage(rect, image)
                    pages += 1
            finally:
                doc.close()
    finally:
        painter.end()
    return pages


def make_printer() -> QPrinter:
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    from PySide6.QtGui import QPageSize

    printer.setPageSize(QPageSize(QPageSize.PageSizeId.A4))
    printer.setFullPage(False)
    return printer


def print_with_dialog(parent: QWidget | None, paths: Sequence[str | Path], title: str = "打印分润单") -> bool:
    """Ask the system print dialog, then print ``paths``; False when the user cancelled."""
    if not paths:
        raise UserError("没有要打印的分润单")
    printer = make_printer()
    printer.setDocName(title)
    dialog = QPrintDialog(printer, parent)
    dialog.setWindowTitle(title)
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return False
    paint_pdfs(printer, paths)
    return True


class SlipPrintPreview(QPrintPreviewDialog):
    """Qt's print preview over slip PDFs; its printer button prints them for real."""

    def __init__(self, paths: Sequence[str | Path], parent: QWidget | None = None,
                 title: str = "分润单打印预览"):
        self.printer_obj = make_printer()
        super().__init__(self.printer_obj, parent)
        self.setWindowTitle(title)
        self.paths = [Path(p) for p in paths]
        self.pages_painted = 0
        self.paintRequested.connect(self._paint)
        self.resize(1000, 800)

    def _paint(self, printer: QPrinter) -> None:
        self.pages_painted = paint_pdfs(printer, self.paths)

    def showEvent(self, event) -> None:  # noqa: N802 - Qt name
        super().showEvent(event)
        widget = self.findChild(QPrintPreviewWidget)
        if widget is not None:  # readable at a glance: the page as wide as the window
            widget.fitToWidth()


def temp_dir() -> Path:
    """A folder for preview files that lives as long as the app."""
    global _TEMP
    if _TEMP is None:
        _TEMP = tempfile.TemporaryDirectory(prefix="posdesk-preview-")
    return Path(_TEMP.name)


_TEMP: tempfile.TemporaryDirectory | None = None
