"""Write the Hyperscan gate's two shipped tables for the rule pack:

- scanner/engine/gate_choices.json: each rule's relaxation steps, so a scan with a fresh
  cache (a CI runner) replays them instead of compiling each rule's gate alone, a few times,
  to find them (half a minute);
- scanner/engine/keyword_frequency.json: the share of files of real code holding each
  keyword, which decides the rules the gate covers (those with a common keyword). Keywords
  already in the table keep their share; new ones are measured on this interpreter's
  standard library and site-packages (the larger share of the two), and `--remeasure`
  measures them all again.

    python scripts/gate_choices.py [--remeasure]   # after changing a rule

tests/engine/test_gate_choices.py fails while either table misses a pack rule.
"""

from __future__ import annotations

import argparse
import json
import sys
import sysconfig
from collections.abc import Iterator, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from scanner.engine.hyperscan_gate import (  # noqa: E402
    _CHOICES_FILE,
    _FREQUENCY_FILE,
    _collector,
    gateable_indices,
    gateable_rules,
    keyword_frequency,
    table_for,
)
from scanner.engine.keywords import keyword_table  # noqa: E402
from scanner.rules import load_rule_pack  # noqa: E402

# Files past this size, or with a NUL byte near the start, are not code.
_MAX_FILE = 1024 * 1024


def _text_files(root: Path) -> Iterator[bytes]:
    for path in sorted(root.rglob("*")):
        # This project's own files (an installed copy) name every keyword; the standard
        # library's site-packages is measured on its own.
        if {"scanner", "rules", "keysweep", "site-packages"} & set(path.relative_to(root).parts[:1]):
            continue
        if path.is_symlink() or not path.is_file():
            continue
        try:
            data = path.read_bytes()
        except OSError:
            continue
        if data and len(data) <= _MAX_FILE and b"\0" not in data[:8192]:
            yield data


def measure(keywords: Sequence[bytes], root: Path) -> dict[str, int]:
    """The share of the text files under `root` that hold each keyword (any case), in
    parts per million (integers: a decimal fraction next to "pass" reads as a password)."""
    import hyperscan

    db = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
    flags = hyperscan.HS_FLAG_CASELESS | hyperscan.HS_FLAG_SINGLEMATCH
    db.compile(expressions=list(keywords), ids=list(range(len(keywords))), flags=[flags] * len(keywords), literal=True)
    scratch = hyperscan.Scratch(db)
    counts = [0] * len(keywords)
    files = 0
    for data in _text_files(root):
        hits: set[int] = set()
        db.scan(data, match_event_handler=_collector(hits), scratch=scratch)
        for index in hits:
            counts[index] += 1
        files += 1
    return {k.decode("utf-8"): round(1e6 * c / max(files, 1)) for k, c in zip(keywords, counts, strict=True)}


def frequencies(keywords: Sequence[bytes], remeasure: bool) -> dict[str, int]:
    known = {} if remeasure else dict(keyword_frequency())
    missing = [k for k in keywords if k.decode("utf-8") not in known]
    if missing:
        paths = sysconfig.get_paths()
        shares = [measure(missing, Path(paths[name])) for name in ("stdlib", "purelib")]
        for keyword in missing:
            text = keyword.decode("utf-8")
            known[text] = max(share[text] for share in shares)
    wanted = {k.decode("utf-8") for k in keywords}
    return {k: v for k, v in sorted(known.items()) if k in wanted}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--remeasure", action="store_true", help="measure every keyword's share again")
    args = parser.parse_args(argv)
    rules = gateable_rules(load_rule_pack())
    table = table_for(rules)
    _CHOICES_FILE.write_text(json.dumps(table, indent=0, sort_keys=True) + "\n", encoding="utf-8")
    relaxed = sum(1 for steps in table.values() if steps)
    ungated = sum(1 for steps in table.values() if steps is None)
    print(f"{_CHOICES_FILE.relative_to(ROOT)}: {len(table)} rules, {relaxed} relaxed, {ungated} ungated")
    shares = frequencies(keyword_table(rules)[0], args.remeasure)
    _FREQUENCY_FILE.write_text(json.dumps({"frequency": shares}, indent=0) + "\n", encoding="utf-8")
    keyword_frequency.cache_clear()
    print(f"{_FREQUENCY_FILE.relative_to(ROOT)}: {len(shares)} keywords, {len(gateable_indices(rules))} rules gated")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
