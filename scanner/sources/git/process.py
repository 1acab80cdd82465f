"""The one place that says how git runs: every git command keysweep runs is built here, and
all but one are started here (the clone of a remote URL is started by GitPython in
remote.py, with CLONE_SETTINGS and clone_environment from this module).

A scanned repository may be hostile, and a user's git config may change what git prints.
So every command runs with a fixed configuration, whatever either says:
- nothing the repository's config names is ever run: no fsmonitor hook, no external diff
  or textconv driver, no pager, no hooks, no credential helper or askpass, no ssh command,
  and no transport at all (`protocol.allow=never`): a partial clone never fetches a missing
  object (which would run `remote.*.uploadpack` and could hang on a silent remote);
- output is in the one format the parsers read (no colour, no quoted paths, root commits
  shown, no renames, no prefixes or relative paths, no signatures);
- replace refs and grafts are ignored: the real objects are scanned;
- git writes nothing into the repository (no optional locks, no automatic gc).

The caller's GIT_* environment is dropped (a hook's GIT_DIR must not redirect `-C`), except
what a server-side hook needs to see the objects being pushed: inside a `pre-receive` hook
they live in a quarantine (GIT_QUARANTINE_PATH, GIT_OBJECT_DIRECTORY,
GIT_ALTERNATE_OBJECT_DIRECTORIES), and for the staged scan the index a hook is given.
"""

from __future__ import annotations

import logging
import os
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO, Any

from scanner.errors import SourceError

__all__ = [
    "CLONE_SETTINGS",
    "REPOSITORY_VARIABLES",
    "SETTINGS",
    "WALK_MEMORY",
    "clone_environment",
    "command",
    "environment",
    "first_line",
    "popen",
    "run",
]

# (key, value) pinned on every command: what to run, how to print, what to read.
SETTINGS: tuple[tuple[str, str], ...] = (
    # Nothing of the repository's is executed.
    ("core.fsmonitor", "false"),
    ("core.hooksPath", os.devnull),
    ("core.pager", "cat"),
    ("core.sshCommand", "false"),
    ("core.askPass", ""),
    ("credential.helper", ""),
    ("diff.external", ""),
    ("protocol.allow", "never"),
    ("submodule.recurse", "false"),
    ("gc.auto", "0"),
    ("maintenance.auto", "false"),
    ("core.untrackedCache", "false"),
    # One output format.
    ("color.ui", "false"),
    ("core.quotePath", "false"),
    ("log.showRoot", "true"),
    ("log.showSignature", "false"),
    ("log.decorate", "false"),
    ("log.follow", "false"),
    ("log.abbrevCommit", "false"),
    ("diff.noprefix", "false"),
    ("diff.mnemonicPrefix", "false"),
    ("diff.relative", "false"),
    ("diff.renames", "false"),
    ("diff.ignoreSubmodules", "none"),
    ("diff.orderFile", os.devnull),
    ("i18n.logOutputEncoding", "UTF-8"),
)

# For the commands that walk the whole history (`git log --raw`, its size probe): their
# cache of delta bases (96 MiB by default) and their windows onto the pack grew with the
# history to most of a scan's memory (git log: 190 MiB of PSS on a 35,000-commit history,
# 69 MiB with these, for about 7% more of its CPU time). Options, to go before the command.
WALK_MEMORY: tuple[str, ...] = (
    "-c",
    "core.deltaBaseCacheLimit=16m",
    "-c",
    "core.packedGitLimit=32m",
    "-c",
    "core.packedGitWindowSize=1m",
)

# A clone of a URL the user named: transports a user reaches repositories by, never `ext::`
# (which runs a command) or any other; no hooks, no prompt; a silent remote times out.
CLONE_SETTINGS: tuple[tuple[str, str], ...] = (
    ("core.hooksPath", os.devnull),
    ("core.fsmonitor", "false"),
    ("protocol.allow", "never"),
    ("protocol.https.allow", "always"),
    ("protocol.http.allow", "always"),
    ("protocol.ssh.allow", "always"),
    ("protocol.git.allow", "always"),
    ("protocol.file.allow", "always"),
    ("http.lowSpeedLimit", "1000"),
    ("http.lowSpeedTime", "60"),
    ("submodule.recurse", "false"),
    ("gc.auto", "0"),
)

# What a clone must not inherit: variables that would point it at another repository.
REPOSITORY_VARIABLES = (
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_INDEX_FILE",
    "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_COMMON_DIR",
    "GIT_NAMESPACE",
)

# The caller's variables kept, in a receive-pack quarantine only (see module docstring).
_QUARANTINE = ("GIT_QUARANTINE_PATH", "GIT_OBJECT_DIRECTORY", "GIT_ALTERNATE_OBJECT_DIRECTORIES")


_log = logging.getLogger(__name__)


def command(repo: Path, *args: str) -> list[str]:
    """`git` with the pinned settings, run in `repo`."""
    pinned = [item for key, value in SETTINGS for item in ("-c", f"{key}={value}")]
    return ["git", "--no-pager", "--no-replace-objects", *pinned, "-C", str(repo), *args]


def environment(environ: Mapping[str, str] | None = None, *, index_file: str | None = None) -> dict[str, str]:
    """The environment of every git process: the caller's, without its GIT_* variables but
    a quarantine's (and `index_file` as GIT_INDEX_FILE), never prompting, in the C locale."""
    source = os.environ if environ is None else environ
    env = {k: v for k, v in source.items() if not k.startswith("GIT_")}
    if source.get("GIT_QUARANTINE_PATH"):
        for name in _QUARANTINE:
            if source.get(name):
                env[name] = _absolute_paths(source[name])
    if index_file:
        env["GIT_INDEX_FILE"] = os.path.abspath(index_file)
    env.update(
        GIT_TERMINAL_PROMPT="0",
        GIT_NO_REPLACE_OBJECTS="1",
        GIT_NO_LAZY_FETCH="1",  # git 2.44 and later; protocol.allow=never covers the rest
        GIT_OPTIONAL_LOCKS="0",
        GIT_GRAFT_FILE=os.path.join(os.devnull, "no-grafts"),  # a path that cannot exist
        GIT_ATTR_NOSYSTEM="1",
        GIT_PAGER="cat",
        PAGER="cat",
    )
    env.setdefault("LC_ALL", "C")
    return env


def clone_environment() -> dict[str, str]:
    """What a clone adds to the caller's environment: never prompt, never fetch lazily."""
    return {"GIT_TERMINAL_PROMPT": "0", "GIT_NO_REPLACE_OBJECTS": "1", "GIT_PAGER": "cat", "LC_ALL": "C"}


def _absolute_paths(value: str) -> str:
    # A hook runs in the repository; git run with -C resolves relative paths elsewhere.
    return os.pathsep.join(os.path.abspath(part) for part in value.split(os.pathsep) if part)


def first_line(stderr: bytes | str) -> str:
    """The line of git's complaint worth showing: its first fatal/error line, else its first."""
    text = stderr.decode("utf-8", "replace") if isinstance(stderr, bytes) else stderr
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    for ln in lines:
        if ln.startswith(("fatal:", "error:")):
            return ln
    return lines[0] if lines else "git failed"


def run(repo: Path, *args: str, env: Mapping[str, str] | None = None) -> bytes:
    """Run a short git command; a failure becomes a one-line SourceError."""
    _log.debug("git %s", " ".join(args))
    try:
        proc = subprocess.run(
            command(repo, *args),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            env=dict(env) if env is not None else environment(),
            check=False,
        )
    except FileNotFoundError as exc:
        raise SourceError("git is not installed or not on PATH") from exc
    if proc.returncode != 0:
        raise SourceError(f"git {args[0]} failed in {repo}: {first_line(proc.stderr)}")
    return proc.stdout


def run_status(repo: Path, *args: str, env: Mapping[str, str] | None = None) -> subprocess.CompletedProcess[bytes]:
    """Run a short git command and hand back its exit status and output, whatever they are."""
    try:
        return subprocess.run(
            command(repo, *args),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            env=dict(env) if env is not None else environment(),
            check=False,
        )
    except FileNotFoundError as exc:
        raise SourceError("git is not installed or not on PATH") from exc


def popen(
    repo: Path,
    args: Sequence[str],
    *,
    stdin: int | IO[Any] | None = subprocess.DEVNULL,
    stdout: int | IO[Any] | None = subprocess.PIPE,
    stderr: int | IO[Any] | None = subprocess.PIPE,
    env: Mapping[str, str] | None = None,
) -> subprocess.Popen[bytes]:
    """Start a long-running git command (a log, a cat-file stream)."""
    _log.debug("git %s (streamed)", " ".join(args))
    try:
        return subprocess.Popen(
            command(repo, *args),
            stdin=stdin,
            stdout=stdout,
            stderr=stderr,
            env=dict(env) if env is not None else environment(),
        )
    except FileNotFoundError as exc:
        raise SourceError("git is not installed or not on PATH") from exc


__all__ += ["run_status"]
