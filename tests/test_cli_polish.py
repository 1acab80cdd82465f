"""The rough edges a new user meets first: version, bare invocation, sizes, one
"no leaks found", skip reasons in the summary."""

from __future__ import annotations

from pathlib import Path

import pytest

from scanner import __version__
from scanner.cli import parse_size
from tests.helpers import run_subprocess


@pytest.mark.parametrize("flag", ["--version", "-V"])
def test_version(cli, flag: str) -> None:
    result = cli([flag])
    assert result.code == 0 and __version__ in result.out


def test_bare_keysweep_prints_help_and_succeeds() -> None:
    result = run_subprocess([])
    assert result.code == 0 and "Commands:" in result.out and "git" in result.out and result.err == ""


@pytest.mark.parametrize(
    ("text", "size"),
    [
        ("10M", 10 << 20),
        ("10MiB", 10 << 20),
        ("10 MiB", 10 << 20),
        ("10mb", 10 << 20),
        ("512k", 512 << 10),
        ("512KiB", 512 << 10),
        ("1Gi", 1 << 30),
        ("2048", 2048),
        ("1.5k", 1536),
    ],
)
def test_sizes_in_every_spelling(text: str, size: int) -> None:
    assert parse_size(text) == size


@pytest.mark.parametrize("text", ["10X", "MiB", "ten", "0.1", "inf", "2000G"])
def test_a_bad_size_is_one_line_and_exit_2(cli, tmp_path: Path, text: str) -> None:
    result = cli(["dir", str(tmp_path), "--max-file-size", text])
    assert result.code == 2 and result.err.count("\n") == 1 and "--max-file-size" in result.err


def test_no_leaks_found_is_said_once(cli, tmp_path: Path) -> None:
    (tmp_path / "plain.txt").write_text("nothing to see\n")
    result = cli(["dir", str(tmp_path)])
    assert result.code == 0 and result.out == ""
    assert (result.out + result.err).count("no leaks found") == 1


def test_the_summary_says_why_files_were_skipped(cli, tmp_path: Path) -> None:
    (tmp_path / "big.txt").write_text("x" * 4096 + "\n")
    (tmp_path / "image.bin").write_bytes(b"\x00\x01" * 100)
    (tmp_path / "small.txt").write_text("hello\n")
    result = cli(["dir", str(tmp_path), "--max-file-size", "2KiB"])
    assert result.code == 0 and "skipped: 1 binary, 1 too-large" in result.err
