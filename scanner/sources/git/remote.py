"""Remote repositories: a URL is cloned bare (every branch and tag, nothing checked out)
into a directory the caller owns, then scanned like a local repository.

GitPython runs the clone; it is imported here only, so the pre-commit hook never pays for
it. How the clone runs (transports allowed, no hooks, no prompt) is process.py's policy.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from scanner.errors import SourceError
from scanner.sources.git.process import CLONE_SETTINGS, REPOSITORY_VARIABLES, clone_environment, first_line
from scanner.sources.git.repo import strip_credentials

__all__ = ["clone", "is_remote"]

# scheme://… or scp-like user@host:path (not a Windows drive letter like C:\).
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")
_SCP_LIKE = re.compile(r"[^-/\s:@][^/\s:@]*@[^/\s:]+:(?!//)")


def is_remote(target: str) -> bool:
    """Whether a `keysweep git` target names a remote repository rather than a path."""
    return bool(_SCHEME.match(target) or _SCP_LIKE.match(target))


def clone(url: str, dest: Path) -> Path:
    """Clone `url` bare into `dest` (which must not exist yet); returns the git dir."""
    inherited = [name for name in REPOSITORY_VARIABLES if os.environ.get(name)]
    if inherited:
        # GitPython passes the caller's environment on; inside a hook it would redirect the clone.
        raise SourceError(f"cannot clone {strip_credentials(url)} with {inherited[0]} set (inside a git hook?)")
    import git  # GitPython: only a scan of a URL needs it

    options = ["--bare", *(f"--config={key}={value}" for key, value in CLONE_SETTINGS)]
    try:
        git.Repo.clone_from(
            url, dest, env=clone_environment(), multi_options=options, allow_unsafe_options=True
        ).close()
    except git.GitCommandError as exc:
        raise SourceError(f"cannot clone {strip_credentials(url)}: {_reason(exc)}") from None
    except git.UnsafeProtocolError:
        raise SourceError(f"cannot clone {strip_credentials(url)}: transport not allowed") from None
    return dest


def _reason(exc: object) -> str:
    stderr = getattr(exc, "stderr", "") or ""
    text = stderr if isinstance(stderr, str) else stderr.decode("utf-8", "replace")
    return first_line(text.replace("stderr: ", "").strip("'\n "))
