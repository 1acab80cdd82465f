"""Where each history finding stands now: still in the scanned ref's tree or only in
history, the commit that first added it, the last commit that removed it, and how many
branches still reach a commit that added it. An auditor reports these first.

Three git calls whatever the number of findings: the ref's tree, the ref's log of the
changes to the findings' files, and the commit graph of every branch.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

from scanner.errors import SourceError
from scanner.model import Finding, Location, Standing
from scanner.sources.git.process import run

__all__ = ["standings"]

# More paths than this and the ref's log is read whole rather than limited to them.
_MAX_PATHSPECS = 256


def standings(repo: Path, ref: str, findings: Sequence[Finding]) -> dict[str, Standing]:
    """Each finding's standing by fingerprint (findings grouped by secret, or not)."""
    places: dict[str, list[Location]] = {}
    for finding in findings:
        places.setdefault(finding.fingerprint, []).extend(finding.locations or [_place(finding)])
    if not places:
        return {}
    at_ref = _tree_blobs(repo, ref)
    blobs = {fp: {p.blob_id for p in found if p.blob_id} for fp, found in places.items()}
    paths = sorted({p.file for found in places.values() for p in found})
    removals = _removals(repo, ref, paths, blobs, at_ref)
    commits = {fp: {p.commit for p in found if p.commit} for fp, found in places.items()}
    branches = _branch_counts(repo, commits)
    result = {}
    for fp, found in places.items():
        first = min(found, key=lambda p: (p.order is None, p.order or 0, p.date or ""))
        present = bool(blobs[fp] & at_ref)
        removed = None if present else removals.get(fp)
        result[fp] = Standing(
            ref=ref,
            present=present,
            first_commit=first.commit,
            first_date=first.date,
            removed_commit=removed[0] if removed else None,
            removed_date=removed[1] if removed else None,
            branches=branches.get(fp, 0),
        )
    return result


def _place(finding: Finding) -> Location:
    return Location(
        finding.file,
        finding.line,
        finding.end_line,
        finding.column,
        finding.commit,
        date=finding.date,
        blob_id=finding.blob_id,
        order=finding.order,
    )


def _tree_blobs(repo: Path, ref: str) -> set[str]:
    """Every blob id in the ref's tree (none when the ref has no commit yet)."""
    try:
        out = run(repo, "ls-tree", "-r", "-z", "--full-tree", "--format=%(objectname)", f"{ref}^{{tree}}", "--")
    except SourceError:
        return set()
    return {name.decode("ascii") for name in out.split(b"\0") if name}


def _removals(
    repo: Path, ref: str, paths: Sequence[str], blobs: dict[str, set[str]], at_ref: set[str]
) -> dict[str, tuple[str, str]]:
    """For each finding gone from the ref's tree: the newest commit (in history order, on
    the ref) that replaced or deleted a blob holding its secret with one that does not."""
    owners: dict[str, list[str]] = {}
    for fp, ids in blobs.items():
        if not ids & at_ref:
            for blob in ids:
                owners.setdefault(blob, []).append(fp)
    if not owners:
        return {}
    limit = ["--", *paths] if len(paths) <= _MAX_PATHSPECS else ["--"]
    try:
        out = run(repo, "log", "--topo-order", "--no-renames", "--raw", "--no-abbrev", "--format=@%H %cI", ref, *limit)
    except SourceError:
        return {}
    found: dict[str, tuple[str, str]] = {}
    for commit, date, old, new in _changes(out):
        for fp in owners.get(old, ()):
            if fp not in found and new not in blobs[fp]:
                found[fp] = (commit, date)  # newest first: the first seen is the last removal
    return found


def _changes(out: bytes) -> Iterator[tuple[str, str, str, str]]:
    """(commit, date, old blob, new blob) of each changed file in `git log --raw` output."""
    commit = date = ""
    for raw in out.decode("utf-8", "replace").splitlines():
        if raw.startswith("@"):
            commit, _, date = raw[1:].partition(" ")
        elif raw.startswith(":"):
            fields = raw[1:].split("\t", 1)[0].split()
            if len(fields) >= 5:
                new = fields[3] if fields[3].strip("0") else ""  # all zeros: deleted
                yield commit, date, fields[2], new


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
