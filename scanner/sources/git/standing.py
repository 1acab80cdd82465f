"""Where each history finding stands now: still in the scanned ref's tree or only in
history, the commit that first added it, the last commit that removed it, and how many
branches still reach a commit that added it. An auditor reports these first.

Five git calls whatever the number of findings: the ref's tree, the ref's log, two
batches of blobs those name, and the commit graph of every branch (read meanwhile, in a
thread of its own). After a scan of the whole history the changes to the findings' files
are read from the log that listed the blobs (a second `git log --raw` costs as much again:
2 s on 35,000 commits, and limited to the files, git's pathspec matching grows faster than
the number of files: 8 s for 47), and the ref's log is only its commits, in order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from scanner.errors import SourceError
from scanner.model import Finding, Location, Standing
from scanner.sources.git.catfile import cat_file
from scanner.sources.git.process import WALK_MEMORY, run

__all__ = ["standings"]

# More paths than this and the ref's log is read whole rather than limited to them: git's
# cost grows faster than the number of paths (1: 0.25 s, 8: 0.75 s, 47: 8 s on 35,000
# commits; whole: 1.8 s).
_MAX_PATHSPECS = 4

# (commit, path, old blob, new blob) of each change at the paths asked, or None: unknown.
Changes = Callable[[Iterable[str]], "list[tuple[str, str, str, str]] | None"]


def standings(repo: Path, ref: str, findings: Sequence[Finding], changes: Changes | None = None) -> dict[str, Standing]:
    """Each finding's standing by fingerprint (findings grouped by secret, or not).
    `changes`: the scan's own record of every change at some paths in the whole history of
    `ref` (HistorySource.changes_at), read instead of asking git again."""
    places: dict[str, list[Location]] = {}
    secrets: dict[str, str] = {}
    for finding in findings:
        places.setdefault(finding.fingerprint, []).extend(finding.places)
        secrets[finding.fingerprint] = finding.secret
    if not places:
        return {}
    # A finding names the first version of each file that held its secret; later versions
    # that still hold it are not among its places, so content decides, not blob ids.
    holds = _Holds(repo, secrets, {fp: {p.blob_id for p in found if p.blob_id} for fp, found in places.items()})
    with ThreadPoolExecutor(max_workers=1) as pool:
        # The branch graph needs nothing else: git walks it while the rest is worked out.
        counting = pool.submit(
            _branch_counts, repo, {fp: {p.commit for p in found if p.commit} for fp, found in places.items()}
        )
        at_ref = _tree(repo, ref)
        paths = {fp: sorted({p.file for p in found}) for fp, found in places.items()}
        holds.prefetch(at_ref[path] for ps in paths.values() for path in ps if path in at_ref)
        present = {fp: any(holds(fp, at_ref[path]) for path in ps if path in at_ref) for fp, ps in paths.items()}
        removals = _removals(repo, ref, {fp: ps for fp, ps in paths.items() if not present[fp]}, holds, changes)
        branches = counting.result()
    result = {}
    for fp, found in places.items():
        first = min(found, key=lambda p: (p.order is None, p.order or 0, p.date or ""))
        removed = removals.get(fp)
        result[fp] = Standing(
            ref=ref,
            present=present[fp],
            first_commit=first.commit,
            first_date=first.date,
            removed_commit=removed[0] if removed else None,
            removed_date=removed[1] if removed else None,
            branches=branches.get(fp, 0),
        )
    return result


class _Holds:
    """Whether a blob holds a finding's secret: its own blobs do; any other is read once,
    in batches through one `git cat-file --batch` (a process per blob cost 15 ms each)."""

    def __init__(self, repo: Path, secrets: dict[str, str], blobs: dict[str, set[str]]) -> None:
        self._repo = repo
        self._secrets = {fp: secret.encode("utf-8", "surrogateescape") for fp, secret in secrets.items()}
        self._blobs = blobs
        self._own = set().union(*blobs.values())  # a finding's own blob needs no reading for it
        self._held: dict[str, frozenset[str]] = {}  # blob -> the fingerprints it holds

    def prefetch(self, blobs: Iterable[str]) -> None:
        """Read, in one git call, every blob of `blobs` not read yet and not a finding's own
        (those answer for their finding unread; another finding asks for them one by one)."""
        self._read({blob for blob in blobs if blob not in self._own})

    def _read(self, blobs: set[str]) -> None:
        wanted = sorted(blob for blob in blobs if blob and blob not in self._held)
        if not wanted:
            return
        try:
            for obj in cat_file(self._repo, wanted, contents=True):
                data = obj.data or b""
                self._held[obj.id] = frozenset(fp for fp, secret in self._secrets.items() if secret in data)
        except SourceError:
            pass
        for blob in wanted:
            self._held.setdefault(blob, frozenset())  # unreadable: holds nothing

    def __call__(self, fp: str, blob: str) -> bool:
        if not blob:
            return False  # deleted
        if blob in self._blobs[fp]:
            return True
        self._read({blob})
        return fp in self._held[blob]


def _tree(repo: Path, ref: str) -> dict[str, str]:
    """Path -> blob id of the ref's tree (empty when the ref has no commit yet)."""
    try:
        out = run(repo, "ls-tree", "-r", "-z", "--full-tree", "--format=%(path)%x00%(objectname)", f"{ref}^{{tree}}")
    except SourceError:
        return {}
    fields = out.split(b"\0")
    return {
        fields[i].decode("utf-8", "surrogateescape"): fields[i + 1].decode("ascii")
        for i in range(0, len(fields) - 1, 2)
    }


def _removals(
    repo: Path, ref: str, gone: dict[str, list[str]], holds: _Holds, changes: Changes | None
) -> dict[str, tuple[str, str]]:
    """For each finding gone from the ref's tree: the newest commit on the ref (history
    order) that changed one of its files from a version holding the secret to one without."""
    if not gone:
        return {}
    paths = sorted({path for ps in gone.values() for path in ps})
    listed = changes(paths) if changes is not None else None
    found_changes = _on_ref(repo, ref, listed) if listed is not None else _ref_log(repo, ref, paths)
    if found_changes is None:
        return {}
    by_path: dict[str, list[str]] = {}
    for fp, ps in gone.items():
        for path in ps:
            by_path.setdefault(path, []).append(fp)
    relevant = [change for change in found_changes if change[2] in by_path]
    holds.prefetch(blob for change in relevant for blob in change[3:])
    found: dict[str, tuple[str, str]] = {}
    for commit, date, path, old, new in relevant:
        for fp in by_path.get(path, ()):
            if fp not in found and holds(fp, old) and not holds(fp, new):
                found[fp] = (commit, date)  # newest first: the first seen is the last removal
    return found


def _ref_log(repo: Path, ref: str, paths: Sequence[str]) -> list[tuple[str, str, str, str, str]] | None:
    """(commit, date, path, old, new) of the ref's changes, newest first, from its log."""
    limit = ["--", *paths] if len(paths) <= _MAX_PATHSPECS else ["--"]
    try:
        out = run(
            repo,
            *WALK_MEMORY,
            "log",
            "--topo-order",
            "--no-renames",
            "--raw",
            "-z",
            "--no-abbrev",
            "--format=@%H %cI",
            ref,
            *limit,
        )
    except SourceError:
        return None
    return list(_changes(out))


def _on_ref(
    repo: Path, ref: str, listed: Sequence[tuple[str, str, str, str]]
) -> list[tuple[str, str, str, str, str]] | None:
    """The `listed` changes as the ref's whole log shows them: of its commits only, merges
    left out (its log shows no change for a merge), newest first, each with its commit date."""
    try:
        out = run(repo, *WALK_MEMORY, "log", "--topo-order", "--format=%H %cI %P", ref, "--")
    except SourceError:
        return None
    order: dict[str, tuple[int, str]] = {}
    for rank, line in enumerate(out.decode("ascii", "replace").splitlines()):
        commit, date, *parents = line.split(" ")
        if len(parents) <= 1:
            order[commit] = (rank, date)
    kept = [(order[c], i, c, path, old, new) for i, (c, path, old, new) in enumerate(listed) if c in order]
    kept.sort(key=lambda item: (item[0][0], item[1]))
    return [(c, when[1], path, old, new) for when, _, c, path, old, new in kept]


def _changes(out: bytes) -> Iterator[tuple[str, str, str, str, str]]:
    """(commit, date, path, old blob, new blob) of each changed file in `git log --raw -z`
    output ("" for a side that does not exist)."""
    commit = date = ""
    fields = out.split(b"\0")
    i = 0
    while i < len(fields):
        text = fields[i].decode("utf-8", "surrogateescape").lstrip("\n")
        if text.startswith("@"):
            commit, _, date = text[1:].partition(" ")
        elif text.startswith(":") and i + 1 < len(fields):
            parts = text[1:].split()
            path = fields[i + 1].decode("utf-8", "surrogateescape")
            i += 1
            if len(parts) >= 4:
                old, new = (side if side.strip("0") else "" for side in parts[2:4])
                yield commit, date, path, old, new
        i += 1


def _branch_counts(repo: Path, commits: dict[str, set[str]]) -> dict[str, int]:
    """How many branches (local and remote-tracking) reach a commit of each finding: one
    walk of the commit graph, parents first, carrying a bit per finding to descendants."""
    bit = {fp: 1 << n for n, fp in enumerate(commits)}
    own: dict[str, int] = {}
    for fp, ids in commits.items():
        for commit in ids:
            own[commit] = own.get(commit, 0) | bit[fp]
    try:
        tips = run(repo, "for-each-ref", "--format=%(objectname) %(refname)", "refs/heads", "refs/remotes")
        graph = run(repo, "rev-list", "--topo-order", "--reverse", "--parents", "--branches", "--remotes")
    except SourceError:
        return {}
    reach: dict[str, int] = {}
    for line in graph.decode("ascii", "replace").splitlines():
        commit, *parents = line.split()
        mask = own.get(commit, 0)
        for parent in parents:
            mask |= reach.get(parent, 0)
        if mask:
            reach[commit] = mask
    counts = dict.fromkeys(commits, 0)
    for line in tips.decode("utf-8", "replace").splitlines():
        tip, _, name = line.partition(" ")
        if name.endswith("/HEAD"):
            continue  # origin/HEAD names another branch
        mask = reach.get(tip, 0)
        for fp, flag in bit.items():
            if mask & flag:
                counts[fp] += 1
    return counts
