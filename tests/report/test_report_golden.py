"""Every format against its golden file; KEYSWEEP_UPDATE_GOLDEN=1 rewrites them."""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest
from report_fixtures import Fixture

from scanner.report import EXTENSIONS, FORMATS, render

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("KEYSWEEP_UPDATE_GOLDEN") == "1"


def golden_path(fmt: str) -> Path:
    return GOLDEN / f"{fmt}.{EXTENSIONS[fmt]}"


@pytest.mark.parametrize("fmt", FORMATS)
def test_matches_golden(fmt: str, fixture: Fixture) -> None:
    output = render(fmt, fixture.context())
    path = golden_path(fmt)
    if UPDATE:
        path.parent.mkdir(exist_ok=True)
        with path.open("w", encoding="utf-8", newline="") as fh:
            fh.write(output)
    with path.open(encoding="utf-8", newline="") as fh:
        expected = fh.read()
    assert output == expected, f"{path.name} differs; rerun with KEYSWEEP_UPDATE_GOLDEN=1 and review"


@pytest.mark.parametrize("fmt", FORMATS)
def test_order_of_input_does_not_matter(fmt: str, fixture: Fixture) -> None:
    shuffled = list(fixture.findings)
    random.Random(7).shuffle(shuffled)
    assert shuffled != list(fixture.findings)
    ctx = fixture.context()
    assert render(fmt, ctx) == render(fmt, fixture.context(findings=tuple(shuffled)))


def test_golden_files_hold_only_redacted_secrets(fixture: Fixture) -> None:
    files = sorted(GOLDEN.iterdir())
    assert {golden_path(fmt) for fmt in FORMATS} <= set(files)
    for path in files:
        content = path.read_text(encoding="utf-8")
        for secret in fixture.secrets:
            for piece in (
                secret,
                secret[4:20],
                secret.splitlines()[1] if "\n" in secret else secret[-12:],
            ):
                assert piece not in content, f"{path.name} leaks a fixture secret"
