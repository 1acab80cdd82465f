"""The receiver example of docs/webhook.md verifies real keysweep deliveries."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

import pytest
from requests.structures import CaseInsensitiveDict

from scanner.actions import WebhookTarget, deliver
from tests.actions.conftest import Receiver, make_finding
from tests.helpers import github_token, random_chars

DOC = Path(__file__).resolve().parents[2] / "docs" / "webhook.md"


def receiver_example() -> str:
    section = DOC.read_text(encoding="utf-8").split("## A receiver", 1)[1]
    match = re.search(r"```python\n(.*?)```", section, re.S)
    assert match, "docs/webhook.md lost its receiver example"
    return match.group(1)


class KeyStore:
    def __init__(self, hashes: set[str]) -> None:
        self.hashes = hashes
        self.revoked: list[tuple[str, str]] = []

    def find_by_sha256(self, digest: str) -> Any:
        store = self

        class Key:
            def revoke(self, reason: str) -> None:
                store.revoked.append((digest, reason))

        return Key() if digest in self.hashes else None


def test_the_documented_receiver_verifies_and_revokes(
    receiver: Receiver, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = "whsec-" + random_chars("docs", 24)
    token = github_token("docs")
    digest = hashlib.sha256(token.encode()).hexdigest()
    monkeypatch.setenv("KEYSWEEP_WEBHOOK_SECRET", key)
    handled: set[str] = set()
    store = KeyStore({digest})
    namespace: dict[str, Any] = {
        "keys": store,
        "already_handled": handled.__contains__,
        "mark_handled": handled.add,
    }
    exec(compile(receiver_example(), str(DOC), "exec"), namespace)
    handle = namespace["handle"]

    deliver(
        [make_finding(token)],
        [WebhookTarget(url=receiver.url, secret_env="KEYSWEEP_WEBHOOK_SECRET")],
        state_dir=tmp_path / "state",
        repository="https://git.example.invalid/app.git",
        env={"KEYSWEEP_WEBHOOK_SECRET": key},
    )
    (request,) = receiver.received
    headers = CaseInsensitiveDict(request.headers)

    assert handle(request.body, headers) == 202
    assert store.revoked == [(digest, "leaked in https://git.example.invalid/app.git: app.py")]
    assert handle(request.body, headers) == 200  # a retry of the same delivery: no second revoke
    assert len(store.revoked) == 1
    assert handle(request.body.replace(b'"line":3', b'"line":4'), headers) == 401
    assert handle(request.body, CaseInsensitiveDict()) == 401
