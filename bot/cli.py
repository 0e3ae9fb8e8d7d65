"""`compliance-bot`: run the bot, run the sandbox alone, upgrade the database, check the set-up."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import SecretStr
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from bot import signoff_commands
from bot.admin_commands import (
    reminders_command,
    run_classification_followups,
    start_programme,
    verify_audit_log,
)
from bot.app import Bot, StartupError, migrate
from bot.dingtalk import DingTalkClient, DingTalkError
from bot.logs import configure_logging
from bot.settings import Settings, SettingsError, load_settings
from bot.stream import SUBSCRIPTIONS, USER_AGENT
from storage.db import create_engine
from storage.migrate import current_revision, head_revision

if TYPE_CHECKING:
    from sandbox import Sandbox

log = logging.getLogger("compliance-bot")

EXIT_OK, EXIT_FAILED, EXIT_CONFIG = 0, 1, 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="compliance-bot", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands.add_parser("run", help="run the bot (with a local sandbox when no DingTalk credentials are set)")
    commands.add_parser("sandbox", help="run the local DingTalk sandbox alone")
    db = commands.add_parser("db", help="database maintenance")
    db.add_subparsers(dest="db_command", required=True, metavar="ACTION").add_parser(
        "upgrade", help="apply migrations up to the newest schema")
    commands.add_parser("check", help="validate settings, fetch a token and open a stream ticket")
    followups = commands.add_parser(
        "followups", help="nudge, escalate or expire unanswered classification questions now (or as of --at)")
    followups.add_argument("--at", type=_instant, help="act as if it were this time (ISO 8601, e.g. 2027-01-04T09:00)")
    reminders = commands.add_parser("reminders", help="assessment reminders")
    reminder_actions = reminders.add_subparsers(dest="reminders_command", required=True, metavar="ACTION")
    reminder_actions.add_parser("rules", help="print every assessment type's reminder rule as JSON")
    set_rule = reminder_actions.add_parser("set-rule", help="validate and save one type's rule (JSON on stdin)")
    set_rule.add_argument("assessment_type")
    set_rule.add_argument("--by", default="cli", help="who changes it, for the audit log (a userId)")
    preview = reminder_actions.add_parser(
        "preview", help="print what would go out at an instant, and why, without sending")
    preview.add_argument("--at", type=_instant, required=True, help="the instant (ISO 8601, org timezone if no offset)")
    preview.add_argument("--minutes", type=int, default=1, help="how long a window after --at to include (default 1)")
    signoff_commands.add_parser(commands)
    audit = commands.add_parser("audit", help="the hash-chained audit log")
    audit.add_subparsers(dest="audit_command", required=True, metavar="ACTION").add_parser(
        "verify", help="check every entry's hash and link; name the first broken one")
    programme = commands.add_parser("self-assessment", help="start the five-step self-assessment programme")
    programme.add_argument("--owner", required=True, help="the DingTalk userId who owns the five steps")
    return parser


def _instant(value: str) -> datetime:
    """An ISO 8601 time; one without an offset is read in the org's timezone once the settings are loaded."""
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not an ISO 8601 time such as 2027-01-04T09:00") from None


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = load_settings()
    except SettingsError as exc:
        print(f"compliance-bot: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    configure_logging(settings.log_level, settings.log_format, settings.secrets())
    if getattr(args, "at", None) is not None and args.at.tzinfo is None:
        args.at = args.at.replace(tzinfo=settings.timezone)
    commands: dict[str, Callable[[Settings], Coroutine[Any, Any, int]]] = {
        "run": run_bot, "sandbox": run_sandbox, "db": upgrade_database, "check": check_setup,
        "followups": lambda s: run_classification_followups(s, args.at),
        "reminders": lambda s: reminders_command(s, args),
        "self-assessment": lambda s: start_programme(s, args.owner),
        "audit": verify_audit_log,
        "signoff": lambda s: signoff_commands.run(s, args),
    }
    try:
        return asyncio.run(commands[args.command](settings))
    except StartupError as exc:
        print(f"compliance-bot: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    except KeyboardInterrupt:
        return EXIT_OK


def _stop_on_signals() -> asyncio.Event:
    """An event set by SIGTERM or SIGINT; installed first, so a signal during start-up stops cleanly too."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    return stop


async def _until(stop: asyncio.Event) -> None:
    await stop.wait()
    log.info("stopping: finishing in-flight work")


async def upgrade_database(settings: Settings) -> int:
    await migrate(settings.database_url)
    print(f"database is at revision {head_revision()}")
    return EXIT_OK














async def run_bot(settings: Settings) -> int:
    """Run everything in one process; in sandbox mode the sandbox runs in it too."""
    stop = _stop_on_signals()
    async with _maybe_sandbox(settings) as (effective, sandbox_url):
        bot = Bot(effective)
        try:
            await bot.start()
            if sandbox_url:
                print(f"\n  No DingTalk credentials set: running against the local sandbox.\n"
                      f"  Open {sandbox_url}/ to chat with the bot as any of the demo staff.\n"
                      f"  Open {bot.policy.public_url}/app/ for the admin pages (sign in as anyone there).\n",
                      flush=True)
            await _report_connected(bot, stop)
            await _until(stop)
        finally:
            await bot.stop()
    return EXIT_OK


async def _report_connected(bot: Bot, stop: asyncio.Event) -> None:
    connected = asyncio.ensure_future(bot.wait_connected(within=30))
    stopping = asyncio.ensure_future(stop.wait())
    await asyncio.wait({connected, stopping}, return_when=asyncio.FIRST_COMPLETED)
    stopping.cancel()
    if not connected.done():
        connected.cancel()
        return
    if connected.exception() is not None:
        log.warning("not connected after 30 s; still trying (see the warnings above)")
        return
    log.info("stream connected %.2f s after start-up began", connected.result())


@asynccontextmanager
async def _maybe_sandbox(settings: Settings) -> AsyncIterator[tuple[Settings, str]]:
    """In sandbox mode, start the sandbox and point the settings at it; otherwise pass them through."""
    if not settings.sandbox_mode:
        yield settings, ""
        return
    sandbox = await _start_sandbox(settings)
    config = sandbox.config
    try:
        yield settings.model_copy(update={
            "dingtalk_client_id": config.client_id,
            "dingtalk_client_secret": SecretStr(config.client_secret),
            "dingtalk_robot_code": config.client_id,
            "dingtalk_corp_id": config.corp_id,
            "dingtalk_openapi_endpoint": sandbox.url,
            "dingtalk_oapi_endpoint": sandbox.url,
            "dingtalk_jsapi_url": f"{sandbox.url}/_sandbox/dd.js",  # free-login through the sandbox's user picker
            "link_secret": SecretStr(settings.link_signing_secret()),  # as the admin commands will sign links
        }), sandbox.url
    finally:
        await sandbox.stop()


async def _start_sandbox(settings: Settings) -> Sandbox:
    # The composition root is the one place that may start the sandbox; the bot itself never imports it.
    from sandbox import Sandbox

    sandbox = Sandbox()
    try:
        await sandbox.start(settings.sandbox_host, settings.sandbox_port)
    except OSError as exc:
        reason = os.strerror(exc.errno) if exc.errno else str(exc)
        raise StartupError(f"cannot start the sandbox on {settings.sandbox_host}:{settings.sandbox_port} "
                           f"(SANDBOX_PORT): {reason}") from None
    return sandbox


async def run_sandbox(settings: Settings) -> int:
    stop = _stop_on_signals()
    sandbox = await _start_sandbox(settings)
    config = sandbox.config
    print(f"Sandbox at {sandbox.url}/\n"
          f"Point a bot at it with:\n"
          f"  DINGTALK_CLIENT_ID={config.client_id} DINGTALK_CLIENT_SECRET={config.client_secret} \\\n"
          f"  DINGTALK_OPENAPI_ENDPOINT={sandbox.url} DINGTALK_OAPI_ENDPOINT={sandbox.url} compliance-bot run",
          flush=True)
    try:
        await _until(stop)
    finally:
        await sandbox.stop()
    return EXIT_OK


async def check_setup(settings: Settings) -> int:
    """Report each step of reaching DingTalk, so an admin sees exactly which one fails."""
    print("settings: ok" + (" (sandbox mode: no credentials set)" if settings.sandbox_mode else ""))
    if settings.sandbox_mode:
        print("set DINGTALK_CLIENT_ID and DINGTALK_CLIENT_SECRET to check a real DingTalk app")
        return EXIT_OK
    async with DingTalkClient(
        client_id=settings.dingtalk_client_id,
        client_secret=settings.dingtalk_client_secret.get_secret_value(),
        robot_code=settings.dingtalk_robot_code,
        openapi_endpoint=settings.dingtalk_openapi_endpoint,
        oapi_endpoint=settings.dingtalk_oapi_endpoint,
    ) as client:
        steps: list[tuple[str, Callable[[], Awaitable[object]]]] = [
            ("access token", client.access_token),
            ("stream ticket", lambda: client.open_stream_connection(SUBSCRIPTIONS, USER_AGENT, "127.0.0.1")),
        ]
        for name, step in steps:
            try:
                await step()
            except DingTalkError as exc:
                print(f"{name}: FAILED: {exc}")
                return EXIT_FAILED
            print(f"{name}: ok")
    return await _check_database(settings)


async def _check_database(settings: Settings) -> int:
    """Read-only: is the database reachable and its schema current? (`db upgrade` changes it.)"""
    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite" and url.database and not await asyncio.to_thread(Path(url.database).exists):
        print(f"database: FAILED: no database at {url.database} yet; run compliance-bot db upgrade "
              "(compliance-bot run does it too)")
        return EXIT_FAILED
    engine = create_engine(settings.database_url)
    try:
        revision = await current_revision(engine)
    except (OSError, SQLAlchemyError) as exc:
        print(f"database: FAILED: {str(getattr(exc, 'orig', None) or exc).splitlines()[0]}")
        return EXIT_FAILED
    finally:
        await engine.dispose()
    if revision != head_revision():
        print(f"database: FAILED: schema at {revision or 'nothing'}, newest is {head_revision()}; "
              "run compliance-bot db upgrade (compliance-bot run does it too)")
        return EXIT_FAILED
    print(f"database: ok (revision {revision})")
    return EXIT_OK
