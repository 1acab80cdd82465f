"""keysweep: find leaked credentials in git history, working trees, staged changes and stdin."""

from __future__ import annotations

__all__ = ["__version__"]

__version__ = "0.1.0"
