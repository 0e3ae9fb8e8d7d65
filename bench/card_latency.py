"""File share to question card: how soon a file shared with the bot 1:1 gets its card, and its frame its ack.

Starts the sandbox and the bot in this process, on one event loop, as `compliance-bot run` does in sandbox
mode, with the bot's default settings, on a new SQLite file in a scratch directory or on --database-url (a
scratch database: it is migrated and keeps what the bench writes). Each share is a colleague's 1:1 file message,
injected through the sandbox's control API. From the moment the sandbox pushes its frame it times the frame's
ack (`wait-ack`) and the bot's `POST /v1.0/card/instances/createAndDeliver` for that file (`wait` with `since`),
by the sandbox's own time stamps (ms). First --warmup untimed shares, then --shares one at a time, then --shares
in groups of --burst at once (a different colleague each, up to the 10 of the demo organisation). Before each
share or group the bot has fetched the digests of all earlier files, its last work for a share, so it starts
idle. Writes nothing unless asked with --json PATH. A benchmark, not a test.

    .venv/bin/python bench/card_latency.py [--shares 50] [--burst 10] [--warmup 5] [--file-kb 4]
                                           [--database-url URL] [--json PATH]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import platform
import statistics
import sys
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from bot.app import Bot
from bot.settings import Settings, load_settings
from sandbox import Sandbox, SandboxConfig
from storage.db import normalize_database_url

API = "/_sandbox/api/"
CARD_CREATE = "/v1.0/card/instances/createAndDeliver"
FILE_DIGEST = "file.digest"
WAIT_S = 30  # a share that takes longer has failed, not merely been slow


@dataclass
class Samples:
    """Seconds from each share's frame being pushed to its ack, and to its card being created."""

    ack: list[float] = field(default_factory=list)
    card: list[float] = field(default_factory=list)


class Control:
    """The sandbox's control API."""

    def __init__(self, http: aiohttp.ClientSession) -> None:
        self.http = http

    async def call(self, route: str, body: Any) -> Any:
        async with self.http.post(API + route, json=body) as response:
            payload = await response.json()
            if response.status != 200:
                raise RuntimeError(f"POST {route} -> {response.status}: {payload}")
            return payload

    async def get(self, route: str) -> Any:
        async with self.http.get(API + route) as response:
            return await response.json()


async def share(control: Control, user: str, file_name: str, content: str, since: int) -> tuple[float, float]:
    """`user` sends the bot `file_name`; seconds from the frame's push to its ack and to the card's creation."""
    body = {"userId": user, "file": {"fileName": file_name, "contentBase64": content}}
    message_id = (await control.call("messages", body))["messageId"]
    ack, card = await asyncio.gather(control.call("wait-ack", {"messageId": message_id, "timeout": WAIT_S}),
                                     card_for(control, file_name, since))
    frame = await control.get(f"frames/{message_id}")
    pushed = frame["sends"][0]["at"]  # the sandbox stamps pushes, acks and calls on one clock, in ms
    return (ack["acks"][0]["at"] - pushed) / 1000, (card["at"] - pushed) / 1000


async def card_for(control: Control, file_name: str, since: int) -> dict[str, Any]:
    """The recorded createAndDeliver call whose card is about `file_name`, once there is one."""
    count = 1
    while True:
        waited = await control.call("wait", {"path": CARD_CREATE, "count": count, "since": since, "timeout": WAIT_S})
        calls: list[dict[str, Any]] = waited["calls"]
        for call in calls:
            if file_name in call["body"]["cardData"]["cardParamMap"].get("staticMsgContent", ""):
                return call
        count = len(calls) + 1


class Bench:
    def __init__(self, bot: Bot, control: Control, users: list[str], file_kb: int) -> None:
        self.bot, self.control, self.users = bot, control, users
        self.content = base64.b64encode(os.urandom(file_kb * 1024)).decode()
        self.shared = 0

    async def settled(self) -> None:
        """Wait until the bot has fetched every shared file's digest, its last work for a share."""
        assert self.bot.sender is not None
        await asyncio.wait_for(self.bot.sender.wait_sent(FILE_DIGEST, self.shared), WAIT_S)

    async def group(self, size: int) -> list[tuple[float, float]]:
        """`size` shares at once, from different colleagues while there are enough of them."""
        await self.settled()
        since = int((await self.control.get("calls"))["next"])
        names = [(self.users[(self.shared + i) % len(self.users)], f"bench-{self.shared + i:04d}.xlsx")
                 for i in range(size)]
        self.shared += size
        shares = (share(self.control, user, name, self.content, since) for user, name in names)
        return list(await asyncio.gather(*shares))


def progress(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


async def measure(database_url: str, args: argparse.Namespace) -> dict[str, Samples]:
    sandbox = Sandbox(SandboxConfig(ping_interval=0))
    await sandbox.start()
    try:
        config = sandbox.config
        settings = load_settings(
            dingtalk_client_id=config.client_id, dingtalk_client_secret=config.client_secret,
            dingtalk_robot_code=config.client_id, dingtalk_openapi_endpoint=sandbox.url,
            dingtalk_oapi_endpoint=sandbox.url, database_url=database_url, http_port=0, _env_file=None,
            api_signing_key="bench-api-signing-key-" + "0" * 16)
        bot = Bot(settings)
        await bot.start()
        try:
            await bot.wait_connected(within=WAIT_S)
            async with aiohttp.ClientSession(base_url=sandbox.url) as http:
                control = Control(http)
                users = [user["userId"] for user in (await control.get("org"))["users"]]
                bench = Bench(bot, control, users, args.file_kb)
                return await run_all(bench, args.shares, args.burst, args.warmup)
        finally:
            await bot.stop()
    finally:
        await sandbox.stop()


async def run_all(bench: Bench, shares: int, burst: int, warmup: int) -> dict[str, Samples]:
    for i in range(warmup):
        [(ack, card)] = await bench.group(1)
        progress(f"  warm-up {i + 1}: ack {ack * 1000:.0f} ms, card {card * 1000:.0f} ms")
    results = {"sequential": Samples(), f"{burst} at once": Samples()}
    plans: list[tuple[Samples, int, int]] = [(results["sequential"], shares, 1),
                                             (results[f"{burst} at once"], shares, burst)]
    for samples, total, size in plans:
        while len(samples.card) < total:
            for ack, card in await bench.group(min(size, total - len(samples.card))):
                samples.ack.append(ack)
                samples.card.append(card)
        progress(f"  {len(samples.card)} shares, {size} at a time: done")
    await bench.settled()
    return results


def summary(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    p95 = statistics.quantiles(ordered, n=20, method="inclusive")[-1] if len(ordered) > 1 else ordered[0]
    return {"min": ordered[0], "p50": statistics.median(ordered), "p95": p95, "max": ordered[-1]}


def machine() -> str:
    return (f"Python {platform.python_version()} on {platform.system()} {platform.machine()}, "
            f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}")


def run(database_url: str | None, args: argparse.Namespace) -> tuple[str, dict[str, Samples]]:
    """The database's kind and the samples, on `database_url` or on a new SQLite file in a scratch directory."""
    with tempfile.TemporaryDirectory(prefix="bench-card-latency-") as scratch:
        url = database_url or f"sqlite:///{Path(scratch, 'bench.sqlite3')}"
        results = asyncio.run(measure(normalize_database_url(url), args))
    return url.split(":", 1)[0].split("+", 1)[0], results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shares", type=int, default=50, help="timed shares of each kind (default 50)")
    parser.add_argument("--burst", type=int, default=10, help="shares at once in the second kind (default 10)")
    parser.add_argument("--warmup", type=int, default=5, help="untimed shares first (default 5)")
    parser.add_argument("--file-kb", type=int, default=4, help="size of each shared file in KiB (default 4)")
    parser.add_argument("--database-url", metavar="URL",
                        help="a scratch database instead of a new SQLite file, e.g. postgresql://user@host/db")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the samples and summary here")
    args = parser.parse_args()
    if args.shares < 1 or args.burst < 1 or args.warmup < 0 or args.file_kb < 0:
        parser.error("--shares and --burst must be at least 1, --warmup and --file-kb at least 0")

    # The bot's defaults, whatever this shell exports (as `bench/startup.py` gives its bot a clean environment).
    for name in [*(n.upper() for n in Settings.model_fields), *(n for n in os.environ if n.startswith("DINGTALK_"))]:
        os.environ.pop(name, None)
    before = machine()
    database, results = run(args.database_url, args)
    print(f"1:1 file share -> question card, {database}, {args.file_kb} KiB files, {args.shares} shares of each "
          f"kind after {args.warmup} warm-up\n{before}\n")
    print(f"{'':14}{'':22}{'min':>9}{'p50':>9}{'p95':>9}{'max':>9}")
    for kind, samples in results.items():
        for i, (label, values) in enumerate((("frame pushed -> acked", samples.ack),
                                              ("frame pushed -> card", samples.card))):
            figures = summary(values)
            print(f"{kind if i == 0 else '':14}{label:22}"
                  + "".join(f"{figures[k] * 1000:>6.0f} ms" for k in ("min", "p50", "p95", "max")))
    if args.json:
        report = {"machine": before, "database": database, "file_kb": args.file_kb, "shares": args.shares,
                  "burst": args.burst, "warmup": args.warmup,
                  "samples": {kind: asdict(s) for kind, s in results.items()},
                  "summary": {kind: {key: summary(v) for key, v in asdict(s).items()} for kind, s in results.items()}}
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
