"""Git inputs: every blob in history (each once), the staged change, and repo helpers.

History is read the way the fast scanners read it: one `git log --raw` pass lists the
blobs that commits added (with provenance), then one long-lived `git cat-file --batch`
streams their contents; for the whole history, the blobs of the repository's packs are
read by scanner.sources.pack instead (history_packs), and cat-file reads only the rest.
Nothing is checked out and no content is held beyond one chain of versions.
Only plain subprocesses are used, so the staged path (pre-commit) starts fast.
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
import threading
import time
from array import array
from binascii import unhexlify
from collections.abc import Generator, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO
from urllib.parse import urlsplit, urlunsplit

from scanner.errors import NotARepositoryError, SourceError
from scanner.model import Blob, BlobRef, Provenance, Skipped, blob_id
from scanner.sources import is_binary, normalize_text, scrubbed_env
from scanner.sources.pack import PackWalk, open_packs

__all__ = [
    "GitBlobReader",
    "HistoryListing",
    "PushScope",
    "history_packs",
    "history_refs",
    "iter_history",
    "iter_staged",
    "pre_push_scope",
    "repository_label",
    "resolve_repo",
]

_NULL_SHA = "0" * 40
_GITLINK = "160000"
# A corrupt repository should end the scan with a clear error, not respawn git forever.
_MAX_UNREADABLE = 100
_CHUNK = 1 << 20
# How long the log parser waits for git to write more (seconds).
_LOG_POLL = 0.001
_LOG_FORMAT = "%x01%H%x00%an%x00%ae%x00%aI%x00%at"
_NO_SIZE = -1
_NULL_ID = b"0" * 40


# ---------------------------------------------------------------------------
# small helpers


def _git_cmd(repo: Path, *args: str) -> list[str]:
    # Config that would change what we parse is pinned here, whatever the user's config says.
    return [
        "git",
        "-C",
        str(repo),
        "-c",
        "core.quotePath=false",
        "-c",
        "diff.noprefix=false",
        "-c",
        "log.showSignature=false",
        *args,
    ]


def _first_line(stderr: bytes | str) -> str:
    text = stderr.decode("utf-8", "replace") if isinstance(stderr, bytes) else stderr
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    for ln in lines:
        if ln.startswith(("fatal:", "error:")):
            return ln
    return lines[0] if lines else "git failed"


def _run(repo: Path, *args: str, env: Mapping[str, str] | None = None) -> bytes:
    """Run a short git command; a failure becomes a one-line SourceError."""
    try:
        proc = subprocess.run(
            _git_cmd(repo, *args),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            env=dict(env) if env is not None else scrubbed_env(),
            check=False,
        )
    except FileNotFoundError as exc:
        raise SourceError("git is not installed or not on PATH") from exc
    if proc.returncode != 0:
        raise SourceError(f"git {args[0]} failed in {repo}: {_first_line(proc.stderr)}")
    return proc.stdout


def _decode_path(raw: bytes) -> str:
    """Paths are bytes in git; undecodable bytes stay visible (and JSON-safe) as \\xNN."""
    return raw.decode("utf-8", "backslashreplace")


def _check_rev(rev: str, what: str) -> str:
    # A revision that looks like an option could make git do something else entirely.
    if not rev or rev.startswith("-") or "\0" in rev or "\n" in rev:
        raise SourceError(f"invalid {what}: {rev!r}")
    return rev


# ---------------------------------------------------------------------------
# repository helpers


def resolve_repo(path: Path) -> Path:
    """The work tree top, or the git dir of a bare repository; NotARepositoryError otherwise."""
    path = Path(path)
    if not path.exists():
        raise NotARepositoryError(f"not a git repository: {path} (no such file or directory)")
    if not path.is_dir():
        raise NotARepositoryError(f"not a git repository: {path} (not a directory)")
    try:
        proc = subprocess.run(
            _git_cmd(
                path,
                "rev-parse",
                "--is-bare-repository",
                "--is-inside-git-dir",
                "--absolute-git-dir",
            ),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            env=scrubbed_env(),
            check=False,
        )
    except FileNotFoundError as exc:
        raise SourceError("git is not installed or not on PATH") from exc
    if proc.returncode != 0:
        message = _first_line(proc.stderr)
        if "not a git repository" in message:
            raise NotARepositoryError(f"not a git repository: {path}")
        raise SourceError(f"{path}: {message}")
    bare, in_git_dir, git_dir = proc.stdout.decode("utf-8", "surrogateescape").splitlines()[:3]
    if bare == "true" or in_git_dir == "true":
        return Path(git_dir)
    top = _run(path, "rev-parse", "--show-toplevel").decode("utf-8", "surrogateescape").strip()
    return Path(top)


def repository_label(repo: Path) -> str:
    """The origin URL without credentials (for webhook payloads), else the local path."""
    try:
        url = _run(repo, "config", "--get", "remote.origin.url").decode("utf-8", "replace").strip()
    except SourceError:
        url = ""
    if not url:
        return str(repo)
    return _strip_credentials(url)


def _strip_credentials(url: str) -> str:
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


# ---------------------------------------------------------------------------
# cat-file streaming


@dataclass(frozen=True)
class _Object:
    id: str
    kind: str  # "blob", ..., or "missing" / "corrupt"
    size: int
    data: bytes | None  # None for --batch-check, or when unreadable
    error: str = ""


def _feed(stream: IO[bytes], ids: Sequence[str]) -> None:
    """Write ids on a thread so a full stdout pipe never deadlocks against a full stdin."""
    try:
        for start in range(0, len(ids), 4096):
            stream.write(("\n".join(ids[start : start + 4096]) + "\n").encode("ascii"))
        stream.close()
    except (BrokenPipeError, OSError, ValueError):
        pass


def _widen_pipe(stream: IO[bytes]) -> None:
    """Let git write up to 1 MiB ahead of us (Linux; 64 KiB otherwise): fewer wake-ups when
    it streams a history's contents, and `git log` keeps walking while we are busy."""
    try:
        import fcntl

        fcntl.fcntl(stream.fileno(), getattr(fcntl, "F_SETPIPE_SZ", 1031), _CHUNK)
    except (ImportError, OSError, ValueError):
        pass  # not Linux, or over the system's pipe-size limit: the default pipe works


def _drain(stream: IO[bytes], sink: list[bytes]) -> None:
    sink.append(stream.read())


def _cat_file(repo: Path, ids: Sequence[str], *, contents: bool) -> Iterator[_Object]:
    """Stream objects through `git cat-file --batch[-check]`, in the order of ids.

    If git dies on an object (corrupt repository), that object is reported as "corrupt"
    and a fresh process continues with the rest.
    """
    position = 0
    unreadable = 0
    while position < len(ids):
        pending = ids[position:]
        mode = "--batch" if contents else "--batch-check"
        try:
            proc = subprocess.Popen(
                _git_cmd(repo, "cat-file", mode),
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=scrubbed_env(),
            )
        except FileNotFoundError as exc:
            raise SourceError("git is not installed or not on PATH") from exc
        assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
        if contents:
            _widen_pipe(proc.stdout)
        errors: list[bytes] = []
        err_thread = threading.Thread(target=_drain, args=(proc.stderr, errors), daemon=True)
        feeder = threading.Thread(target=_feed, args=(proc.stdin, pending), daemon=True)
        err_thread.start()
        feeder.start()
        died = False
        try:
            out = proc.stdout
            for oid in pending:
                header = out.readline()
                if not header.endswith(b"\n"):
                    died = True
                    break
                fields = header.split()
                if len(fields) == 2 and fields[1] in (b"missing", b"ambiguous"):
                    yield _Object(oid, "missing", 0, None, fields[1].decode())
                    position += 1
                    continue
                if len(fields) != 3:
                    died = True
                    break
                kind, size = fields[1].decode("ascii", "replace"), int(fields[2])
                data: bytes | None = None
                if contents:
                    data = out.read(size)
                    if len(data) != size or out.read(1) != b"\n":
                        died = True
                        break
                yield _Object(oid, kind, size, data)
                position += 1
        finally:
            if died or position < len(ids):
                proc.kill()
            feeder.join()
            proc.stdout.close()
            proc.wait()
            err_thread.join()
            proc.stderr.close()
        if died:
            unreadable += 1
            message = _first_line(b"".join(errors)) if errors and errors[0] else "git cat-file died"
            if unreadable > _MAX_UNREADABLE:
                raise SourceError(f"too many unreadable objects in {repo}; last: {message}")
            yield _Object(ids[position], "corrupt", 0, None, message)
            position += 1
        elif proc.returncode not in (0, -9):
            raise SourceError(f"git cat-file failed in {repo}: {_first_line(b''.join(errors))}")


# ---------------------------------------------------------------------------
# history


@dataclass
class _History:
    """Provenance index from one `git log --raw` pass, kept compact: paths and commits
    interned, each blob known by its position (the order it was first seen), and what is
    known of every blob in arrays by position (a few bytes a blob, not Python objects)."""

    commits: list[tuple[str, str, str, str]] = field(default_factory=list)
    # author time of each commit (seconds), as collapse() orders findings
    times: list[int] = field(default_factory=list)
    paths: list[bytes] = field(default_factory=list)
    # blob id -> position; position -> id
    blobs: dict[bytes, int] = field(default_factory=dict)
    keys: list[bytes] = field(default_factory=list)
    # by position: the path first seen at, the commit that first added it there, and the
    # position of the blob that path held before (its previous version), or -1
    first_path: array[int] = field(default_factory=lambda: array("l"))
    first_commit: array[int] = field(default_factory=lambda: array("l"))
    base: array[int] = field(default_factory=lambda: array("l"))
    # position -> [path, commit, path, commit, ...] for the few blobs seen at more paths
    more: dict[int, list[int]] = field(default_factory=dict)
    # gitlink paths (submodules) in first-seen order
    submodules: dict[bytes, None] = field(default_factory=dict)

    def places(self, position: int) -> list[tuple[int, int]]:
        """(path, commit) of every path the blob was added at, the first first."""
        found = [(self.first_path[position], self.first_commit[position])]
        extra = self.more.get(position, ())
        found.extend((extra[i], extra[i + 1]) for i in range(0, len(extra), 2))
        return found


def _stash_commits(repo: Path) -> list[str]:
    """Every stash entry: `--all` reaches only the newest (refs/stash); the rest live in its reflog."""
    try:
        out = _run(repo, "reflog", "show", "--format=%H", "refs/stash", "--")
    except SourceError:
        return []  # no stash
    return [line for line in out.decode("ascii", "replace").split() if len(line) == 40]


def _log_args(
    refs: Sequence[str] | None,
    since: str | None,
    rev_range: str | None,
    stashes: Sequence[str] = (),
) -> list[str]:
    revs: list[str] = []
    if rev_range is not None:
        revs.append(_check_rev(rev_range, "range"))
    if since is not None:
        revs.append("^" + _check_rev(since, "revision"))
        if rev_range is None and not refs:
            revs.append("HEAD")
    if refs:
        revs.extend(_check_rev(r, "ref") for r in refs)
    if not revs:
        return ["--all", *stashes]
    return ["--end-of-options", *revs]


def _start_log(repo: Path, revs: list[str]) -> _Log:
    cmd = _git_cmd(
        repo,
        "log",
        "--raw",
        "--no-abbrev",
        "-z",
        "--no-renames",
        "--no-color",
        "--no-show-signature",
        "--no-relative",
        "--reverse",
        "--date-order",
        "--diff-merges=first-parent",
        "--encoding=UTF-8",
        f"--format={_LOG_FORMAT}",
        *revs,
        "--",
    )
    # Into files where it can (see _Log), else a pipe (and its errors are not kept).
    out = _temporary_file() if hasattr(os, "pread") else None
    err = _temporary_file()
    try:
        proc = subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=out if out is not None else subprocess.PIPE,
            stderr=err if err is not None else subprocess.DEVNULL,
            env=scrubbed_env(),
        )
    except FileNotFoundError as exc:
        for file in (out, err):
            if file is not None:
                file.close()
        raise SourceError("git is not installed or not on PATH") from exc
    if proc.stdout is not None:
        _widen_pipe(proc.stdout)
    return _Log(proc, out, err)


def _temporary_file() -> IO[bytes] | None:
    try:
        return tempfile.TemporaryFile()
    except OSError:
        return None  # an unwritable temporary directory


class _Log:
    """A running `git log` and its output. git writes into an unlinked temporary file, not
    a pipe, so it never stops on a full pipe while this process is busy elsewhere (loading
    rules, reading the packs), and no thread has to drain it (worker processes are forked
    meanwhile). The file is read with pread, at an offset of our own: git's descriptor
    shares the file position. Where pread is missing, a pipe."""

    def __init__(self, proc: subprocess.Popen[bytes], out: IO[bytes] | None, err: IO[bytes] | None) -> None:
        self.proc = proc
        self._out = out
        self._err = err

    def chunks(self) -> Iterator[bytes]:
        """The output as git writes it, to its end."""
        if self._out is None:
            assert self.proc.stdout is not None
            read = getattr(self.proc.stdout, "read1", self.proc.stdout.read)
            while chunk := read(_CHUNK):
                yield chunk
            return
        fd = self._out.fileno()
        offset = 0
        while True:
            done = self.proc.poll() is not None  # before reading: then all it wrote is read
            chunk = os.pread(fd, _CHUNK, offset)
            if chunk:
                offset += len(chunk)
                yield chunk
            elif done:
                return
            else:
                time.sleep(_LOG_POLL)

    def errors(self) -> bytes:
        if self._err is None:
            return b""
        self._err.seek(0)
        return self._err.read(64 * 1024)

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        for stream in (self.proc.stdout, self._out, self._err):
            if stream is not None:
                stream.close()


def _parse_log(repo: Path, log: _Log, sizes: _SizeProbe) -> _History:
    history = _History()
    path_index: dict[bytes, int] = {}
    people: dict[str, str] = {}
    try:
        commit = -1
        header: list[bytes] = []
        in_header = False
        meta: bytes | None = None
        for token in _tokens(log.chunks()):
            if in_header:
                header.append(token)
                if len(header) == 5:
                    sha, name, email, date = (h.decode("utf-8", "replace") for h in header[:4])
                    # Authors repeat across commits: one string each keeps the index small.
                    name, email = people.setdefault(name, name), people.setdefault(email, email)
                    history.commits.append((sha, name, email, date))
                    history.times.append(int(header[4] or 0))
                    commit = len(history.commits) - 1
                    in_header = False
                continue
            if meta is not None:
                new = _record(history, path_index, meta, token, commit)
                if new is not None:
                    sizes.ask(new)
                meta = None
                continue
            token = token.lstrip(b"\n")
            if token.startswith(b"\x01"):
                header = [token[1:]]
                in_header = True
            elif token.startswith(b":"):
                meta = token
            # anything else (an empty token) separates records
    except BaseException:
        log.close()
        raise
    returncode = log.proc.wait()
    if returncode != 0:
        message = _first_line(log.errors())
        if "does not have any commits" in message:
            return history
        raise SourceError(f"cannot read the history of {repo}: {message}")
    return history


class _SizeProbe:
    """`git cat-file --batch-check`, asked about each new blob while the log is still being
    read, so that sizes are known when the listing ends. git answers each id with one line,
    in the order asked, into an unlinked temporary file (as `git log` does, see _Log: it
    never waits on a full pipe, so no thread has to drain it); the answers are read when
    the listing ends and kept by position: a size, or _NO_SIZE. Anything odd (a corrupt
    object ends git) leaves the rest unanswered; the caller asks again the careful way
    (_cat_file)."""

    def __init__(self, repo: Path) -> None:
        self._asked: list[bytes] = []
        self._proc: subprocess.Popen[bytes] | None = None
        self._out = _temporary_file()
        if self._out is None:
            return  # every size is asked the careful way
        try:
            self._proc = subprocess.Popen(
                _git_cmd(repo, "cat-file", "--batch-check"),
                stdin=subprocess.PIPE,
                stdout=self._out,
                stderr=subprocess.DEVNULL,
                env=scrubbed_env(),
            )
        except OSError:
            self._out.close()
            self._out = None

    def ask(self, oid: bytes) -> None:
        self._asked.append(oid)
        if len(self._asked) >= 256:
            self._send()

    def _send(self) -> None:
        if self._proc is not None and self._proc.stdin is not None and self._asked:
            try:
                self._proc.stdin.write(b"\n".join(self._asked) + b"\n")
                self._proc.stdin.flush()
            except (BrokenPipeError, OSError, ValueError):
                pass
        self._asked = []

    def close(self) -> tuple[array[int], dict[int, str]]:
        """Sizes by the position each id was asked at (fewer than asked if git stopped
        early), and the kinds of those that are no blob."""
        sizes = array("q")
        kinds: dict[int, str] = {}  # position -> kind, for what is no blob
        if self._proc is None or self._out is None:
            return sizes, kinds
        self._send()
        if self._proc.stdin is not None:
            try:
                self._proc.stdin.close()
            except OSError:
                pass
        self._proc.wait()
        out = self._out
        self._out = None
        with out:
            out.seek(0)
            rest = b""
            while chunk := out.read(_CHUNK):
                lines = (rest + chunk).split(b"\n")
                rest = lines.pop()
                for line in lines:
                    fields = line.split()
                    if len(fields) == 3 and fields[2].isdigit():
                        if fields[1] != b"blob":
                            kinds[len(sizes)] = fields[1].decode("ascii", "replace")
                        sizes.append(int(fields[2]))
                    elif len(fields) == 2:
                        sizes.append(_NO_SIZE)  # missing or ambiguous: the careful path says which
                    else:
                        return sizes, kinds  # not the protocol: positions can no longer be trusted
        return sizes, kinds

    def kill(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.kill()


def _tokens(chunks: Iterable[bytes]) -> Iterator[bytes]:
    rest = b""
    for chunk in chunks:
        parts = (rest + chunk).split(b"\0")
        rest = parts.pop()
        yield from parts
    if rest:
        yield rest


def _record(history: _History, path_index: dict[bytes, int], meta: bytes, path: bytes, commit: int) -> bytes | None:
    """Record one raw entry; returns the blob id (hex) when the entry names a new blob."""
    # ":old_mode new_mode old_sha new_sha status"
    fields = meta[1:].split()
    if len(fields) < 5:
        return None
    old_mode, new_mode, old_sha, new_sha, status = fields[:5]
    if status.startswith(b"D") or new_sha == _NULL_ID:
        return None
    if new_mode == b"160000":
        history.submodules.setdefault(path, None)
        return None
    if not new_mode.startswith(b"10") and new_mode != b"120000":
        return None
    pidx = path_index.get(path)
    if pidx is None:
        pidx = path_index[path] = len(history.paths)
        history.paths.append(path)
    key = unhexlify(new_sha)
    position = history.blobs.get(key)
    if position is None:
        history.blobs[key] = len(history.keys)
        history.keys.append(key)
        history.first_path.append(pidx)
        history.first_commit.append(commit)
        # The previous version was listed before (parents come first), unless the range
        # scanned starts after it: then there is none to match against.
        base = -1
        if old_mode.startswith(b"10") and old_sha != _NULL_ID:
            base = history.blobs.get(unhexlify(old_sha), -1)
        history.base.append(base)
        return new_sha
    # First seen is earliest (parents before children, then by date): keep it per path.
    if history.first_path[position] == pidx:
        return None
    extra = history.more.setdefault(position, [])
    for i in range(0, len(extra), 2):
        if extra[i] == pidx:
            return None
    extra.extend((pidx, commit))
    return None


def _provenance(history: _History, position: int, paths: dict[int, str]) -> tuple[Provenance, ...]:
    extra = history.more.get(position)
    if extra is None:  # most blobs: one path
        return (_place(history, history.first_path[position], history.first_commit[position], paths),)
    return tuple(_place(history, pidx, commit, paths) for pidx, commit in history.places(position))


def _place(history: _History, pidx: int, commit: int, paths: dict[int, str]) -> Provenance:
    sha, name, email, date = history.commits[commit]
    path = paths.get(pidx)
    if path is None:
        path = paths[pidx] = _decode_path(history.paths[pidx])
    return Provenance(path, sha, name, email, date)


def iter_history(
    repo: Path,
    *,
    refs: Sequence[str] | None = None,
    since: str | None = None,
    rev_range: str | None = None,
    max_file_size: int,
) -> Iterator[Blob | Skipped]:
    """Every unique blob that the selected commits added, once, with its provenance and
    content (history_refs, then one GitBlobReader pass over them)."""
    pending: list[BlobRef] = []
    for item in history_refs(repo, refs=refs, since=since, rev_range=rev_range, max_file_size=max_file_size):
        if isinstance(item, Skipped):
            yield item
        else:
            pending.append(item)
    yield from GitBlobReader(Path(repo))(pending)


def history_refs(
    repo: Path,
    *,
    refs: Sequence[str] | None = None,
    since: str | None = None,
    rev_range: str | None = None,
    max_file_size: int,
) -> HistoryListing:
    """Every unique blob that the selected commits added, once, with its provenance, by id
    and size: GitBlobReader reads the content (in each worker, for its share).

    refs None means every ref (`--all`: branches, tags, remotes, stash, HEAD). `since`
    scans `since..HEAD` (or `since..REF` for each of refs); `rev_range` is an `A..B` range.
    Too-large blobs are reported as Skipped (and never read), submodule entries likewise
    (their repositories are not followed).

    `git log` starts now (bad revisions fail here), not when iteration starts: the caller
    loads its rules and workers while git walks the history.
    """
    repo = Path(repo)
    everything = refs is None and since is None and rev_range is None
    stashes = _stash_commits(repo) if everything else []
    log = _start_log(repo, _log_args(refs, since, rev_range, stashes))
    settled = _Settled()
    return HistoryListing(log, _listed_blobs(repo, log, max_file_size, settled), settled)


def history_packs(repo: Path, *, max_file_size: int) -> PackWalk | None:
    """The pack walk over the repository's own packs (scanner.sources.pack), for a scan of
    the whole history; None where packs cannot be read here (a SHA-256 repository)."""
    try:
        out = _run(Path(repo), "rev-parse", "--git-common-dir", "--show-object-format=storage")
    except SourceError:
        return None
    lines = out.decode("utf-8", "surrogateescape").splitlines()
    if len(lines) != 2 or lines[1] != "sha1":
        return None
    common = Path(lines[0])
    if not common.is_absolute():
        common = Path(repo) / common
    return open_packs(common / "objects", max_file_size)


@dataclass
class _Settled:
    """Blobs the caller has a result for already (raw ids), and those of them listed."""

    ids: set[bytes] = field(default_factory=set)
    blobs: int = 0
    bytes: int = 0


class HistoryListing:
    """The items of history_refs; close() stops git if they are never read."""

    def __init__(self, log: _Log, items: Generator[BlobRef | Skipped, None, None], settled: _Settled) -> None:
        self._log = log
        self._items = items
        self._settled = settled

    def settle(self, ids: Iterable[bytes]) -> None:
        """Blobs (raw 20-byte ids) the caller already has a result for, and no use for: from
        now on they are left out of the listing, only counted (see `left_out`)."""
        self._settled.ids.update(ids)

    def left_out(self) -> tuple[int, int]:
        """How many settled blobs the listing has left out so far, and their bytes: the
        settled blobs that are in the history (the caller may have had results for more)."""
        return self._settled.blobs, self._settled.bytes

    def __iter__(self) -> Iterator[BlobRef | Skipped]:
        return self._items

    def close(self) -> None:
        self._items.close()
        self._log.close()


def _listed_blobs(
    repo: Path, log: _Log, max_file_size: int, settled: _Settled
) -> Generator[BlobRef | Skipped, None, None]:
    probe = _SizeProbe(repo)
    try:
        history = _parse_log(repo, log, probe)
    except BaseException:
        probe.kill()
        probe.close()
        raise
    sizes, kinds = probe.close()
    for path in history.submodules:
        yield Skipped(_decode_path(path), "submodule", "submodules are not followed")
    if not history.blobs:
        return

    small: list[tuple[int, int]] = []  # (position, size) of the blobs to read
    unread: set[int] = set()  # the few listed blobs that are not read (no base for others)
    keys = history.keys
    for position, kind, size, obj in _checked(repo, history, sizes, kinds):
        if kind != "blob":
            unread.add(position)
            yield _unreadable(_first_path(history, position), obj or _Object(keys[position].hex(), kind, size, None))
        elif size > max_file_size:
            unread.add(position)
            yield Skipped(_first_path(history, position), "too-large", f"blob {keys[position].hex()}, {size} bytes")
        else:
            small.append((position, size))
    del sizes, kinds
    # All versions of a path together (log order within it): git inflates delta chains
    # from its base cache instead of from scratch, about twice as fast on real histories.
    first_path = history.first_path
    small.sort(key=lambda item: (first_path[item[0]], item[0]))
    paths: dict[int, str] = {}  # decoded once per path, not once per version
    for position, size in small:
        # Checked here, not above: the caller settles blobs while it reads the listing.
        if keys[position] in settled.ids:
            settled.blobs += 1
            settled.bytes += size
            continue
        yield BlobRef(
            keys[position].hex(), size, _provenance(history, position, paths), _base(history, position, unread)
        )


def _checked(
    repo: Path, history: _History, sizes: array[int], kinds: dict[int, str]
) -> Iterator[tuple[int, str, int, _Object | None]]:
    """(position, kind, size, and what git said of it where the careful path asked) of every
    listed blob: the size probe's answers, then the careful per-object path for the ids it
    did not answer (missing, corrupt, or git gone). The probe was asked about each blob as
    it entered the index: positions match."""
    unanswered: list[str] = []
    for position, key in enumerate(history.keys):
        size = sizes[position] if position < len(sizes) else _NO_SIZE
        if size == _NO_SIZE:
            unanswered.append(key.hex())
        else:
            yield position, kinds.get(position, "blob"), size, None
    for obj in _cat_file(repo, unanswered, contents=False):
        yield history.blobs[bytes.fromhex(obj.id)], obj.kind, obj.size, obj


@dataclass(frozen=True)
class GitBlobReader:
    """Reads BlobRefs of one repository through its own `git cat-file --batch`: one result
    per ref, in order (Blob, or Skipped for binary and unreadable objects)."""

    repo: Path

    def __call__(self, refs: Sequence[BlobRef]) -> Iterator[Blob | Skipped]:
        for ref, obj in zip(refs, _cat_file(self.repo, [ref.id for ref in refs], contents=True), strict=True):
            where = ref.provenance[0].path if ref.provenance else ""
            if obj.data is None or obj.kind != "blob":
                yield _unreadable(where, obj)
            elif is_binary(obj.data):
                yield Skipped(where, "binary", f"blob {obj.id}, {obj.size} bytes")
            else:
                yield Blob(id=obj.id, data=normalize_text(obj.data), provenance=ref.provenance)


def _base(history: _History, position: int, unread: set[int]) -> str | None:
    """The previous version of the blob's file, if matching may skip what the two share.

    Findings collapse to one per secret and path, the earliest commit's. A secret that the
    blob holds where its edit left the file alone was in the previous version too, so
    reported from there at an earlier date. That holds when the blob was seen at one path
    only, and the previous version is scanned too, at that path, from a strictly earlier
    commit (author time, as collapse() orders them).
    """
    base = history.base[position]
    if base < 0 or base in unread or position in history.more:
        return None
    path, commit = history.first_path[position], history.first_commit[position]
    if history.first_path[base] == path:
        base_commit = history.first_commit[base]
    else:
        extra = history.more.get(base, ())
        found = [extra[i + 1] for i in range(0, len(extra), 2) if extra[i] == path]
        if not found:
            return None
        base_commit = found[0]
    return history.keys[base].hex() if history.times[base_commit] < history.times[commit] else None


def _first_path(history: _History, position: int) -> str:
    return _decode_path(history.paths[history.first_path[position]])


def _unreadable(path: str, obj: _Object) -> Skipped:
    reason = obj.kind if obj.kind in ("missing", "corrupt") else "not-a-blob"
    detail = f"blob {obj.id}" + (f": {obj.error}" if obj.error else "")
    return Skipped(path, reason, detail)


# ---------------------------------------------------------------------------
# staged change

_HUNK = re.compile(rb"^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@")


@dataclass(frozen=True)
class _StagedFile:
    path: bytes
    mode: str
    sha: str


def _staged_files(repo: Path, env: Mapping[str, str]) -> list[_StagedFile]:
    out = _run(
        repo,
        "diff",
        "--cached",
        "--raw",
        "-z",
        "--no-abbrev",
        "-M",
        "--no-relative",
        "--diff-filter=AMRT",
        "--no-ext-diff",
        "--no-textconv",
        env=env,
    )
    tokens = out.split(b"\0")
    files: list[_StagedFile] = []
    i = 0
    while i < len(tokens):
        meta = tokens[i]
        if not meta.startswith(b":"):
            i += 1
            continue
        fields = meta[1:].split()
        status = fields[4][:1]
        if status in (b"R", b"C"):
            path = tokens[i + 2]
            i += 3
        else:
            path = tokens[i + 1]
            i += 2
        files.append(_StagedFile(path, fields[1].decode("ascii"), fields[3].decode("ascii")))
    return files


def _added_lines(
    repo: Path, count: int, env: Mapping[str, str]
) -> list[tuple[str | None, list[tuple[int, int]] | None]]:
    """Per file section of the staged patch (same order as the raw listing): new blob id and
    the added line ranges, or None where git saw a binary file (all of it is new to us)."""
    out = _run(
        repo,
        "diff",
        "--cached",
        "-U0",
        "-M",
        "--no-relative",
        "--diff-filter=AMRT",
        "--no-color",
        "--no-ext-diff",
        "--no-textconv",
        "--full-index",
        "--src-prefix=a/",
        "--dst-prefix=b/",
        env=env,
    )
    sections: list[tuple[str | None, list[tuple[int, int]] | None]] = []
    in_header = False
    for line in out.split(b"\n"):
        if line.startswith(b"diff --git "):
            sections.append((None, []))
            in_header = True
            continue
        if not sections:
            continue
        sha, ranges = sections[-1]
        if in_header:
            if line.startswith(b"index "):
                ids = line[6:].split(b" ")[0].split(b"..")
                if len(ids) == 2:
                    sections[-1] = (ids[1].decode("ascii", "replace"), ranges)
                continue
            if line.startswith((b"Binary files ", b"GIT binary patch")):
                sections[-1] = (sha, None)
                continue
        if line.startswith(b"@@ ") and ranges is not None:
            in_header = False
            m = _HUNK.match(line)
            if m:
                start = int(m.group(1))
                length = 1 if m.group(2) is None else int(m.group(2))
                if length:
                    ranges.append((start, start + length - 1))
    if len(sections) != count:
        raise SourceError(
            f"cannot read the staged change in {repo}: {count} files listed, {len(sections)} in the patch"
        )
    return sections


def _keep_lines(data: bytes, ranges: Iterable[tuple[int, int]]) -> bytes:
    """Blank every line outside ranges (1-based, inclusive), keeping line endings so positions hold.

    Lines are counted on LF alone, as git counts them for hunks.
    """
    keep: set[int] = set()
    for start, end in ranges:
        keep.update(range(start, end + 1))
    lines = data.split(b"\n")
    for index, line in enumerate(lines):
        if index + 1 not in keep:
            lines[index] = b"\r" if line.endswith(b"\r") else b""
    return b"\n".join(lines)


def _staged_env(environ: Mapping[str, str]) -> dict[str, str]:
    """The scrubbed environment, but with the caller's GIT_INDEX_FILE.

    `git commit -a` and `git commit PATH` run the pre-commit hook against a temporary index
    named by GIT_INDEX_FILE; reading .git/index instead would miss what is being committed.
    """
    env = scrubbed_env()
    index = environ.get("GIT_INDEX_FILE")
    if index:
        env["GIT_INDEX_FILE"] = os.path.abspath(index)
    return env


def iter_staged(
    repo: Path, *, max_file_size: int, environ: Mapping[str, str] | None = None
) -> Iterator[Blob | Skipped]:
    """The staged version of each added/modified file, with only the lines it adds left in.

    environ (default os.environ) is consulted for GIT_INDEX_FILE only.
    """
    repo = Path(repo)
    env = _staged_env(os.environ if environ is None else environ)
    if not (repo / ".git").exists():
        inside = _run(repo, "rev-parse", "--is-inside-work-tree").strip()
        if inside != b"true":
            raise SourceError(f"{repo} has no work tree, so nothing is staged there")
    files = _staged_files(repo, env)
    if not files:
        return
    sections = _added_lines(repo, len(files), env)
    wanted: dict[str, list[tuple[_StagedFile, list[tuple[int, int]] | None]]] = {}
    for staged, (patch_sha, ranges) in zip(files, sections, strict=True):
        if patch_sha is not None and patch_sha != staged.sha:
            raise SourceError(f"cannot read the staged change in {repo}: listing and patch disagree")
        if staged.mode == _GITLINK:
            yield Skipped(_decode_path(staged.path), "submodule", "submodules are not followed")
            continue
        if ranges is not None and not ranges:
            continue  # a pure rename, a deletion of lines or a mode change adds no line
        wanted.setdefault(staged.sha, []).append((staged, ranges))
    if not wanted:
        return
    for obj in _cat_file(repo, list(wanted), contents=True):
        for staged, ranges in wanted[obj.id]:
            path = _decode_path(staged.path)
            if obj.data is None or obj.kind != "blob":
                yield Skipped(
                    path,
                    obj.kind if obj.kind in ("missing", "corrupt") else "not-a-blob",
                    obj.error,
                )
            elif obj.size > max_file_size:
                yield Skipped(path, "too-large", f"{obj.size} bytes")
            elif is_binary(obj.data):
                yield Skipped(path, "binary", f"{obj.size} bytes")
            else:
                data = normalize_text(obj.data)
                # UTF-16 text is binary to git's diff: no hunks, so the whole file is scanned.
                masked = data if ranges is None else _keep_lines(data, ranges)
                # The id is that of what is scanned: two paths may share a blob but not their added lines.
                yield Blob(id=blob_id(masked), data=masked, provenance=(Provenance(path),))
