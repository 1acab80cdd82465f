"""Actions on findings: revocation webhooks (generic, signed) and GitHub token revocation."""

from __future__ import annotations

from scanner.actions.webhook import (
    DeliverySummary,
    WebhookTarget,
    check_signing,
    check_url,
    default_state_dir,
    deliver,
    list_deliveries,
    parse_targets,
    retry_pending,
    sign,
    target_from_url,
)

__all__ = [
    "DeliverySummary",
    "WebhookTarget",
    "check_signing",
    "check_url",
    "default_state_dir",
    "deliver",
    "list_deliveries",
    "parse_targets",
    "retry_pending",
    "sign",
    "target_from_url",
]
