"""End to end: `keysweep <scan> --webhook` and `keysweep webhook retry`, with a real receiver."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.actions.conftest import Receiver, free_port
from tests.helpers import Result, git, github_token, random_chars, run_subprocess, stripe_key

Cli = Callable[..., Result]


def leaky_text(tag: str) -> tuple[bytes, str, str]:
    gh, st = github_token(f"cli-{tag}"), stripe_key(f"cli-{tag}")
    return f'token = "{gh}"\nstripe = "{st}"\n'.encode(), gh, st


def fast_config(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "keysweep.toml"
    path.write_text(body, encoding="utf-8")
    return path


def test_stdin_webhook_sends_each_finding_once(cli: Cli, receiver: Receiver) -> None:
    text, gh, st = leaky_text("stdin")
    first = cli(["stdin", "--webhook", receiver.url], stdin=text)
    assert first.code == 1, first.err
    assert "webhook: 2 sent, 0 failed, 0 pending" in first.err
    assert len(receiver.received) == 2
    hashes = {r.json["finding"]["secret_sha256"] for r in receiver.received}
    assert hashes == {hashlib.sha256(s.encode()).hexdigest() for s in (gh, st)}
    for request in receiver.received:
        assert gh not in request.body.decode() and st not in request.body.decode()
        assert "x-keysweep-signature-256" not in request.headers

    second = cli(["stdin", "--webhook", receiver.url], stdin=text)
    assert second.code == 1
    assert "webhook: 0 sent, 0 failed, 0 pending, 2 already sent" in second.err
    assert len(receiver.received) == 2


def test_no_findings_no_delivery(cli: Cli, receiver: Receiver) -> None:
    result = cli(["stdin", "--webhook", receiver.url], stdin=b"nothing to see\n")
    assert result.code == 0 and receiver.received == []


def test_plain_http_to_a_remote_host_is_an_error_before_scanning(cli: Cli) -> None:
    text, _, _ = leaky_text("refused")
    result = cli(["stdin", "--format", "json", "--webhook", "http://hooks.example.com/ks"], stdin=text)
    assert result.code == 2
    assert result.out == ""
    assert result.err.count("\n") == 1
    assert "refusing plain http:// URL http://hooks.example.com/ks" in result.err
    assert "Traceback" not in result.err


def test_webhook_env_secret_signs_the_webhook_option(
    cli: Cli, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = "whsec-" + random_chars("cli-sign", 24)
    monkeypatch.setenv("KEYSWEEP_WEBHOOK_SECRET", key)
    text, _, _ = leaky_text("signed")
    assert cli(["stdin", "--webhook", receiver.url], stdin=text).code == 1
    for request in receiver.received:
        expected = "sha256=" + hmac.new(key.encode(), request.body, hashlib.sha256).hexdigest()
        assert request.headers["x-keysweep-signature-256"] == expected


def test_config_webhooks_route_and_sign(
    cli: Cli, receiver: Receiver, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = "whsec-" + random_chars("cli-config", 24)
    config = fast_config(
        tmp_path,
        f"""
[[webhooks]]
url = "{receiver.url}/github"
rules = ["github.*"]
secret_env = "TEAM_HOOK_KEY"
include_secret = true
""",
    )
    text, gh, _ = leaky_text("config")

    monkeypatch.delenv("TEAM_HOOK_KEY", raising=False)
    missing = cli(["stdin", "--config", str(config)], stdin=text)
    assert missing.code == 2 and "'TEAM_HOOK_KEY' is not set" in missing.err
    assert missing.out == "" and receiver.received == []

    monkeypatch.setenv("TEAM_HOOK_KEY", key)
    result = cli(["stdin", "--config", str(config)], stdin=text)
    assert result.code == 1, result.err
    (request,) = receiver.received
    assert request.path == "/hook/github"
    assert request.json["finding"]["secret"] == gh
    expected = "sha256=" + hmac.new(key.encode(), request.body, hashlib.sha256).hexdigest()
    assert request.headers["x-keysweep-signature-256"] == expected


def test_bad_webhook_config_names_file_and_field(cli: Cli, tmp_path: Path) -> None:
    config = fast_config(tmp_path, '[[webhooks]]\nurl = "https://h.example/"\nretries = 3\n')
    result = cli(["stdin", "--config", str(config)], stdin=b"x\n")
    assert result.code == 2
    assert "keysweep.toml: [[webhooks]] #1: field 'retries': unknown field" in result.err


def test_server_down_reports_findings_and_retry_sends_later(cli: Cli, tmp_path: Path) -> None:
    port = free_port()
    config = fast_config(
        tmp_path,
        f"""
[[webhooks]]
url = "http://127.0.0.1:{port}/hook"
max_attempts = 2
backoff = 0.01
timeout = 2
""",
    )
    text, gh, st = leaky_text("down")
    result = cli(["stdin", "--format", "json", "--config", str(config)], stdin=text)
    assert result.code == 1
    assert {f["rule_id"] for f in json.loads(result.out)} == {"github.classic-pat", "stripe.secret-key"}
    assert "webhook: 0 sent, 2 failed, 2 pending" in result.err
    assert "connection failed" in result.err and "keysweep webhook retry" in result.err
    assert gh not in result.err and st not in result.err

    still_down = cli(["webhook", "retry"])
    assert still_down.code == 2 and "2 pending" in still_down.err

    server = Receiver(port).start()
    try:
        retried = cli(["webhook", "retry"])
        assert retried.code == 0, retried.err
        assert "webhook: 2 sent, 0 failed, 0 pending" in retried.err
        assert len(server.received) == 2
        assert cli(["webhook", "retry"]).code == 0
        assert len(server.received) == 2
    finally:
        server.stop()


def test_dir_git_and_staged_scans_call_the_webhook(tmp_path: Path, receiver: Receiver) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    git(repo, "remote", "add", "origin", "https://ci:" + random_chars("remote", 12) + "@git.example.invalid/app.git")
    committed, staged, on_disk = (github_token(f"cmd-{n}") for n in ("git", "staged", "dir"))
    (repo / "a.py").write_text(f'A = "{committed}"\n')
    git(repo, "add", "a.py")
    git(repo, "commit", "-q", "-m", "add a")
    (repo / "b.py").write_text(f'B = "{staged}"\n')
    git(repo, "add", "b.py")
    (repo / "c.py").write_text(f'C = "{on_disk}"\n')

    env = {"HOME": str(tmp_path)}
    for command, secret in (("git", committed), ("staged", staged), ("dir", on_disk)):
        before = len(receiver.received)
        result = run_subprocess([command, str(repo), "--webhook", receiver.url], cwd=repo, env=env)
        assert result.code == 1, (command, result.err)
        sent = [r.json["finding"] for r in receiver.received[before:]]
        assert hashlib.sha256(secret.encode()).hexdigest() in {f["secret_sha256"] for f in sent}, command
    repositories = {r.json["finding"]["repository"] for r in receiver.received}
    assert all("ci:" not in repo_label for repo_label in repositories)
    assert "https://git.example.invalid/app.git" in repositories
    assert os.environ["KEYSWEEP_STATE_DIR"]  # the subprocesses shared the test's journal


def test_webhook_list_shows_deliveries_without_secrets(cli: Cli, tmp_path: Path) -> None:
    """Pending deliveries (receiver down) are listed with their finding's rule and place and
    the last error; the URL loses its query (hook tokens) and no secret appears anywhere."""
    empty = cli(["webhook", "list"])
    assert empty.code == 0 and "no deliveries journalled" in empty.out
    port = free_port()
    hook = f"http://127.0.0.1:{port}/hook?token=" + random_chars("hook-token", 16)
    config = fast_config(
        tmp_path,
        f'[[webhooks]]\nurl = "{hook}"\ninclude_secret = true\nmax_attempts = 1\nbackoff = 0.01\ntimeout = 2\n',
    )
    text, gh, st = leaky_text("list")
    scanned = cli(["stdin", "--config", str(config)], stdin=text)
    assert scanned.code == 1 and "2 pending" in scanned.err, scanned.err
    listed = cli(["webhook", "list"])
    assert listed.code == 0
    lines = listed.out.splitlines()
    assert len(lines) == 2 and all(line.startswith("pending ") for line in lines), listed.out
    assert any("github." in line and "stdin:1" in line for line in lines), listed.out
    assert "connection failed" in listed.out
    assert f"http://127.0.0.1:{port}/hook" in listed.out and "token=" not in listed.out
    as_json = json.loads(cli(["webhook", "list", "--pending", "--format", "json"]).out)
    assert {entry["status"] for entry in as_json} == {"pending"} and len(as_json) == 2
    for output in (listed.out, json.dumps(as_json)):
        assert gh not in output and st not in output

    receiver = Receiver(port).start()
    try:
        assert cli(["webhook", "retry"]).code == 0
    finally:
        receiver.stop()
    assert cli(["webhook", "list", "--pending"]).out.strip() == "no pending deliveries"
    sent = cli(["webhook", "list"]).out.splitlines()
    assert len(sent) == 2 and all(line.startswith("sent ") for line in sent)
