"""Where the shipped files live: ``resources/`` in a checkout, or inside a frozen build.

PyInstaller unpacks (onedir: lays out) the data files under ``sys._MEIPASS``; the spec
(``build/posdesk.spec``) copies ``resources/`` there under the same name, so one helper
finds fonts, icons, styles and import profiles in both cases.
"""

from __future__ import annotations

import sys
from pathlib import Path

_SOURCE_ROOT = Path(__file__).resolve().parents[1]


def is_frozen() -> bool:
    """True inside the PyInstaller build."""
    return bool(getattr(sys, "frozen", False)) and hasattr(sys, "_MEIPASS")


def resource_root() -> Path:
    """The folder that holds ``resources/`` (the bundle, or the source checkout)."""
    bundle = getattr(sys, "_MEIPASS", None)
    return Path(bundle) if bundle else _SOURCE_ROOT


def resource_path(*parts: str) -> Path:
    """A path under ``resources/``: ``resource_path("fonts", "wqy-microhei.ttc")``."""
    return resource_root().joinpath("resources", *parts)
