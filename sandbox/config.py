"""Settings of one sandbox instance."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class SandboxConfig:
    """How the stand-in behaves; the defaults mirror what DingTalk is observed to do."""

    client_id: str = "sandbox-client-id"
    client_secret: str = "sandbox-client-secret"
    corp_id: str = "dingsandboxcorp"
    ack_timeout: float = 60.0
    max_redeliveries: int = 3
    ping_interval: float = 30.0
    disconnect_grace: float = 10.0
    card_callback_budget: float = 2.0
    ticket_ttl: float = 90.0
    rate_limits: dict[str, float] = field(default_factory=dict)
    token_ttl: int = 7200
    session_webhook_ttl: float = 90 * 60
    auth_code_ttl: float = 5 * 60
