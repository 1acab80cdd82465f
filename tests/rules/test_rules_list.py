"""`keysweep rules list --format json`: one record per rule, with the confidence its
examples are reported at."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from tests.helpers import Result


def test_json_listing_gives_each_rule_its_examples_confidence(cli: Callable[..., Result], tmp_path: Path) -> None:
    config = tmp_path / "keysweep.toml"
    config.write_text(
        "[[rules]]\n"
        'id = "acme.weak"\n'
        'description = "Acme value"\n'
        "pattern = '''acme_key=(?P<secret>[a-z0-9]{6,})'''\n"
        'keywords = ["acme_key"]\n'
        'confidence = "low"\n'
    )
    result = cli(["rules", "list", "--format", "json", "--config", str(config)])
    assert result.code == 0, result.err
    by_id = {record["id"]: record for record in json.loads(result.out)}
    # A checksummed prefix token is high; a value found by the name before it medium; a
    # rule that states its confidence keeps it; a credential file rule names its path.
    assert by_id["github.classic-pat"]["confidence"] == "high"
    assert by_id["generic.password"]["confidence"] == "medium"
    assert by_id["acme.weak"]["confidence"] == "low"
    assert by_id["credential-files.pgpass"]["path"]
    assert by_id["github.classic-pat"]["path"] is None
    assert {record["confidence"] for record in by_id.values()} <= {"high", "medium", "low"}
