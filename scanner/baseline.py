"""Baselines: the fingerprints of a previous report, whose findings are not reported again.

A baseline is a report keysweep wrote (JSON, JSONL or SARIF), so this module sits above
the report formats and reads their constants.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from scanner.errors import BaselineError
from scanner.report._common import TOOL_NAME
from scanner.report.sarif import FINGERPRINT_KEY

__all__ = ["load_baseline"]


def _sarif_fingerprints(path: Path, log: dict[str, Any]) -> frozenset[str]:
    """Fingerprints of keysweep's own SARIF, so the report uploaded to code scanning is also
    the baseline. Each result's `partialFingerprints` value is `<fingerprint>:<path hash>`;
    `properties.fingerprint` holds the fingerprint alone, for logs whose partials were dropped.
    Another tool's SARIF is refused: its results have no keysweep fingerprint to match."""
    bad = f"baseline {path} is not a keysweep JSON report"
    runs = log.get("runs")
    if not isinstance(runs, list) or not runs:
        raise BaselineError(f"{bad}: SARIF log without runs")
    prints = set()
    for run in runs:
        tool = run.get("tool") if isinstance(run, dict) else None
        driver = tool.get("driver") if isinstance(tool, dict) else None
        if not isinstance(driver, dict) or driver.get("name") != TOOL_NAME:
            raise BaselineError(f"{bad}: SARIF run not written by {TOOL_NAME}")
        results = run.get("results")
        if not isinstance(results, list):
            raise BaselineError(f"{bad}: SARIF run without results")
        for result in results:
            partial = result.get("partialFingerprints") if isinstance(result, dict) else None
            props = result.get("properties") if isinstance(result, dict) else None
            value = partial.get(FINGERPRINT_KEY) if isinstance(partial, dict) else None
            if isinstance(value, str) and value.partition(":")[0]:
                prints.add(value.partition(":")[0])
            elif isinstance(props, dict) and isinstance(props.get("fingerprint"), str):
                prints.add(props["fingerprint"])
            else:
                raise BaselineError(f"{bad}: SARIF result without a '{FINGERPRINT_KEY}' fingerprint")
    return frozenset(prints)


def load_baseline(path: Path) -> frozenset[str]:
    """Fingerprints of a previous JSON, JSONL or SARIF report."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise BaselineError(f"cannot read baseline {path}: {exc.strerror or exc}") from None
    # PowerShell's `>` writes UTF-16 with a BOM, Notepad UTF-8 with a BOM: both are still reports.
    encoding = "utf-16" if raw.startswith((b"\xff\xfe", b"\xfe\xff")) else "utf-8-sig"
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError:
        raise BaselineError(f"baseline {path} is not a keysweep JSON report: not UTF-8 text") from None
    records: list[Any]
    try:
        data = json.loads(text) if text.strip() else []
        if isinstance(data, dict) and "runs" in data:
            return _sarif_fingerprints(path, data)
        records = data if isinstance(data, list) else [data]
    except json.JSONDecodeError:
        try:
            records = [json.loads(line) for line in text.splitlines() if line.strip()]
        except json.JSONDecodeError as exc:
            raise BaselineError(
                f"baseline {path} is not a keysweep JSON report: line {exc.lineno}: {exc.msg}"
            ) from None
    prints = set()
    for record in records:
        if not isinstance(record, dict) or not isinstance(record.get("fingerprint"), str):
            raise BaselineError(f"baseline {path} is not a keysweep JSON report: no 'fingerprint'")
        prints.add(record["fingerprint"])
    return frozenset(prints)
