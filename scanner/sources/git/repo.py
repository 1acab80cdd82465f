"""Facts about a repository: where it is, what to call it, what a pre-push hook pushes."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from scanner.errors import NotARepositoryError, SourceError
from scanner.sources.git.process import first_line, popen, run, run_status

__all__ = [
    "PushScope",
    "not_fetched",
    "object_format",
    "pre_push_scope",
    "pre_receive_scope",
    "repository_label",
    "resolve_repo",
    "work_tree_top",
]


def resolve_repo(path: Path) -> Path:
    """The work tree top, or the git dir of a bare repository; NotARepositoryError otherwise."""
    path = Path(path)
    if not path.exists():
        raise NotARepositoryError(f"not a git repository: {path} (no such file or directory)")
    if not path.is_dir():
        raise NotARepositoryError(f"not a git repository: {path} (not a directory)")
    proc = run_status(path, "rev-parse", "--is-bare-repository", "--is-inside-git-dir", "--absolute-git-dir")
    if proc.returncode != 0:
        message = first_line(proc.stderr)
        if "not a git repository" in message:
            raise NotARepositoryError(f"not a git repository: {path}")
        raise SourceError(f"{path}: {message}")
    bare, in_git_dir, git_dir = proc.stdout.decode("utf-8", "surrogateescape").splitlines()[:3]
    if bare == "true" or in_git_dir == "true":
        return Path(git_dir)
    top = run(path, "rev-parse", "--show-toplevel").decode("utf-8", "surrogateescape").strip()
    return Path(top)


def work_tree_top(directory: Path) -> Path | None:
    """The top of the work tree holding `directory`, or None outside one."""
    try:
        proc = run_status(directory, "rev-parse", "--show-toplevel")
    except SourceError:
        return None
    top = proc.stdout.decode("utf-8", "surrogateescape").strip()
    return Path(top).resolve() if proc.returncode == 0 and top else None


def object_format(repo: Path) -> tuple[Path, str] | None:
    """The repository's common git dir and its object format ("sha1", "sha256")."""
    try:
        out = run(repo, "rev-parse", "--git-common-dir", "--show-object-format=storage")
    except SourceError:
        return None
    lines = out.decode("utf-8", "surrogateescape").splitlines()
    if len(lines) != 2:
        return None
    common = Path(lines[0])
    return (common if common.is_absolute() else Path(repo) / common), lines[1]


def not_fetched(repo: Path, ids: list[str]) -> frozenset[str]:
    """Those of `ids` a partial clone does not hold (its promisor remote has them). Asking
    git for them one by one would make it try, and fail, to fetch each; so list what is
    present locally, which never fetches."""
    if not ids or not _is_partial_clone(repo):
        return frozenset()
    wanted = {oid.encode("ascii") for oid in ids}
    proc = popen(repo, ["cat-file", "--batch-all-objects", "--batch-check=%(objectname)", "--unordered"])
    assert proc.stdout is not None
    with proc.stdout:
        for line in proc.stdout:
            wanted.discard(line.rstrip(b"\n"))
    proc.wait()
    return frozenset(oid.decode("ascii") for oid in wanted)


def _is_partial_clone(repo: Path) -> bool:
    pattern = r"^(extensions\.partialclone|remote\..*\.promisor)$"
    proc = run_status(repo, "config", "--get-regexp", pattern)
    return proc.returncode == 0 and bool(proc.stdout.strip())


def repository_label(repo: Path) -> str:
    """The origin URL without credentials (for webhook payloads), else the local path."""
    try:
        url = run(repo, "config", "--get", "remote.origin.url").decode("utf-8", "replace").strip()
    except SourceError:
        url = ""
    if not url:
        return str(repo)
    return strip_credentials(url)


def strip_credentials(url: str) -> str:
    """A URL fit to show: no user info (a token hides there), no query or fragment."""
    if "://" not in url:
        return url  # scp-like `git@host:org/repo.git` or a path: the user part is no secret
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


@dataclass(frozen=True)
class PushScope:
    """What a pre-push hook should scan: a revision range, or whole refs."""

    refs: tuple[str, ...] | None = None
    rev_range: str | None = None
    new_only: bool = False  # of refs, only commits no ref reaches yet


_ZERO = frozenset(("0" * 40, "0" * 64))


def pre_receive_scope(lines: Iterable[str]) -> PushScope:
    """What a pre-receive hook scans, from its standard input (`OLD NEW REF` a line): the
    commits the push brings, which no ref reaches yet. A deleted ref brings nothing."""
    tips: list[str] = []
    for number, line in enumerate(lines, 1):
        fields = line.split()
        if not fields:
            continue
        if len(fields) != 3 or not all(len(f) in (40, 64) for f in fields[:2]):
            raise SourceError(f"pre-receive input line {number} is not `OLD NEW REF`: {line.strip()[:80]!r}")
        if fields[1] not in _ZERO and fields[1] not in tips:
            tips.append(fields[1])
    return PushScope(refs=tuple(tips), new_only=True)


def pre_push_scope(environ: Mapping[str, str]) -> PushScope:
    """Translate pre-commit's pre-push environment into a history scope.

    pre-commit sets PRE_COMMIT_FROM_REF/TO_REF when the remote has an ancestor; on a
    first push of a branch (its root is not on the remote) it sets only the branch names,
    and then the whole pushed branch is new to the remote.
    """
    from_ref = environ.get("PRE_COMMIT_FROM_REF") or environ.get("PRE_COMMIT_ORIGIN")
    to_ref = environ.get("PRE_COMMIT_TO_REF") or environ.get("PRE_COMMIT_SOURCE")
    if from_ref and to_ref:
        return PushScope(rev_range=f"{from_ref}..{to_ref}")
    local = environ.get("PRE_COMMIT_LOCAL_BRANCH")
    if local:
        return PushScope(refs=(local,))
    return PushScope(refs=("HEAD",))
