"""The receipt (收据) of a deposit handled at the desk (app.io.receipts)."""

from __future__ import annotations

import datetime as dt
import re
import subprocess

import pytest

from app.core import deposit_entries as desk
from tests.helpers import Office

D = dt.date


@pytest.fixture
def office(db, tmp_path):
    return Office(tmp_path).base()


def test_receipt_pdf_has_the_amount_in_words(office, tmp_path):
    from app.io.receipts import render_receipt

    e = desk.record("receive", "A2", 12345, "cash", D(2026, 10, 2), sn="T2", note="现金")
    path = render_receipt(e, "测试机构", tmp_path / "r.pdf")
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                          text=True, check=True).stdout
    # 12345 fen = 123.45 元 = 壹佰贰拾叁元肆角伍分
    for expected in ("押金收据", "测试机构", "壹佰贰拾叁元肆角伍分", "¥123.45", "YJ202610-00001",
                     "A2", "T2", "经办人", "交款人签字"):
        assert expected in text, expected
    pages = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True).stdout
    assert re.search(r"^Pages:\s+1$", pages, re.M)
