"""Audit the Hyperscan regex gate on real code: does every gated rule's gate fire on every
blob its regex matches?

The gate (scanner/engine/prefilter.py) is proven on each rule's own examples at several
offsets; Hyperscan 5.4 has input-dependent bugs (see docs/performance.md), so this script
checks the claim on a whole history: a blob where a rule's regex matches but its gate did
not fire is a finding the Hyperscan backend would lose. Slow on purpose (every gated rule's
regex over every blob holding one of its keywords): minutes for 200 MiB.

    python bench/gate_audit.py REPO [--limit-mb 50]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from scanner.engine.hyperscan_gate import HyperscanPrefilter  # noqa: E402
from scanner.model import Blob  # noqa: E402
from scanner.patterns import compile_pattern  # noqa: E402
from scanner.rules import load_rule_pack  # noqa: E402
from scanner.sources import DEFAULT_MAX_FILE_SIZE  # noqa: E402
from scanner.sources.audit import read_items  # noqa: E402
from scanner.sources.git import HistorySource  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("repo", type=Path)
    parser.add_argument("--limit-mb", type=float, default=0, help="stop after this much content (0: all)")
    args = parser.parse_args(argv)
    rules = load_rule_pack()
    prefilter = HyperscanPrefilter(rules)
    prefilter.prepare()
    gate = prefilter._gate  # noqa: SLF001 - an audit of the private gate, on purpose
    scratch = prefilter._gate_scratch  # noqa: SLF001
    gated = sorted(prefilter.gated)
    patterns = {i: compile_pattern(rules[i].pattern) for i in gated}
    keywords = {i: [k.lower().encode("utf-8") for k in rules[i].keywords] for i in gated}
    misses: dict[str, int] = {}
    blobs = size = checked = 0
    started = time.monotonic()
    for item in read_items(HistorySource(args.repo, max_file_size=DEFAULT_MAX_FILE_SIZE)):
        if not isinstance(item, Blob):
            continue
        data = item.data
        fired: set[int] = set()
        gate.scan(data, match_event_handler=lambda i, s, e, f, c, hits=fired: hits.add(i), scratch=scratch)
        lowered = data.lower()
        for index in gated:
            if index in fired or not any(k in lowered for k in keywords[index]):
                continue
            checked += 1
            try:
                matched = patterns[index].search(data, timeout=5) is not None
            except TimeoutError:
                continue
            if matched:
                misses[rules[index].id] = misses.get(rules[index].id, 0) + 1
        blobs += 1
        size += len(data)
        if args.limit_mb and size >= args.limit_mb * 1024 * 1024:
            break
    print(
        f"{len(gated)} gated rules, {blobs} blobs, {size / 2**20:.1f} MiB, "
        f"{checked} rule/blob pairs where the gate did not fire checked, {time.monotonic() - started:.0f} s"
    )
    if misses:
        print("gate missed a regex match (the Hyperscan backend would lose these findings):")
        for rule_id, count in sorted(misses.items()):
            print(f"  {rule_id}: {count} blobs")
        return 1
    print("no misses: every blob a gated rule's regex matches fired its gate")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
