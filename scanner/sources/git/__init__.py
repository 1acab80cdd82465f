"""Git as a source: history (whole, a range, some branches) and the staged change.

Every git process is started by scanner.sources.git.process, which pins the one
configuration keysweep trusts; nothing a scanned repository names is ever run.
"""

from __future__ import annotations

from scanner.sources.git.history import HistorySource
from scanner.sources.git.remote import clone, is_remote
from scanner.sources.git.repo import (
    PushScope,
    pre_push_scope,
    pre_receive_scope,
    repository_label,
    resolve_repo,
    work_tree_top,
)
from scanner.sources.git.staged import StagedSource

__all__ = [
    "HistorySource",
    "PushScope",
    "StagedSource",
    "clone",
    "is_remote",
    "pre_push_scope",
    "pre_receive_scope",
    "repository_label",
    "resolve_repo",
    "work_tree_top",
]
