"""GUI tests (pytest-qt); a package so their basenames may repeat those of tests/unit."""
