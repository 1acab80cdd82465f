"""The held-out format table draws what it describes: bench/accuracy/formats.py."""

from __future__ import annotations

import random

import regex

from tests.helpers import import_bench

(formats,) = import_bench("formats", folder="accuracy")


def test_table_is_broad_and_names_unique() -> None:
    names = [fmt.name for fmt in formats.FORMATS]
    assert len(names) >= 250
    assert len(set(names)) == len(names)
    assert all(fmt.source for fmt in formats.FORMATS)


def test_tokens_are_drawn_fresh_and_whole() -> None:
    rng = random.Random(7)
    for fmt in formats.FORMATS:
        first, second = fmt.token(rng), fmt.token(rng)
        assert first != second, fmt.name
        assert not regex.search(r"\{(?:hex|alnum|b64|upper|lower|digits|uuid)", first), fmt.name
        assert "\n" not in first, fmt.name


def test_fields_draw_from_their_alphabet() -> None:
    rng = random.Random(3)
    fmt = formats.Format("probe", "x_{hex:8}-{b32:5}-{digits:3-4}", source="test")
    token = fmt.token(rng)
    assert regex.fullmatch(r"x_[0-9a-f]{8}-[A-Z2-7]{5}-[0-9]{3,4}", token)
    encoded = formats.Format("probe", '<b64:{"k":"{hex:4}"}>', source="test").token(rng)
    assert encoded.startswith("eyJrIjoi")
