"""Received files and sessionWebhook sessions."""

from __future__ import annotations

from dataclasses import dataclass, field

from sandbox import ids
from sandbox.clock import SandboxClock


@dataclass(frozen=True)
class StoredFile:
    download_code: str
    file_name: str
    content: bytes
    file_id: str
    space_id: str


@dataclass
class FileStore:
    """Files users sent the bot, by downloadCode, and the download URLs handed out for them."""

    files: dict[str, StoredFile] = field(default_factory=dict)
    links: dict[str, str] = field(default_factory=dict)  # url token -> downloadCode

    def put(self, file_name: str, content: bytes) -> StoredFile:
        stored = StoredFile(ids.short_token(24), file_name, content, str(ids.secrets_int()), "sandboxspace01")
        self.files[stored.download_code] = stored
        return stored

    def link(self, download_code: str) -> str | None:
        if download_code not in self.files:
            return None
        token = ids.short_token(18)
        self.links[token] = download_code
        return token

    def by_link(self, token: str) -> StoredFile | None:
        code = self.links.get(token)
        return self.files.get(code) if code else None

    def clear(self) -> None:
        self.files.clear()
        self.links.clear()


@dataclass
class Session:
    token: str
    kind: str  # "user" (1:1 chat) or "group"
    key: str  # the userId or the openConversationId
    expires_ms: int


@dataclass
class Sessions:
    """sessionWebhook URLs: one per conversation, each new message pushing its expiry out."""

    clock: SandboxClock
    ttl: float
    by_token: dict[str, Session] = field(default_factory=dict)
    by_conversation: dict[tuple[str, str], str] = field(default_factory=dict)

    def touch(self, kind: str, key: str, created_ms: int) -> Session:
        token = self.by_conversation.get((kind, key))
        session = self.by_token.get(token) if token else None
        if session is None:
            session = Session(ids.hex_token(16), kind, key, 0)
            self.by_token[session.token] = session
            self.by_conversation[(kind, key)] = session.token
        session.expires_ms = created_ms + int(self.ttl * 1000)
        return session

    def live(self, token: str) -> Session | None:
        session = self.by_token.get(token)
        if session is None or session.expires_ms <= self.clock.now_ms():
            return None
        return session

    def clear(self) -> None:
        self.by_token.clear()
        self.by_conversation.clear()
