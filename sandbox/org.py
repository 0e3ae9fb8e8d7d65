"""The seeded organisation: departments, users and group chats."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

ROOT_DEPT = 1


@dataclass(frozen=True)
class User:
    userid: str
    unionid: str
    name: str
    name_en: str
    title: str
    dept_id_list: list[int]
    manager_userid: str = ""
    leader_in_dept: list[int] = field(default_factory=list)
    admin: bool = False
    boss: bool = False
    mobile: str = ""
    email: str = ""
    job_number: str = ""
    hired_date: int = 0
    active: bool = True

    def detail(self) -> dict[str, Any]:
        """The ``topapi/v2/user/get`` result."""
        return {
            "userid": self.userid,
            "unionid": self.unionid,
            "name": self.name,
            "title": self.title,
            "manager_userid": self.manager_userid,
            "dept_id_list": list(self.dept_id_list),
            "dept_order_list": [{"dept_id": d, "order": 0} for d in self.dept_id_list],
            "leader_in_dept": [{"dept_id": d, "leader": d in self.leader_in_dept} for d in self.dept_id_list],
            "admin": self.admin,
            "boss": self.boss,
            "active": self.active,
            "real_authed": True,
            "senior": False,
            "hide_mobile": False,
            "exclusive_account": False,
            "job_number": self.job_number,
            "mobile": self.mobile,
            "state_code": "853",
            "email": self.email,
            "org_email": self.email,
            "hired_date": self.hired_date,
            "role_list": [],
        }

    def listing(self, dept_id: int) -> dict[str, Any]:
        """One entry of ``topapi/v2/user/list``."""
        return {
            "userid": self.userid,
            "unionid": self.unionid,
            "name": self.name,
            "title": self.title,
            "dept_id_list": list(self.dept_id_list),
            "leader": dept_id in self.leader_in_dept,
            "admin": self.admin,
            "boss": self.boss,
            "active": self.active,
            "job_number": self.job_number,
            "mobile": self.mobile,
            "email": self.email,
            "hired_date": self.hired_date,
            "dept_order": 0,
        }

    def public(self) -> dict[str, Any]:
        """What the control API and the page show."""
        return {
            "userId": self.userid,
            "unionId": self.unionid,
            "name": self.name,
            "nameEn": self.name_en,
            "title": self.title,
            "deptIds": list(self.dept_id_list),
            "managerUserId": self.manager_userid,
            "leaderInDept": list(self.leader_in_dept),
            "admin": self.admin,
            "boss": self.boss,
        }


@dataclass(frozen=True)
class Department:
    dept_id: int
    name: str
    name_en: str
    parent_id: int | None = None
    dept_manager_userid_list: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Group:
    conversation_id: str
    title: str
    owner: str
    members: list[str]


class Org:
    """A read-only directory, by default the one shipped in ``org.json``."""

    def __init__(self, users: list[User], departments: list[Department], groups: list[Group],
                 corp_name: str = "") -> None:
        self.corp_name = corp_name
        self.users = {u.userid: u for u in users}
        self.by_union = {u.unionid: u for u in users}
        self.departments = {d.dept_id: d for d in departments}
        self.groups = {g.conversation_id: g for g in groups}

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Org:
        return cls(
            users=[User(**u) for u in raw["users"]],
            departments=[Department(**d) for d in raw["departments"]],
            groups=[
                Group(g["conversationId"], g["title"], g.get("owner", ""), list(g["members"]))
                for g in raw.get("groups", [])
            ],
            corp_name=raw.get("corp_name", ""),
        )

    @classmethod
    def seeded(cls) -> Org:
        text = resources.files("sandbox").joinpath("org.json").read_text(encoding="utf-8")
        return cls.from_dict(json.loads(text))

    def members_of(self, dept_id: int) -> list[User]:
        return [u for u in self.users.values() if dept_id in u.dept_id_list]

    def children_of(self, dept_id: int) -> list[Department]:
        return [d for d in self.departments.values() if d.parent_id == dept_id]

    def path_to_root(self, dept_id: int) -> list[int]:
        """``[dept, parent, ..., 1]``."""
        path: list[int] = []
        current: int | None = dept_id
        while current is not None and current not in path:
            path.append(current)
            current = self.departments[current].parent_id if current in self.departments else None
        return path

    def department_detail(self, dept: Department) -> dict[str, Any]:
        """The ``topapi/v2/department/get`` result."""
        detail: dict[str, Any] = {
            "dept_id": dept.dept_id,
            "name": dept.name,
            "dept_manager_userid_list": list(dept.dept_manager_userid_list),
            "member_count": len(self.members_of(dept.dept_id)),
            "create_dept_group": False,
            "auto_add_user": True,
            "group_contain_sub_dept": False,
            "hide_dept": False,
            "order": dept.dept_id,
            "from_union_org": False,
        }
        if dept.parent_id is not None:
            detail["parent_id"] = dept.parent_id
        return detail

    def public(self) -> dict[str, Any]:
        return {
            "corpName": self.corp_name,
            "users": [u.public() for u in self.users.values()],
            "departments": [
                {"deptId": d.dept_id, "name": d.name, "nameEn": d.name_en, "parentId": d.parent_id,
                 "managers": list(d.dept_manager_userid_list)}
                for d in self.departments.values()
            ],
            "groups": [
                {"conversationId": g.conversation_id, "title": g.title, "owner": g.owner, "members": g.members}
                for g in self.groups.values()
            ],
        }
