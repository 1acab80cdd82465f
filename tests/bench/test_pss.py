"""bench/_pss.py sums PSS over a process tree, children included (no speed assertions)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
_pss = pytest.importorskip("_pss")
sys.path.pop(0)


@pytest.mark.skipif(not Path("/proc/self/smaps_rollup").exists(), reason="Linux smaps_rollup only")
def test_the_tree_of_a_shell_and_its_children_is_sampled() -> None:
    got = _pss.measure_tree(["sh", "-c", "sleep 1 & sleep 1 & wait"], every=0.02)
    assert got.samples >= 1 and got.peak_kib > 0
    names = [name for name, _ in got.at_peak]
    assert names.count("sleep") == 2 and "sh" in names
    assert got.peak_kib == sum(kib for _, kib in got.at_peak)


def test_a_process_gone_is_left_out() -> None:
    assert _pss._pss(0) is None  # no such process
