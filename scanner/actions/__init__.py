"""Actions on findings: revocation webhooks (generic, signed) and GitHub token revocation."""

from __future__ import annotations

from scanner.actions.payload import sign
from scanner.actions.targets import WebhookTarget, check_signing, check_url, parse_targets, target_from_url
from scanner.actions.webhook import (
    DeliverySummary,
    default_state_dir,
    deliver,
    drop_pending,
    list_deliveries,
    retry_pending,
)

__all__ = [
    "DeliverySummary",
    "WebhookTarget",
    "check_signing",
    "check_url",
    "default_state_dir",
    "deliver",
    "drop_pending",
    "list_deliveries",
    "parse_targets",
    "retry_pending",
    "sign",
    "target_from_url",
]
