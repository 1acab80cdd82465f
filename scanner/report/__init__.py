"""Reporting stage: one module per output format, each with one verb, `render(ctx) -> str`.

The CLI builds a `ReportContext` and calls `render(fmt, ctx)`; writing the string
(stdout or `--output`) stays the CLI's job.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from types import MappingProxyType

from scanner.errors import ConfigError
from scanner.report._common import ReportContext
from scanner.report.text import summary_line

__all__ = ["EXTENSIONS", "FORMATS", "ReportContext", "render", "summary_line"]

# Each format is the module of its name, imported when a report is written in it (a scan
# writes one: importing the others would only slow every start).
FORMATS: tuple[str, ...] = ("text", "json", "jsonl", "sarif", "csv", "junit", "gitlab", "html")

# The usual file extension of each format (golden files, `--output` defaults).
EXTENSIONS: Mapping[str, str] = MappingProxyType(
    {
        "text": "txt",
        "json": "json",
        "jsonl": "jsonl",
        "sarif": "sarif",
        "csv": "csv",
        "junit": "xml",
        "gitlab": "json",
        "html": "html",
    }
)


def render(fmt: str, ctx: ReportContext) -> str:
    if fmt not in FORMATS:
        raise ConfigError(f"unknown report format {fmt!r}; choose one of: {', '.join(FORMATS)}")
    rendered: str = importlib.import_module(f"scanner.report.{fmt}").render(ctx)
    return rendered
