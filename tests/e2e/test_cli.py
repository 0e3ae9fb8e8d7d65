"""The `compliance-bot` console script as a user runs it: a real subprocess, a clean environment, its output.

`BotCommand` and `compliance_bot()` are also what the demo page's browser test starts the bot with.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import socket
import sqlite3
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, closing
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import aiohttp
import pytest

from bot.settings import Settings
from sandbox import Sandbox
from storage.migrate import head_revision
from tests.e2e.conftest import BATCH_SEND, SandboxControl

SANDBOX_ID, SANDBOX_SECRET = "sandbox-client-id", "sandbox-client-secret"
CONNECTED = r"stream connected ([\d.]+) s after start-up began"
SANDBOX_URL = r"Open (http://127\.0\.0\.1:(\d+))/ to chat"
Stream = Literal["stdout", "stderr"]


def bot_command() -> list[str]:
    """The installed console script, or `python -m bot` where the script is not next to this interpreter."""
    script = Path(sys.executable).with_name("compliance-bot")
    return [str(script)] if script.exists() else [sys.executable, "-m", "bot"]


def bot_env(tmp_path: Path, **settings: str) -> dict[str, str]:
    """This process's environment without any bot setting, a DATA_DIR under tmp_path, free ports, then `settings`."""
    ours = {name.upper() for name in Settings.model_fields}
    env = {k: v for k, v in os.environ.items() if k not in ours and not k.startswith("DINGTALK_")}
    env.update(DATA_DIR=str(tmp_path / "data"), HTTP_PORT="0", SANDBOX_PORT="0")
    env.update(settings)
    return env


class BotCommand:
    """A running `compliance-bot` command; both of its outputs are read line by line as they come."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.lines: dict[Stream, list[str]] = {"stdout": [], "stderr": []}
        self._closed = 0
        self._changed = asyncio.Condition()
        assert process.stdout is not None and process.stderr is not None
        self._readers = [asyncio.create_task(self._read(process.stdout, "stdout")),
                         asyncio.create_task(self._read(process.stderr, "stderr"))]

    @property
    def stdout(self) -> str:
        return "".join(self.lines["stdout"])

    @property
    def stderr(self) -> str:
        return "".join(self.lines["stderr"])

    def transcript(self) -> str:
        return f"exit code {self.process.returncode}\n--- stdout\n{self.stdout}--- stderr\n{self.stderr}---"

    async def _read(self, stream: asyncio.StreamReader, name: Stream) -> None:
        while True:
            raw = await stream.readline()
            async with self._changed:
                if raw:
                    self.lines[name].append(raw.decode(errors="replace"))
                else:
                    self._closed += 1
                self._changed.notify_all()
            if not raw:
                return

    def _search(self, name: Stream, pattern: str) -> re.Match[str] | None:
        return next((m for line in self.lines[name] if (m := re.search(pattern, line))), None)

    async def wait_for_line(self, name: Stream, pattern: str, within: float = 20) -> re.Match[str]:
        """The first line of `name` matching `pattern`, once it has been written."""
        async with self._changed:
            try:
                async with asyncio.timeout(within):
                    await self._changed.wait_for(lambda: self._search(name, pattern) or self._closed == 2)
            except TimeoutError:
                raise AssertionError(f"no {pattern!r} on {name} within {within} s\n{self.transcript()}") from None
        match = self._search(name, pattern)
        if match is None:
            await self.exited(within=5)
            raise AssertionError(f"output ended without {pattern!r} on {name}\n{self.transcript()}")
        return match

    async def sandbox_url(self) -> str:
        """The sandbox address `run` prints in sandbox mode."""
        match = await self.wait_for_line("stdout", SANDBOX_URL)
        assert int(match[2]) != 0
        return match[1]

    async def exited(self, within: float) -> int:
        """The exit code, once the process has exited and both outputs are read to the end."""
        try:
            async with asyncio.timeout(within):
                code = await self.process.wait()
                await asyncio.gather(*self._readers)
        except TimeoutError:
            raise AssertionError(f"still running after {within} s\n{self.transcript()}") from None
        return code

    async def terminate(self, within: float = 5) -> int:
        """SIGTERM, as a service manager stops it; the exit code."""
        self.process.send_signal(signal.SIGTERM)
        return await self.exited(within)

    async def close(self) -> None:
        if self.process.returncode is None:
            self.process.kill()
            await self.process.wait()
        for reader in self._readers:
            reader.cancel()
        await asyncio.gather(*self._readers, return_exceptions=True)


@asynccontextmanager
async def compliance_bot(*args: str, env: dict[str, str], cwd: Path) -> AsyncIterator[BotCommand]:
    """`compliance-bot ARGS` in `cwd` (so no stray `.env` is read); killed on the way out if still running."""
    process = await asyncio.create_subprocess_exec(
        *bot_command(), *args, env=env, cwd=cwd,
        stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    command = BotCommand(process)
    try:
        yield command
    finally:
        await command.close()


@dataclass
class Finished:
    code: int
    stdout: str
    stderr: str


async def run_to_end(*args: str, env: dict[str, str], cwd: Path, within: float = 60) -> Finished:
    async with compliance_bot(*args, env=env, cwd=cwd) as command:
        code = await command.exited(within)
        return Finished(code, command.stdout, command.stderr)


def error_line(finished: Finished) -> str:
    """The one line a failed start-up explains itself with: the last on stderr, and no traceback before it."""
    assert "Traceback" not in finished.stderr, finished.stderr
    lines = finished.stderr.strip().splitlines()
    assert lines and lines[-1].startswith("compliance-bot: "), finished.stderr
    return lines[-1]


async def test_run_in_sandbox_mode_answers_help_and_stops_on_sigterm(tmp_path: Path) -> None:
    async with compliance_bot("run", env=bot_env(tmp_path), cwd=tmp_path) as bot:
        url = await bot.sandbox_url()
        await bot.wait_for_line("stderr", CONNECTED)
        async with aiohttp.ClientSession(base_url=url) as http:
            control = SandboxControl(http)
            await control.say("chan.taiman", "help")
            [reply] = await control.wait_calls(BATCH_SEND, within=10)
        assert reply["status"] == 200 and reply["body"]["userIds"] == ["chan.taiman"]
        assert json.loads(reply["body"]["msgParam"])["title"] == "合規助手：使用說明"

        assert await bot.terminate(within=5) == 0, bot.transcript()
    assert "Traceback" not in bot.stderr
    assert re.search(r"INFO .*stopping", bot.stderr), bot.stderr


@pytest.mark.parametrize("password", ["", ":not-for-logs"], ids=["no-password", "password"])
async def test_run_with_an_unreachable_database_exits_2_naming_it(tmp_path: Path, password: str) -> None:
    url = f"postgresql://nobody{password}@127.0.0.1:1/none"
    finished = await run_to_end("run", env=bot_env(tmp_path, DATABASE_URL=url), cwd=tmp_path)
    assert finished.code == 2, finished
    line = error_line(finished)
    assert finished.stderr.strip() == line
    assert "database" in line and "nobody" in line and "127.0.0.1:1/none" in line, line
    assert "not-for-logs" not in finished.stderr + finished.stdout


@pytest.mark.parametrize("variable", ["HTTP_PORT", "SANDBOX_PORT"])
async def test_run_on_a_port_in_use_exits_2_naming_the_port(tmp_path: Path, variable: str) -> None:
    with closing(socket.socket()) as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        port = held.getsockname()[1]
        finished = await run_to_end("run", env=bot_env(tmp_path, **{variable: str(port)}), cwd=tmp_path)
    assert finished.code == 2, finished
    line = error_line(finished)
    assert str(port) in line and "in use" in line, line


def sqlite_file(path: Path) -> tuple[set[str], str, bytes]:
    """The tables of an SQLite file, its Alembic revision and its bytes."""
    with closing(sqlite3.connect(path)) as db:
        tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        [(revision,)] = db.execute("SELECT version_num FROM alembic_version").fetchall()
    return tables, revision, path.read_bytes()


async def test_db_upgrade_creates_the_schema_then_changes_nothing(tmp_path: Path) -> None:
    env = bot_env(tmp_path)  # DATA_DIR does not exist yet
    database = tmp_path / "data" / "compliance-bot.sqlite3"

    first = await run_to_end("db", "upgrade", env=env, cwd=tmp_path)
    assert first.code == 0, first
    assert f"revision {head_revision()}" in first.stdout
    tables, revision, created = sqlite_file(database)
    assert revision == head_revision()
    assert {"processed_frames", "outbox_messages", "audit_events", "user_preferences"} <= tables

    second = await run_to_end("db", "upgrade", env=env, cwd=tmp_path)
    assert second.code == 0, second
    assert f"revision {head_revision()}" in second.stdout
    assert sqlite_file(database) == (tables, revision, created)  # nothing written, not even the version row


def sandbox_env(tmp_path: Path, url: str, secret: str) -> dict[str, str]:
    return bot_env(tmp_path, DINGTALK_CLIENT_ID=SANDBOX_ID, DINGTALK_CLIENT_SECRET=secret,
                   DINGTALK_OPENAPI_ENDPOINT=url, DINGTALK_OAPI_ENDPOINT=url)


async def test_check_against_the_sandbox_reports_every_step_ok(
    tmp_path: Path, sandbox: Sandbox, control: SandboxControl
) -> None:
    env = sandbox_env(tmp_path, sandbox.url, SANDBOX_SECRET)
    fresh = await run_to_end("check", env=env, cwd=tmp_path)  # check reads the database, never creates it
    assert fresh.code == 1 and "run compliance-bot db upgrade" in fresh.stdout.splitlines()[-1], fresh
    assert (await run_to_end("db", "upgrade", env=env, cwd=tmp_path)).code == 0
    finished = await run_to_end("check", env=env, cwd=tmp_path)
    assert finished.code == 0, finished
    lines = finished.stdout.splitlines()
    assert {"settings: ok", "access token: ok", "stream ticket: ok"} <= set(lines), lines
    assert f"database: ok (revision {head_revision()})" in lines, lines
    ticket = (await control.calls("/v1.0/gateway/connections/open"))[-1]
    assert ticket["status"] == 200 and ticket["body"]["clientId"] == SANDBOX_ID


async def test_check_with_a_wrong_secret_names_the_failing_step_and_hides_the_secret(
    tmp_path: Path, sandbox: Sandbox
) -> None:
    secret = "wrong-secret-4f1c9a"
    finished = await run_to_end("check", env=sandbox_env(tmp_path, sandbox.url, secret), cwd=tmp_path)
    assert finished.code == 1, finished
    lines = finished.stdout.splitlines()
    assert lines[0] == "settings: ok" and lines[-1].startswith("access token: FAILED"), lines
    assert "invalidClientIdOrSecret" in lines[-1]
    assert not any(line.startswith(("stream ticket", "database")) for line in lines), lines
    assert secret not in finished.stdout + finished.stderr


async def test_sandbox_command_prints_settings_that_work_and_stops_on_sigterm(tmp_path: Path) -> None:
    async with compliance_bot("sandbox", env=bot_env(tmp_path), cwd=tmp_path) as sandbox:
        url = (await sandbox.wait_for_line("stdout", r"Sandbox at (http://127\.0\.0\.1:\d+)/"))[1]
        await sandbox.wait_for_line("stdout", r"compliance-bot run$")
        printed = dict(re.findall(r"(DINGTALK_[A-Z_]+)=(\S+)", sandbox.stdout))
        assert printed == {"DINGTALK_CLIENT_ID": SANDBOX_ID, "DINGTALK_CLIENT_SECRET": SANDBOX_SECRET,
                           "DINGTALK_OPENAPI_ENDPOINT": url, "DINGTALK_OAPI_ENDPOINT": url}, sandbox.stdout

        # A bot given exactly those settings gets through every step of `check`.
        assert (await run_to_end("db", "upgrade", env=bot_env(tmp_path, **printed), cwd=tmp_path)).code == 0
        checked = await run_to_end("check", env=bot_env(tmp_path, **printed), cwd=tmp_path)
        assert checked.code == 0 and "stream ticket: ok" in checked.stdout, checked

        assert await sandbox.terminate(within=5) == 0, sandbox.transcript()
    assert "Traceback" not in sandbox.stderr
    assert re.search(r"INFO .*stopping", sandbox.stderr), sandbox.stderr
