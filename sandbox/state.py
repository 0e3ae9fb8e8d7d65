"""Everything one sandbox instance knows, shared by its routes."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from aiohttp import web

from sandbox.calls import CallLog
from sandbox.cardstore import CardStore
from sandbox.clock import SandboxClock
from sandbox.config import SandboxConfig
from sandbox.faults import FaultQueue, RateLimiter
from sandbox.hub import StreamHub
from sandbox.notify import Changes, EventFeed, TaskSet
from sandbox.org import Org
from sandbox.store import FileStore, Sessions
from sandbox.timeline import Timeline
from sandbox.tokens import AuthCodes, TicketOffice, TokenStore


@dataclass
class SandboxState:
    config: SandboxConfig
    org: Org
    clock: SandboxClock = field(default_factory=SandboxClock)
    changes: Changes = field(default_factory=Changes)
    feed: EventFeed = field(default_factory=EventFeed)
    tasks: TaskSet = field(default_factory=TaskSet)
    calls: CallLog = field(default_factory=CallLog)
    faults: FaultQueue = field(default_factory=FaultQueue)
    files: FileStore = field(default_factory=FileStore)
    base_url: str = ""

    def __post_init__(self) -> None:
        cfg = self.config
        self.app_id = str(uuid.uuid5(uuid.NAMESPACE_URL, "dingtalk-sandbox:" + cfg.client_id))
        self.tokens = TokenStore(self.clock, cfg.token_ttl)
        self.tickets = TicketOffice(self.clock, cfg.ticket_ttl)
        self.auth_codes = AuthCodes(self.clock, cfg.auth_code_ttl)
        self.sessions = Sessions(self.clock, cfg.session_webhook_ttl)
        self.limiter = RateLimiter(cfg.rate_limits)
        self.hub = StreamHub(cfg, self.clock, self.changes, self.feed)
        self.timeline = Timeline(self.clock, self.feed, self.changes)
        self.cards = CardStore(self.org, self.clock)

    def reset(self) -> None:
        """Forget recorded traffic and conversation state; live connections stay connected."""
        self.calls.clear()
        self.faults.clear()
        self.files.clear()
        self.sessions.clear()
        self.tokens.revoke_all()
        self.auth_codes.codes.clear()
        self.tickets.tickets.clear()
        self.hub.reset()
        self.timeline.clear()
        self.cards.clear()
        self.limiter = RateLimiter(self.config.rate_limits)
        self.feed.publish({"type": "reset"})


STATE = web.AppKey("sandbox_state", SandboxState)
