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


def test_every_data_file_of_scanner_is_listed_for_the_wheel() -> None:
    """Files the code reads at run time (the HTML report's html.css and html.js) ship only
    when package-data names them."""
    package_data = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    shipped = set()
    for package, patterns in package_data.items():
        folder = ROOT.joinpath(*package.split("."))
        shipped |= {path for pattern in patterns for path in folder.glob(pattern)}
    data_files = {
        path
        for path in (ROOT / "scanner").rglob("*")
        if path.is_file() and path.suffix not in (".py", ".pyc") and "__pycache__" not in path.parts
    }
    assert data_files, "the HTML report's assets are data files of scanner/"
    assert data_files <= shipped
