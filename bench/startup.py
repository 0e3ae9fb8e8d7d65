"""Start-up to connected, in sandbox mode: how long `compliance-bot run` takes until its stream is connected.

Spawns `compliance-bot run` --runs times with a fresh DATA_DIR (so the first start creates the SQLite
database) and --runs times with a database that already exists, alternating, after --warmup untimed runs.
Each run is timed from spawn to the log line `stream connected ... after start-up began`; that line's own
figure (from the bot's start-up, after imports and the sandbox, to connected) is reported as well. Then the
bot is stopped with SIGTERM. Writes nothing unless asked with --json PATH. A benchmark, not a test.

    .venv/bin/python bench/startup.py [--runs 5] [--warmup 1] [--json PATH]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import re
import signal
import statistics
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import aiohttp

from bot.settings import Settings

CONNECTED = re.compile(r"stream connected ([\d.]+) s after start-up began")
HTTP_SERVER = re.compile(r"HTTP server on (http://\S+)")
RUN_TIMEOUT_S = 60


@dataclass
class Samples:
    spawn_to_connected: list[float] = field(default_factory=list)
    startup_to_connected: list[float] = field(default_factory=list)


def bot_command() -> list[str]:
    script = Path(sys.executable).with_name("compliance-bot")
    return [str(script)] if script.exists() else [sys.executable, "-m", "bot"]


def clean_env(data_dir: Path) -> dict[str, str]:
    """This environment without any bot setting: sandbox mode, SQLite under data_dir, free ports."""
    ours = {name.upper() for name in Settings.model_fields}
    env = {k: v for k, v in os.environ.items() if k not in ours and not k.startswith("DINGTALK_")}
    env.update(DATA_DIR=str(data_dir), HTTP_PORT="0", SANDBOX_PORT="0")
    return env


async def run_once(data_dir: Path) -> tuple[float, float]:
    """Start the bot, wait until it says it is connected, stop it; (spawn to connected, its own figure)."""
    started = time.perf_counter()
    process = await asyncio.create_subprocess_exec(
        *bot_command(), "run", env=clean_env(data_dir), cwd=data_dir.parent,
        stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
    assert process.stderr is not None
    log: list[str] = []
    try:
        async with asyncio.timeout(RUN_TIMEOUT_S):
            health, connected = "", None
            while connected is None:
                line = (await process.stderr.readline()).decode(errors="replace")
                if not line:
                    raise RuntimeError("the bot exited before it connected:\n" + "".join(log))
                log.append(line)
                if found := HTTP_SERVER.search(line):
                    health = found[1] + "/healthz"
                connected = CONNECTED.search(line)
            elapsed = time.perf_counter() - started
            # Once it answers HTTP its loop is idle in the main wait, with the SIGTERM handler installed.
            async with aiohttp.ClientSession() as http, http.get(health) as response:
                response.raise_for_status()
            process.send_signal(signal.SIGTERM)
            rest = await process.stderr.read()
            code = await process.wait()
        if code != 0:
            raise RuntimeError(f"the bot exited with {code} on SIGTERM:\n" + "".join(log) + rest.decode())
        return elapsed, float(connected[1])
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def upgrade(data_dir: Path) -> None:
    """Create the database the `existing` runs start with, untimed."""
    process = await asyncio.create_subprocess_exec(
        *bot_command(), "db", "upgrade", env=clean_env(data_dir), cwd=data_dir.parent,
        stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
    _, errors = await process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"compliance-bot db upgrade failed:\n{errors.decode(errors='replace')}")


async def measure(runs: int, warmup: int) -> dict[str, Samples]:
    results = {"fresh": Samples(), "existing": Samples()}
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as scratch:
        existing = Path(scratch, "existing", "data")
        existing.parent.mkdir()
        await upgrade(existing)
        for i in range(warmup + runs):
            fresh = Path(scratch, f"fresh-{i}", "data")
            fresh.parent.mkdir()
            # Alternating the kinds spreads any drift in the machine's load over both.
            for kind, data_dir in (("fresh", fresh), ("existing", existing)):
                spawn, own = await run_once(data_dir)
                if i >= warmup:
                    results[kind].spawn_to_connected.append(spawn)
                    results[kind].startup_to_connected.append(own)
                label = f"run {i + 1 - warmup}" if i >= warmup else "warm-up"
                print(f"  {label:8} {kind:8}: "
                      f"{spawn:.2f} s from spawn, {own:.2f} s from start-up", file=sys.stderr)
    return results


def summary(values: list[float]) -> dict[str, float]:
    return {"min": min(values), "median": statistics.median(values), "max": max(values)}


def machine() -> str:
    return (f"Python {platform.python_version()} on {platform.system()} {platform.machine()}, "
            f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="timed runs of each kind (default 5)")
    parser.add_argument("--warmup", type=int, default=1, help="untimed runs first, to warm caches (default 1)")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the samples and summary here")
    args = parser.parse_args()
    if args.runs < 1 or args.warmup < 0:
        parser.error("--runs must be at least 1 and --warmup at least 0")

    before = machine()
    results = asyncio.run(measure(args.runs, args.warmup))
    labels = {"spawn_to_connected": "spawn -> connected", "startup_to_connected": "start-up began -> connected"}
    print(f"compliance-bot run, sandbox mode: start-up to connected, {args.runs} runs each "
          f"after {args.warmup} warm-up\n{before}\n")
    print(f"{'':18}{'':30}{'min':>8}{'median':>8}{'max':>8}")
    for kind, samples in results.items():
        for i, (key, label) in enumerate(labels.items()):
            figures = summary(getattr(samples, key))
            name = f"{kind} database" if i == 0 else ""
            print(f"{name:18}{label:30}" + "".join(f"{figures[k]:>7.2f}s" for k in ("min", "median", "max")))
    if args.json:
        report = {"machine": before, "runs": args.runs, "warmup": args.warmup,
                  "samples": {kind: asdict(s) for kind, s in results.items()},
                  "summary": {kind: {key: summary(v) for key, v in asdict(s).items()} for kind, s in results.items()}}
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
