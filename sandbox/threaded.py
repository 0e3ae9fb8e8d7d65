"""Run a sandbox on its own event loop in a thread.

The 0.24.3 SDK makes blocking ``requests`` calls from inside its event loop (registration, tokens, replies);
a sandbox on that same loop could never answer them."""

from __future__ import annotations

import asyncio
import threading
from types import TracebackType

from sandbox.config import SandboxConfig
from sandbox.org import Org
from sandbox.server import Sandbox

START_TIMEOUT = 10.0


class ThreadedSandbox:
    """``with ThreadedSandbox() as sandbox: ... sandbox.url ...``"""

    def __init__(self, config: SandboxConfig | None = None, org: Org | None = None,
                 host: str = "127.0.0.1", port: int = 0) -> None:
        self.sandbox = Sandbox(config, org)
        self._host, self._port = host, port
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="dingtalk-sandbox", daemon=True)

    @property
    def url(self) -> str:
        return self.sandbox.url

    def start(self) -> str:
        self._thread.start()
        if not self._ready.wait(START_TIMEOUT):
            raise RuntimeError("the sandbox thread did not start")
        if self._error is not None:
            raise RuntimeError("the sandbox failed to start") from self._error
        return self.url

    def stop(self) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(START_TIMEOUT)

    def _run(self) -> None:
        asyncio.run(self._main())

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        try:
            await self.sandbox.start(self._host, self._port)
        except BaseException as exc:
            self._error = exc
            self._ready.set()
            raise
        self._ready.set()
        try:
            await self._stop.wait()
        finally:
            await self.sandbox.stop()

    def __enter__(self) -> ThreadedSandbox:
        self.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()
