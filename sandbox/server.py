"""The sandbox: one aiohttp server for both DingTalk hosts, the stream websocket, the control API and the page."""

from __future__ import annotations

import asyncio

from aiohttp import WSCloseCode, web

from sandbox import (
    cards,
    control,
    control_cards,
    control_inject,
    control_views,
    directory,
    gateway,
    jsapi,
    notices,
    oauth,
    page,
    robot,
)
from sandbox.config import SandboxConfig
from sandbox.guard import dingtalk_gate
from sandbox.org import Org
from sandbox.state import STATE, SandboxState

MAX_BODY = 32 * 1024 * 1024


def build_app(state: SandboxState) -> web.Application:
    app = web.Application(middlewares=[jsapi.picker_cors, dingtalk_gate], client_max_size=MAX_BODY)
    app[STATE] = state
    app.add_routes([
        web.post("/v1.0/gateway/connections/open", gateway.open_connection),
        web.get("/connect", gateway.connect),
        *oauth.routes(),
        *robot.routes(),
        *cards.routes(),
        *directory.routes(),
        *notices.routes(),
        *control.routes(),
        *control_inject.routes(),
        *control_views.routes(),
        *control_cards.routes(),
        *page.routes(),
        *jsapi.routes(),
    ])
    return app


class Sandbox:
    """A local stand-in for DingTalk. ``await start()``, point the bot at ``url``, ``await stop()``."""

    def __init__(self, config: SandboxConfig | None = None, org: Org | None = None) -> None:
        self.config = config or SandboxConfig()
        self.state = SandboxState(self.config, org or Org.seeded())
        self._runner: web.AppRunner | None = None

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Listen on ``host:port`` (port 0 picks a free one)."""
        runner = web.AppRunner(build_app(self.state), shutdown_timeout=2.0, handle_signals=False, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, host, port)
        await site.start()
        self._runner = runner
        bound_port = runner.addresses[0][1]
        self.state.base_url = f"http://{host}:{bound_port}"

    @property
    def url(self) -> str:
        if not self.state.base_url:
            raise RuntimeError("the sandbox is not started")
        return self.state.base_url

    async def stop(self) -> None:
        """Close every websocket and event stream, then the server."""
        runner, self._runner = self._runner, None
        if runner is None:
            return
        self.state.feed.close()
        self.state.hub.close()
        connections = list(self.state.hub.connections.values())
        await asyncio.gather(
            *(c.ws.close(code=WSCloseCode.GOING_AWAY, message=b"sandbox stopping") for c in connections),
            return_exceptions=True,
        )
        await runner.cleanup()
        await self.state.tasks.cancel_all()
