"""Git as a source: history (whole, a range, some branches) and the staged change.

Every git process is started by scanner.sources.git.process, which pins the one
configuration keysweep trusts; nothing a scanned repository names is ever run.

The names below are imported when first used: a pre-commit hook (`keysweep staged`)
needs the staged source, not the history's listing, pack reader and clone.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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

_HOME = {
    "HistorySource": "history",
    "StagedSource": "staged",
    "clone": "remote",
    "is_remote": "remote",
    **dict.fromkeys(
        ("PushScope", "pre_push_scope", "pre_receive_scope", "repository_label", "resolve_repo", "work_tree_top"),
        "repo",
    ),
}


def __getattr__(name: str) -> Any:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    # __import__, not importlib.import_module: so `python -X importtime` still counts it.
    value = getattr(__import__(f"{__name__}.{home}", fromlist=[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
