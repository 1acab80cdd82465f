"""The audit workflow end to end on real repositories: a datastore kept across scans,
where each finding stands, triage that survives rebases, incremental re-scans, reports
re-rendered from the datastore."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from tests.helpers import git, github_token, run_cli


@pytest.fixture
def audit(tmp_path: Path, capsys, monkeypatch):
    """`audit(*args)`: run the CLI with the test's datastore; Result(code, out, err)."""
    store = tmp_path / "audit.sqlite"

    def run(*args: str, datastore: bool = True):
        extra = ["--datastore", str(store)] if datastore else []
        return run_cli([*args, *extra], capsys=capsys, monkeypatch=monkeypatch)

    run.store = store  # type: ignore[attr-defined]
    return run


def _repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    return repo


def _commit(repo: Path, message: str, **files: str | None) -> str:
    for name, text in files.items():
        path = repo / name.replace("__", "/")
        if text is None:
            path.unlink()
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "--allow-empty", "-m", message)
    return git(repo, "rev-parse", "HEAD").strip()


def _json(result) -> dict[str, dict]:
    """Findings by file of their first place."""
    return {f["file"]: f for f in json.loads(result.out)}


def test_standing_after_a_deletion(tmp_path: Path, audit) -> None:
    repo = _repo(tmp_path)
    gone, kept = github_token("gone"), github_token("kept")
    added = _commit(repo, "add", **{"old.env": f"T={gone}\n", "app.env": f"T={kept}\n"})
    _commit(repo, "other", **{"README": "hello\n"})
    removed = _commit(repo, "remove", **{"old.env": None})
    git(repo, "branch", "release", added)  # a second branch still reaches both
    found = _json(audit("git", str(repo), "--format", "json", "--no-progress"))
    old, app = found["old.env"]["audit"]["standing"], found["app.env"]["audit"]["standing"]
    assert old["present"] is False and old["removed_commit"] == removed and old["first_commit"] == added
    assert app["present"] is True and app["removed_commit"] is None and app["first_commit"] == added
    assert old["branches"] == app["branches"] == 2
    assert found["old.env"]["status"] == "open" and found["old.env"]["audit"]["new"] is True


def test_a_secret_edited_out_of_a_file_is_removed_there(tmp_path: Path, audit) -> None:
    repo = _repo(tmp_path)
    token = github_token("edited")
    _commit(repo, "add", **{"conf.py": f"A = 1\nTOKEN = '{token}'\n"})
    edited = _commit(repo, "edit", **{"conf.py": "A = 2\nTOKEN = os.environ['TOKEN']\n"})
    [finding] = json.loads(audit("git", str(repo), "--format", "json", "--no-progress").out)
    assert finding["audit"]["standing"]["removed_commit"] == edited


def test_after_a_force_push_the_finding_is_gone_and_the_datastore_says_so(tmp_path: Path, audit) -> None:
    repo = _repo(tmp_path)
    token = github_token("forced")
    base = _commit(repo, "base", **{"a.txt": "a\n"})
    _commit(repo, "leak", **{"s.env": f"T={token}\n"})
    first = audit("git", str(repo), "--format", "json", "--no-progress")
    assert first.code == 1 and len(json.loads(first.out)) == 1
    git(repo, "reset", "-q", "--hard", base)  # history rewritten: the leak's commit unreachable
    git(repo, "reflog", "expire", "--expire=now", "--all")
    second = audit("git", str(repo), "--format", "json", "--no-progress")
    assert second.code == 0 and json.loads(second.out) == []
    with sqlite3.connect(audit.store) as db:
        [(last_scan, scans)] = db.execute("SELECT f.last_scan, (SELECT MAX(id) FROM scans) FROM findings f")
    assert last_scan < scans  # seen by the first scan only: no longer in the history


def test_triage_survives_a_rebase_and_filters_reports(tmp_path: Path, audit) -> None:
    repo = _repo(tmp_path)
    fixture, real = github_token("fixture"), github_token("real")
    _commit(repo, "base", **{"a.txt": "a\n"})
    git(repo, "checkout", "-q", "-b", "topic")
    _commit(repo, "fixture", **{"tests__fixture.env": f"T={fixture}\n"})
    _commit(repo, "real", **{"deploy.env": f"T={real}\n"})
    found = _json(audit("git", str(repo), "--format", "json", "--no-progress"))
    fp = found["tests/fixture.env"]["fingerprint"]
    marked = audit("triage", fp[:10], "--status", "false-positive", "--note", "test fixture")
    assert marked.code == 0 and fp in marked.err
    git(repo, "checkout", "-q", "main")
    _commit(repo, "main moves", **{"b.txt": "b\n"})
    git(repo, "checkout", "-q", "topic")
    git(repo, "rebase", "-q", "main")  # new commits, same secrets
    rescanned = _json(audit("git", str(repo), "--format", "json", "--no-progress"))
    assert rescanned["tests/fixture.env"]["status"] == "false-positive"
    assert rescanned["tests/fixture.env"]["audit"]["note"] == "test fixture"
    assert rescanned["deploy.env"]["status"] == "open"
    open_only = audit("git", str(repo), "--format", "json", "--no-progress", "--status", "open")
    assert [f["file"] for f in json.loads(open_only.out)] == ["deploy.env"] and open_only.code == 1
    text = audit("report").out
    assert "status:      false-positive; " in text and "note: test fixture" in text


def test_triage_of_false_positives_only_exits_clean(tmp_path: Path, audit) -> None:
    repo = _repo(tmp_path)
    _commit(repo, "one", **{"f.env": f"T={github_token('only')}\n"})
    [finding] = json.loads(audit("git", str(repo), "--format", "json", "--no-progress").out)
    audit("triage", finding["fingerprint"], "--status", "accepted-risk")
    again = audit("git", str(repo), "--no-progress", "--status", "open", "--status", "revoked")
    assert again.code == 0 and "no leaks found" in again.err


def test_incremental_rescan_matches_only_new_blobs_and_reports_the_same(tmp_path: Path, audit) -> None:
    repo = _repo(tmp_path)
    for n in range(12):
        _commit(repo, f"c{n}", **{f"src__m{n % 4}.py": f"VALUE_{n} = {n}\n" * (n + 1)})
    _commit(repo, "leak", **{"cfg.env": f"T={github_token('inc')}\n"})
    first = audit("git", str(repo), "--format", "json", "--no-progress", "--no-redact")
    _commit(repo, "new work", **{"src__new.py": "NEW = 1\n", "more.env": f"U={github_token('inc2')}\n"})
    second = audit("git", str(repo), "--format", "json", "--no-progress", "--no-redact")
    full = audit("git", str(repo), "--format", "json", "--no-progress", "--no-redact", datastore=False)
    stripped = [{k: v for k, v in f.items() if k != "audit"} for f in json.loads(second.out)]
    assert stripped == json.loads(full.out)
    with sqlite3.connect(audit.store) as db:
        rows = db.execute("SELECT blobs, reused FROM scans ORDER BY id").fetchall()
    first_blobs = rows[0][0]
    assert rows[0][1] == 0
    # Every clean blob of the first scan is reused; the new ones and those with findings are matched.
    assert rows[1] == (first_blobs + 2, first_blobs - 1)
    assert f"{first_blobs - 1} matched before" in second.err
    assert len(json.loads(first.out)) == 1


def test_new_only_reports_what_no_earlier_scan_saw(tmp_path: Path, audit) -> None:
    repo = _repo(tmp_path)
    _commit(repo, "old", **{"old.env": f"T={github_token('old')}\n"})
    audit("git", str(repo), "--no-progress")
    _commit(repo, "new", **{"new.env": f"T={github_token('new')}\n"})
    result = audit("git", str(repo), "--format", "json", "--no-progress", "--new-only")
    assert [f["file"] for f in json.loads(result.out)] == ["new.env"]
    assert [f["file"] for f in json.loads(audit("report", "--format", "json", "--new-only").out)] == ["new.env"]
    assert len(json.loads(audit("report", "--format", "json").out)) == 2


def test_secrets_are_not_stored_in_clear_unless_asked(tmp_path: Path, audit) -> None:
    repo = _repo(tmp_path)
    token = github_token("stored")
    _commit(repo, "leak", **{"s.env": f"T={token}\n"})
    audit("git", str(repo), "--no-progress")
    assert token.encode() not in _all_bytes(audit.store)
    report = audit("report", "--format", "json", "--no-redact")
    assert token not in report.out and "keeps no secrets" in report.err
    audit("git", str(repo), "--no-progress", "--store-secrets")
    assert token.encode() in _all_bytes(audit.store)
    assert token in audit("report", "--format", "json", "--no-redact").out
    assert token not in audit("report", "--format", "json").out


def _all_bytes(store: Path) -> bytes:
    """The datastore file and its write-ahead log."""
    return b"".join(p.read_bytes() for p in store.parent.glob(store.name + "*"))


def test_report_rerenders_the_last_scan_in_any_format(tmp_path: Path, audit) -> None:
    repo = _repo(tmp_path)
    _commit(repo, "leak", **{"s.env": f"T={github_token('fmt')}\n", "t.env": f"T={github_token('fmt')}\n"})
    scanned = audit("git", str(repo), "--format", "sarif", "--no-progress")
    rendered = audit("report", "--format", "sarif")
    assert rendered.code == 1
    a, b = json.loads(scanned.out), json.loads(rendered.out)
    assert [r["ruleId"] for r in a["runs"][0]["results"]] == [r["ruleId"] for r in b["runs"][0]["results"]]
    assert len(b["runs"][0]["results"][0]["relatedLocations"]) == 1
    assert len(json.loads(audit("report", "--format", "json", "--no-group").out)) == 2


def test_auto_datastore_is_found_by_triage_and_report_from_the_repository(tmp_path: Path, audit, monkeypatch) -> None:
    repo = _repo(tmp_path)
    _commit(repo, "leak", **{"s.env": f"T={github_token('auto')}\n"})
    assert audit("git", str(repo), "--no-progress", "--datastore", "auto", datastore=False).code == 1
    monkeypatch.chdir(repo)
    [finding] = json.loads(audit("report", "--format", "json", datastore=False).out)
    assert audit("triage", finding["fingerprint"], "--status", "revoked", datastore=False).code == 0
    [again] = json.loads(audit("report", "--format", "json", datastore=False).out)
    assert again["status"] == "revoked"


def test_triage_export_and_import_merge_by_newest(tmp_path: Path, audit, capsys, monkeypatch) -> None:
    repo = _repo(tmp_path)
    _commit(repo, "leak", **{"s.env": f"T={github_token('share')}\n"})
    [finding] = json.loads(audit("git", str(repo), "--format", "json", "--no-progress").out)
    audit("triage", finding["fingerprint"], "--status", "false-positive", "--note", "fixture")
    shared = tmp_path / "triage.json"
    audit("triage", "export", str(shared))
    document = json.loads(shared.read_text())
    assert [e["status"] for e in document["entries"]] == ["false-positive"]
    assert finding["secret"] not in shared.read_text()
    # A colleague's datastore of the same repository takes it.
    other = tmp_path / "other.sqlite"
    run_cli(["git", str(repo), "--no-progress", "--datastore", str(other)], capsys=capsys, monkeypatch=monkeypatch)
    imported = run_cli(
        ["triage", "import", str(shared), "--datastore", str(other)], capsys=capsys, monkeypatch=monkeypatch
    )
    assert imported.code == 0 and "1 entry imported" in imported.err
    again = run_cli(
        ["triage", "import", str(shared), "--datastore", str(other)], capsys=capsys, monkeypatch=monkeypatch
    )
    assert "0 entries imported" in again.err  # not newer than what it has
    report = run_cli(["report", "--format", "json", "--datastore", str(other)], capsys=capsys, monkeypatch=monkeypatch)
    assert json.loads(report.out)[0]["status"] == "false-positive"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["triage", "abcdef12", "--status", "open"], "no finding with fingerprint abcdef12"),
        (["triage", "zz", "--status", "open"], "is not a fingerprint"),
        (["triage", "abcdef12"], "give FINGERPRINT --status STATUS"),
        (["triage", "import"], "triage import needs a FILE"),
        (["git", ".", "--status", "open", "--no-progress"], "--status needs --datastore"),
    ],
)
def test_bad_audit_input_is_one_line_and_exit_2(tmp_path: Path, audit, args: list[str], message: str) -> None:
    repo = _repo(tmp_path)
    _commit(repo, "one", **{"a.txt": "a\n"})
    audit("git", str(repo), "--no-progress")
    result = audit(*args, datastore=args[0] != "git")
    assert result.code == 2 and message in result.err and "Traceback" not in result.err


def test_a_missing_datastore_is_an_error_for_report(tmp_path: Path, capsys, monkeypatch) -> None:
    result = run_cli(["report", "--datastore", str(tmp_path / "none.sqlite")], capsys=capsys, monkeypatch=monkeypatch)
    assert result.code == 2 and "no datastore at" in result.err


def test_a_secret_kept_through_edits_is_present_and_removed_where_it_goes(tmp_path: Path, audit) -> None:
    """The finding names the first version of the file; later versions that still hold the
    secret make it present, and the removal is the commit that finally took it out."""
    repo = _repo(tmp_path)
    token = github_token("kept-through-edits")
    _commit(repo, "add", **{"conf.py": f"TOKEN = '{token}'\n", "other.py": f"T = '{token}'\n"})
    _commit(repo, "shift", **{"conf.py": f"# header\nTOKEN = '{token}'\n"})
    [finding] = json.loads(audit("git", str(repo), "--format", "json", "--no-progress").out)
    assert finding["present_at_head"] is True and finding["removed_in"] is None
    _commit(repo, "other edit", **{"other.py": "T = None\n"})
    dropped = _commit(repo, "drop", **{"conf.py": "# header\nTOKEN = None\n"})
    _commit(repo, "unrelated", **{"conf.py": "# header 2\nTOKEN = None\n"})
    [finding] = json.loads(audit("git", str(repo), "--format", "json", "--no-progress").out)
    assert finding["present_at_head"] is False and finding["removed_in"] == dropped
