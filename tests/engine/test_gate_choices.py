"""The shipped table of gate relaxation steps (scanner/engine/gate_choices.json): it covers
the pack, its entries are what finding them again gives, and a gate built from it is the
gate built from scratch."""

from __future__ import annotations

import random

import pytest

from scanner.engine.hyperscan_gate import build_gate, gate_choices, gate_steps, gateable_rules, rule_key
from scanner.engine.prefilter import available_backends
from scanner.patterns import compile_pattern
from scanner.rules import load_rule_pack

pytestmark = pytest.mark.skipif("hyperscan" not in available_backends(), reason="Hyperscan not installed")

GATEABLE = gateable_rules(load_rule_pack())


def test_the_table_covers_every_gateable_pack_rule() -> None:
    """A rule edited without re-running scripts/gate_choices.py fails here."""
    missing = [rule.id for rule in GATEABLE if rule_key(rule) not in gate_choices()]
    assert not missing, f"run python scripts/gate_choices.py: {missing[:5]}"
    assert set(gate_choices()) == {rule_key(rule) for rule in GATEABLE}, "stale entries: re-run the script"


def test_entries_are_what_finding_the_steps_again_gives() -> None:
    import hyperscan

    from scanner.engine.hyperscan_gate import _gate_flags

    table = gate_choices()
    relaxed = [rule for rule in GATEABLE if table[rule_key(rule)] != ""]
    sample = relaxed + random.Random(7).sample(GATEABLE, 12)
    flags = _gate_flags(hyperscan)
    for rule in sample:
        assert gate_steps(hyperscan, rule, flags, compile_pattern(rule.pattern)) == table[rule_key(rule)], rule.id


def test_a_gate_from_the_table_is_the_gate_from_scratch() -> None:
    table = gate_choices()
    relaxed = [rule for rule in GATEABLE if table[rule_key(rule)] != ""]
    rules = relaxed + random.Random(3).sample(GATEABLE, 25)
    indices = list(range(len(rules)))
    replayed, found = build_gate(rules, indices), build_gate(rules, indices, {})
    assert replayed is not None and found is not None
    assert replayed[1] == found[1] == frozenset(indices)
    # Both gates fire on the same rules for every example.
    import hyperscan

    from scanner.engine.hyperscan_gate import _ids_matching

    for db_a, db_b in [(replayed[0], found[0])]:
        scratch_a, scratch_b = hyperscan.Scratch(db_a), hyperscan.Scratch(db_b)
        for rule in rules:
            for example in rule.examples + rule.negative_examples:
                data = example.encode("utf-8")
                assert _ids_matching(db_a, scratch_a, data) == _ids_matching(db_b, scratch_b, data)


def test_an_entry_saying_ungated_leaves_the_rule_out_of_the_gate() -> None:
    rules = GATEABLE[:3]
    known = {rule_key(rule): "" for rule in rules} | {rule_key(rules[1]): None}
    built = build_gate(rules, [0, 1, 2], known)
    assert built is not None and built[1] == frozenset({0, 2})


def test_the_frequency_table_covers_every_pack_keyword() -> None:
    """A keyword added without re-running scripts/gate_choices.py fails here (its rule
    would still be gated: an unmeasured keyword counts as common)."""
    from scanner.engine.hyperscan_gate import keyword_frequency
    from scanner.engine.keywords import keyword_table

    wanted = {k.decode("utf-8") for k in keyword_table(GATEABLE)[0]}
    assert set(keyword_frequency()) == wanted, "run python scripts/gate_choices.py"


def test_the_gate_covers_the_rules_of_common_keywords_only() -> None:
    from scanner.engine.hyperscan_gate import COMMON_KEYWORD, gateable_indices, keyword_frequency

    rules = list(GATEABLE)
    gated = gateable_indices(rules)
    shares = keyword_frequency()
    for index, rule in enumerate(rules):
        common = any(shares[k.lower()] > COMMON_KEYWORD for k in rule.keywords)
        assert (index in gated) == common, rule.id
    # Everyday words are gated, distinctive prefixes are not.
    by_id = {rule.id: index for index, rule in enumerate(rules)}
    generic = [i for rule_id, i in by_id.items() if rule_id.startswith("generic.")]
    assert generic and all(i in gated for i in generic)
    assert by_id["github.classic-pat"] not in gated
    # A keyword the table has never measured (a user rule's) counts as common.
    assert gateable_indices(rules, {}) == frozenset(range(len(rules)))
