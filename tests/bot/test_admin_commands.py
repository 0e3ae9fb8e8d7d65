"""The admin commands as real processes: reminder rules validated on save, the preview, the programme."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path


def run(tmp_path: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DINGTALK_", "DATABASE_URL", "BOT_"))}
    env["DATA_DIR"] = str(tmp_path / "data")
    return subprocess.run([sys.executable, "-m", "bot", *args], input=stdin, env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)


def test_a_bad_rule_is_refused_naming_each_field(tmp_path: Path) -> None:
    bad = json.dumps({"lead_days": [7, 7], "escalation": [{"after_working_days": 2, "to": "boss"}]})
    done = run(tmp_path, "reminders", "set-rule", "notification", stdin=bad)
    assert done.returncode == 2
    assert "lead_days: lead days must be distinct" in done.stderr and "escalation[0].to" in done.stderr


def test_a_saved_rule_is_what_the_rules_show(tmp_path: Path) -> None:
    good = json.dumps({"lead_days": [14, 3], "quiet_start": "19:00", "quiet_end": "08:30"})
    assert run(tmp_path, "reminders", "set-rule", "notification", "--by", "admin.wong", stdin=good).returncode == 0
    shown = json.loads(run(tmp_path, "reminders", "rules").stdout)
    assert shown["notification"]["lead_days"] == [14, 3] and shown["notification"]["quiet_start"] == "19:00"
    assert shown["transfer_route"]["lead_days"] == [30, 7, 1]


def test_the_programme_then_the_preview(tmp_path: Path) -> None:
    started = run(tmp_path, "self-assessment", "--owner", "lei.mei")
    assert started.returncode == 0 and started.stdout.count("自我評估") == 5
    from datetime import UTC, datetime

    now = datetime.now(UTC).isoformat(timespec="minutes")
    month = run(tmp_path, "reminders", "preview", "--at", now, "--minutes", str(40 * 24 * 60))
    assert month.returncode == 0 and "lei.mei" in month.stdout and "[lead:" in month.stdout
    assert "自我評估 1/5" in month.stdout


def test_audit_verify_passes_then_names_the_altered_entry(tmp_path: Path) -> None:
    import sqlite3

    assert run(tmp_path, "self-assessment", "--owner", "lei.mei").returncode == 0  # writes one audit entry
    for _ in range(2):
        assert run(tmp_path, "self-assessment", "--owner", "sou.kamfai").returncode == 0
    intact = run(tmp_path, "audit", "verify")
    assert intact.returncode == 0 and "3 entries verified" in intact.stdout
    with sqlite3.connect(tmp_path / "data" / "compliance-bot.sqlite3") as db:
        db.execute("""UPDATE audit_events SET details = '{"owner": "somebody.else"}' WHERE seq = 2""")
    broken = run(tmp_path, "audit", "verify")
    assert broken.returncode == 1 and "entry 2" in broken.stdout
