"""The annual sign-off: the frozen snapshot of the register, its report and the signers' certificate."""

from __future__ import annotations

from handlers.signoff.report import html_sha256, render_certificate, render_report
from handlers.signoff.snapshot import snapshot_sha256, take_snapshot

__all__ = ["html_sha256", "render_certificate", "render_report", "snapshot_sha256", "take_snapshot"]
