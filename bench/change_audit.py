"""Audit of change scanning (scanner.engine.delta) on a real history: the report with
versions matched by their change must equal the report with every blob matched whole.

Three runs go through scan() with the history's BlobRefs: read through `git cat-file`
with versions matched by their change from the previous version (`base`), the same with
every blob matched whole, and read from the packs in pack order with each delta matched
by its edit (scanner.sources.pack, Matcher.scan_edit). Prints the reports' sizes, whether
they are equal, and each run's time.

    python bench/change_audit.py REPO [--jobs N]
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from scanner.findings import Suppressor  # noqa: E402
from scanner.model import BlobRef  # noqa: E402
from scanner.rules import Allowlist, load_rule_pack  # noqa: E402
from scanner.scan import scan  # noqa: E402
from scanner.sources import DEFAULT_MAX_FILE_SIZE  # noqa: E402
from scanner.sources.git import GitBlobReader, history_packs, history_refs  # noqa: E402


def report(repo: Path, jobs: int, whole: bool, packs: bool = False) -> tuple[list[tuple], float]:
    refs = list(history_refs(repo, max_file_size=DEFAULT_MAX_FILE_SIZE))
    if whole:
        refs = [replace(ref, base=None) if isinstance(ref, BlobRef) else ref for ref in refs]
    start = time.perf_counter()
    result = scan(
        refs,
        load_rule_pack(),
        Suppressor(Allowlist()),
        jobs=jobs,
        reader=GitBlobReader(repo),
        packs=(lambda: history_packs(repo, max_file_size=DEFAULT_MAX_FILE_SIZE)) if packs else None,
    )
    seconds = time.perf_counter() - start
    rows = [(f.rule_id, f.file, f.line, f.column, f.secret, f.commit, f.fingerprint) for f in result.findings]
    return rows, seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("repo", type=Path)
    parser.add_argument("--jobs", type=int, default=1)
    args = parser.parse_args(argv)
    refs = [r for r in history_refs(args.repo, max_file_size=DEFAULT_MAX_FILE_SIZE) if isinstance(r, BlobRef)]
    based = sum(1 for ref in refs if ref.base)
    print(f"{args.repo}: {len(refs)} blobs, {based} matched by their change")
    changed, changed_s = report(args.repo, args.jobs, whole=False)
    whole, whole_s = report(args.repo, args.jobs, whole=True)
    walked, walked_s = report(args.repo, args.jobs, whole=False, packs=True)
    print(f"whole blobs : {len(whole)} findings, matching {whole_s:.3f} s")
    print(f"by change   : {len(changed)} findings, matching {changed_s:.3f} s")
    print(f"by pack edit: {len(walked)} findings, matching {walked_s:.3f} s")
    same = True
    for name, rows in (("change", changed), ("pack edit", walked)):
        if rows != whole:
            same = False
            print(f"REPORTS DIFFER: whole blobs and by {name}")
            for row in sorted(set(whole) ^ set(rows)):
                print(("only whole  " if row in whole else f"only {name} ") + repr(row[:6]))
    if same:
        print("reports identical")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
