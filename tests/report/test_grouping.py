"""Findings grouped by secret: one finding per rule and secret with every place it was
seen, in every format; `--no-group` gives one finding per place, as 0.1 did."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from tests.helpers import git, github_token, run_cli

COPIES = 50


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One token copied into 50 fixture files, each otherwise different (50 blobs), over
    five commits; another token once."""
    repo = tmp_path_factory.mktemp("grouping") / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    token, lone = github_token("copied"), github_token("lone")
    for batch in range(5):
        for n in range(batch * 10, batch * 10 + 10):
            (repo / "fixtures").mkdir(exist_ok=True)
            (repo / "fixtures" / f"case_{n:02}.env").write_text(f"CASE={n}\nGITHUB_TOKEN={token}\n")
        if batch == 2:
            (repo / "deploy.env").write_text(f"DEPLOY_TOKEN={lone}\n")
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "-m", f"batch {batch}")
    return repo


def scan(repo: Path, capsys, monkeypatch, *args: str):
    return run_cli(["git", str(repo), "--no-progress", *args], cwd=repo, capsys=capsys, monkeypatch=monkeypatch)


def test_a_secret_in_50_blobs_is_one_finding_with_50_locations(repo: Path, capsys, monkeypatch) -> None:
    result = scan(repo, capsys, monkeypatch, "--format", "json")
    findings = json.loads(result.out)
    assert len(findings) == 2
    copied = next(f for f in findings if f["file"].startswith("fixtures/"))
    places = copied["locations"]
    assert len(places) == COPIES and len({p["file"] for p in places}) == COPIES
    assert (places[0]["file"], places[0]["line"]) == (copied["file"], copied["line"])
    assert all(p["commit"] and p["line"] == 2 for p in places)
    assert "keysweep: 2 leaks (51 locations) found in 51 files" in result.err


def test_no_group_gives_a_finding_per_place(repo: Path, capsys, monkeypatch) -> None:
    findings = json.loads(scan(repo, capsys, monkeypatch, "--format", "json", "--no-group").out)
    assert len(findings) == COPIES + 1 and all("locations" not in f for f in findings)


def test_text_shows_the_first_place_and_how_many_more(repo: Path, capsys, monkeypatch) -> None:
    out = scan(repo, capsys, monkeypatch).out
    assert out.count("fingerprint:") == 2
    assert f"+{COPIES - 1} more (fixtures/case_01.env:2, fixtures/case_02.env:2, fixtures/case_03.env:2, ...)" in out


def test_sarif_keeps_one_result_with_related_locations(repo: Path, capsys, monkeypatch) -> None:
    results = json.loads(scan(repo, capsys, monkeypatch, "--format", "sarif").out)["runs"][0]["results"]
    assert len(results) == 2
    related = max(results, key=lambda r: len(r.get("relatedLocations", [])))["relatedLocations"]
    assert len(related) == COPIES - 1 and [r["id"] for r in related] == list(range(1, COPIES))


def test_csv_is_flat_a_row_per_place(repo: Path, capsys, monkeypatch) -> None:
    rows = list(csv.DictReader(io.StringIO(scan(repo, capsys, monkeypatch, "--format", "csv").out)))
    assert len(rows) == COPIES + 1


def test_a_grouped_report_is_a_baseline_for_every_place(repo: Path, capsys, monkeypatch, tmp_path: Path) -> None:
    baseline = tmp_path / "baseline.json"
    baseline.write_text(scan(repo, capsys, monkeypatch, "--format", "json").out)
    result = scan(repo, capsys, monkeypatch, "--format", "json", "--no-group", "--baseline", str(baseline))
    assert result.code == 0 and json.loads(result.out) == []


def test_the_baseline_count_is_the_baselines_findings(repo: Path, tmp_path: Path, capsys, monkeypatch) -> None:
    """A baseline of 2 grouped findings (51 places in 51 blobs) counts 2, not 51."""
    baseline = tmp_path / "baseline.json"
    scan(repo, capsys, monkeypatch, "--format", "json", "-o", str(baseline))
    assert len(json.loads(baseline.read_text())) == 2
    again = scan(repo, capsys, monkeypatch, "--baseline", str(baseline))
    assert again.code == 0 and "; 2 in baseline)" in again.err
