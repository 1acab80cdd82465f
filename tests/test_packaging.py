"""The wheel ships every package of scanner/ (a package left out of pyproject.toml works
from a checkout and fails once installed, as the pre-commit framework installs it)."""

from __future__ import annotations

import sys
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]


def test_every_package_is_listed_for_the_wheel() -> None:
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {
        ".".join(init.parent.relative_to(ROOT).parts)
        for init in (ROOT / "scanner").rglob("__init__.py")
        if "__pycache__" not in init.parts
    }
    assert found <= listed and "scanner.rulepack" in listed
