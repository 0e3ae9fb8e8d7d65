"""Typed requests and results of the DingTalk client; wire names appear only as aliases here."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from bot.dingtalk.ids import DeptId, UnionId, UserId


class WireModel(BaseModel):
    """A DingTalk answer: built from wire names, constructible by field names in tests and fakes."""

    model_config = ConfigDict(frozen=True, extra="ignore", validate_by_alias=True, validate_by_name=True)


@dataclass(frozen=True)
class Subscription:
    """One stream subscription: `EVENT` with topic `*`, or a `CALLBACK` topic."""

    type: Literal["EVENT", "CALLBACK"]
    topic: str


class StreamTicket(WireModel):
    """Where to open the stream websocket; the ticket is single-use and lives 90 s."""

    endpoint: str
    ticket: str = Field(repr=False)


class OtoSendResult(WireModel):
    """The answer to one batchSend call (at most 20 recipients)."""

    process_query_key: str = Field(alias="processQueryKey")
    invalid_user_ids: tuple[UserId, ...] = Field(default=(), alias="invalidStaffIdList")
    flow_controlled_user_ids: tuple[UserId, ...] = Field(default=(), alias="flowControlledStaffIdList")
    filtered_user_ids: tuple[UserId, ...] = Field(default=(), alias="filteredStaffIdList")


class CardDeliverResult(WireModel):
    """One space a card went to; for IM spaces `carrier_id` is the message's processQueryKey."""

    space_type: str = Field(default="", alias="spaceType")
    space_id: str = Field(default="", alias="spaceId")
    success: bool = False
    carrier_id: str = Field(default="", alias="carrierId")
    error_msg: str = Field(default="", alias="errorMsg")


@dataclass(frozen=True)
class FileDigest:
    """What the bot keeps of a file: its SHA-256 (hex) and size, never its content."""

    sha256: str
    size: int
    content_type: str | None = None


@dataclass(frozen=True)
class DownloadedFile:
    """A downloaded file held in memory; for callers that must read it before discarding it."""

    data: bytes = field(repr=False)
    sha256: str
    size: int
    content_type: str | None = None


class DeptLeadership(WireModel):
    """Whether the user heads one of their departments."""

    dept_id: DeptId
    leader: bool = False


class DirectoryUser(WireModel):
    """`/topapi/v2/user/get`: a member of the org; `manager_userid` may be empty."""

    userid: UserId
    unionid: UnionId | None = None
    name: str = ""
    title: str = ""
    manager_userid: UserId | None = None
    dept_id_list: tuple[DeptId, ...] = ()
    leader_in_dept: tuple[DeptLeadership, ...] = ()
    admin: bool = False
    boss: bool = False
    active: bool = True


class DepartmentMember(WireModel):
    """One entry of `/topapi/v2/user/list`; `leader` is about the listed department."""

    userid: UserId
    unionid: UnionId | None = None
    name: str = ""
    title: str = ""
    dept_id_list: tuple[DeptId, ...] = ()
    leader: bool = False
    admin: bool = False
    boss: bool = False
    active: bool = True


class Department(WireModel):
    """`/topapi/v2/department/get`; the root department has no parent."""

    dept_id: DeptId
    name: str = ""
    parent_id: DeptId | None = None
    dept_manager_userid_list: tuple[UserId, ...] = ()


class DepartmentSummary(WireModel):
    """One child of `/topapi/v2/department/listsub` (no heads: fetch the `Department` for those)."""

    dept_id: DeptId
    name: str = ""
    parent_id: DeptId | None = None


class FreeLoginUser(WireModel):
    """The user behind an H5 free-login code; `sys_level` 1 main admin, 2 sub-admin, 100 boss, 0 other."""

    userid: UserId
    unionid: UnionId | None = None
    name: str = ""
    sys_level: int = 0
