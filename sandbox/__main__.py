"""``python -m sandbox``: run the sandbox until interrupted."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal

from sandbox.config import SandboxConfig
from sandbox.server import Sandbox


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m sandbox", description="A local stand-in for DingTalk.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--ack-timeout", type=float, default=60.0,
                        help="seconds before an unacked frame is redelivered")
    parser.add_argument("--ping-interval", type=float, default=30.0,
                        help="seconds between SYSTEM pings; 0 disables")
    return parser.parse_args(argv)


async def serve(args: argparse.Namespace) -> None:
    config = SandboxConfig(ack_timeout=args.ack_timeout, ping_interval=args.ping_interval)
    sandbox = Sandbox(config)
    await sandbox.start(args.host, args.port)
    print(f"DingTalk sandbox on {sandbox.url}  (open it in a browser)", flush=True)
    print(f"  DINGTALK_OPENAPI_ENDPOINT={sandbox.url} DINGTALK_OAPI_ENDPOINT={sandbox.url}", flush=True)
    print(f"  client id {config.client_id} / secret {config.client_secret}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        await stop.wait()
    finally:
        await sandbox.stop()


def main(argv: list[str] | None = None) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    asyncio.run(serve(parse_args(argv)))


if __name__ == "__main__":
    main()
