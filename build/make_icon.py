"""Draw the app icon (resources/icons/posdesk.png and .ico) with QPainter.

Run once after changing it: ``QT_QPA_PLATFORM=offscreen python -m build.make_icon``.
A blue rounded square with a white card terminal whose screen shows 分.
"""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontDatabase, QGuiApplication, QImage, QLinearGradient, QPainter, QPen

ROOT = Path(__file__).resolve().parents[1]
ICONS = ROOT / "resources" / "icons"


def draw(size: int) -> QImage:
    img = QImage(size, size, QImage.Format.Format_ARGB32)
    img.fill(Qt.GlobalColor.transparent)
    p = QPainter(img)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    s = size / 256
    grad = QLinearGradient(0, 0, 0, size)
    grad.setColorAt(0, QColor("#2f80ed"))
    grad.setColorAt(1, QColor("#1c5fc4"))
    p.setBrush(grad)
    p.setPen(Qt.PenStyle.NoPen)
    p.drawRoundedRect(QRectF(8 * s, 8 * s, 240 * s, 240 * s), 48 * s, 48 * s)
    # the terminal body
    p.setBrush(QColor("#ffffff"))
    p.drawRoundedRect(QRectF(66 * s, 36 * s, 124 * s, 184 * s), 20 * s, 20 * s)
    # its screen with 分
    p.setBrush(QColor("#1c5fc4"))
    screen = QRectF(80 * s, 52 * s, 96 * s, 74 * s)
    p.drawRoundedRect(screen, 8 * s, 8 * s)
    font = QFont(_family())
    font.setPixelSize(int(60 * s))
    font.setBold(True)
    p.setFont(font)
    p.setPen(QPen(QColor("#ffffff")))
    p.drawText(screen, Qt.AlignmentFlag.AlignCenter, "分")
    # keypad
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(QColor("#9bbcf0"))
    for row in range(3):
        for col in range(3):
            p.drawRoundedRect(
                QRectF((84 + col * 31) * s, (140 + row * 24) * s, 26 * s, 16 * s), 4 * s, 4 * s
            )
    p.end()
    return img


def _family() -> str:
    fid = QFontDatabase.addApplicationFont(str(ROOT / "resources" / "fonts" / "wqy-microhei.ttc"))
    fams = QFontDatabase.applicationFontFamilies(fid) if fid >= 0 else []
    return fams[0] if fams else "Sans"


def arrow(size: int = 12) -> QImage:
    """The small down arrow of combo boxes and date fields (used by app.qss)."""
    from PySide6.QtCore import QPointF
    from PySide6.QtGui import QPolygonF

    img = QImage(size, size, QImage.Format.Format_ARGB32)
    img.fill(Qt.GlobalColor.transparent)
    p = QPainter(img)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(QColor("#5b6675"))
    p.drawPolygon(QPolygonF([QPointF(size * 0.15, size * 0.35), QPointF(size * 0.85, size * 0.35),
                             QPointF(size * 0.5, size * 0.75)]))
    p.end()
    return img


def main() -> int:
    _app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    ICONS.mkdir(parents=True, exist_ok=True)
    draw(256).save(str(ICONS / "posdesk.png"))
    draw(64).save(str(ICONS / "posdesk-64.png"))
    arrow().save(str(ICONS / "arrow-down.png"))
    if not draw(256).save(str(ICONS / "posdesk.ico"), "ICO"):
        print("ICO writer not available; only PNG written", file=sys.stderr)
    print(f"icons written to {ICONS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
