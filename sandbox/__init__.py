"""A local stand-in for DingTalk that the real dingtalk-stream client can connect to. The bot never imports it."""

from __future__ import annotations

from sandbox.config import SandboxConfig
from sandbox.org import Department, Group, Org, User
from sandbox.server import Sandbox
from sandbox.threaded import ThreadedSandbox

__all__ = ["Department", "Group", "Org", "Sandbox", "SandboxConfig", "ThreadedSandbox", "User"]
