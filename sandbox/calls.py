"""The record of every call the bot made to the DingTalk side."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Call:
    index: int
    at: int  # ms epoch (sandbox clock)
    method: str
    path: str
    query: dict[str, str]
    body: Any
    status: int
    response: Any

    def public(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "at": self.at,
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "body": self.body,
            "status": self.status,
            "response": self.response,
        }


class CallLog:
    def __init__(self) -> None:
        self._calls: list[Call] = []
        self._base = 0  # indexes keep growing across resets so a test's `since` stays meaningful

    def record(self, *, at: int, method: str, path: str, query: dict[str, str], body: Any, status: int,
               response: Any) -> Call:
        call = Call(self._base + len(self._calls), at, method, path, query, body, status, response)
        self._calls.append(call)
        return call

    @property
    def next_index(self) -> int:
        return self._base + len(self._calls)

    def matching(self, path: str | None = None, method: str | None = None, since: int = 0) -> list[Call]:
        return [
            c for c in self._calls
            if c.index >= since
            and (path is None or c.path == path)
            and (method is None or c.method == method.upper())
        ]

    def clear(self) -> None:
        self._base = self.next_index
        self._calls.clear()
