"""Write scanner/engine/gate_choices.json: the Hyperscan gate's relaxation steps for every
rule of the pack, so a scan with a fresh cache (a CI runner) replays them instead of
compiling each rule's gate alone, a few times, to find them (half a minute).

    python scripts/gate_choices.py          # after changing a rule's pattern or examples

tests/engine/test_gate_choices.py fails while the table misses a pack rule.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from scanner.engine.hyperscan_gate import _CHOICES_FILE, gateable_rules, table_for  # noqa: E402
from scanner.rules import load_rule_pack  # noqa: E402


def main() -> int:
    table = table_for(gateable_rules(load_rule_pack()))
    _CHOICES_FILE.write_text(json.dumps(table, indent=0, sort_keys=True) + "\n", encoding="utf-8")
    relaxed = sum(1 for steps in table.values() if steps)
    ungated = sum(1 for steps in table.values() if steps is None)
    print(f"{_CHOICES_FILE.relative_to(ROOT)}: {len(table)} rules, {relaxed} relaxed, {ungated} ungated")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
