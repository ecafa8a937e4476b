"""设置 (app/views/settings_page.py): profile and parameters saved to the Setting table,
backup, and restore into a new file after checking it."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtGui import QColor, QPixmap

from app.core.months import get_setting
from app.io.backup import check_backup
from app.views import settings_page
from tests.gui.demo_db import isolate_settings, open_demo_copy


@pytest.fixture
def demo(tmp_path):
    isolate_settings(tmp_path)
    db = open_demo_copy(tmp_path)
    yield db
    db.close()


@pytest.fixture
def boxes(monkeypatch):
    seen = {"info": [], "error": []}
    monkeypatch.setattr(settings_page, "show_info", lambda _p, text, title="": seen["info"].append(text))
    monkeypatch.setattr(settings_page, "show_error", lambda _p, exc, title="": seen["error"].append(str(exc)))
    return seen


@pytest.fixture
def page(qtbot, demo, boxes):
    p = settings_page.SettingsPage()
    qtbot.addWidget(p)
    p.show()
    return p


def test_profile_and_parameters_are_saved(page, boxes, tmp_path, monkeypatch):
    assert page.name.text() == "鑫汇通支付服务部"
    assert page.min_payout.text() == "50.00"
    logo = tmp_path / "logo.png"
    pix = QPixmap(120, 40)
    pix.fill(QColor("#1565c0"))
    assert pix.save(str(logo))
    monkeypatch.setattr(page, "ask_open_file", lambda *a: str(logo))
    page.choose_logo()
    page.name.setText("  鑫汇通支付 ")
    page.address.setText("广州市天河区体育西路1号")
    page.phone.setText("020-88886666")
    page.min_payout.setText("100")
    page.tax.setText("6")
    assert "¥100.00" in page.echo.text() and "6.00%" in page.echo.text()
    assert page.save()
    assert get_setting("agency_name") == "鑫汇通支付"
    assert get_setting("agency_address") == "广州市天河区体育西路1号"
    assert get_setting("agency_phone") == "020-88886666"
    assert get_setting("min_payout") == "10000"
    assert get_setting("default_tax_rate") == "60000"
    stored = Path(get_setting("agency_logo"))
    assert stored.is_file() and stored.parent == Path(page.folder.text()).parent
    assert not boxes["error"]


def test_bad_input_saves_nothing(page, boxes):
    page.min_payout.setText("五十")
    assert "起付金额" in page.echo.text()
    assert not page.save()
    assert boxes["error"] and get_setting("min_payout") == "5000"
    page.min_payout.setText("-1")
    assert not page.save()
    page.min_payout.setText("50")
    page.name.setText(" ")
    assert not page.save()
    assert get_setting("agency_name") == "鑫汇通支付服务部"


def test_backup_then_restore_into_a_new_file(qtbot, page, boxes, tmp_path, monkeypatch):
    backup = tmp_path / "bk" / "backup.db"
    monkeypatch.setattr(page, "ask_save_file", lambda *a: str(backup))
    page.backup()
    qtbot.waitUntil(lambda: page.op is None, timeout=30_000)
    assert backup.is_file() and check_backup(backup) >= 1
    assert page.last_backup == backup

    restored = tmp_path / "restored" / "posdesk.db"
    monkeypatch.setattr(page, "ask_open_file", lambda *a: str(backup))
    monkeypatch.setattr(page, "ask_save_file", lambda *a: str(restored))
    monkeypatch.setattr(page, "ask_yes", lambda *a: True)
    original = settings_page.database_path()
    page.restore()
    assert not boxes["error"]
    assert restored.is_file()
    assert settings_page.database_path() == restored  # the restored copy is now open
    assert page.folder.text() == str(restored)
    assert get_setting("agency_name") == "鑫汇通支付服务部"
    assert original is not None and original.is_file()  # the old database is untouched


def test_restore_refuses_what_is_not_a_backup(page, boxes, tmp_path, monkeypatch):
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database at all" * 100)
    monkeypatch.setattr(page, "ask_open_file", lambda *a: str(junk))
    monkeypatch.setattr(page, "ask_save_file", lambda *a: pytest.fail("must not ask"))
    page.restore()
    assert boxes["error"] and "不是分润台的数据库" in boxes["error"][0]
    with pytest.raises(settings_page.UserError, match="已存在"):
        settings_page.restore_backup(junk, junk)


def test_about_names_the_version(page, monkeypatch):
    seen = []
    monkeypatch.setattr(settings_page.QMessageBox, "about", lambda _p, title, text: seen.append(text))
    page.about()
    assert settings_page.app_version() in seen[0]
