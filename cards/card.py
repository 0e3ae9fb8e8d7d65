"""Interactive cards as data, rendered for our own card template or for DingTalk's public fallback.

Our template (docs/card-template.md) takes `title`, `markdown`, `status` and `buttons`, a JSON list of
`{text, style, params}` whose params the button sends back. The public template needs no set-up: it
lays out `sys_full_json_obj`, and its callback buttons only send an id, so the params travel encoded
in that id (`classify?level=internal&version=2`). Every value in a card's param map is a string.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import parse_qsl, urlencode

# The general-purpose public template the official SDK uses (dingtalk-wire.md section 12).
PUBLIC_TEMPLATE_ID = "382e4302-551d-4880-bf29-a30acfab2e71.schema"
FINISHED_FLOW_STATUS = "3"
MAX_VALUE_BYTES = 1024  # DingTalk refuses longer cardParamMap values

ButtonStyle = Literal["primary", "default", "danger"]
_COLOURS: dict[ButtonStyle, str] = {"primary": "blue", "default": "gray", "danger": "red"}


@dataclass(frozen=True)
class CardButton:
    text: str
    params: dict[str, str]
    style: ButtonStyle = "default"


@dataclass(frozen=True)
class CardContent:
    """What a card shows, independent of the template that shows it."""

    title: str
    markdown: str
    status: str = ""
    buttons: tuple[CardButton, ...] = field(default_factory=tuple)


class CardTooLarge(ValueError):
    """A value exceeds DingTalk's 1 KB limit per card parameter."""


def encode_action_id(params: dict[str, str]) -> str:
    """`{"action": "classify", "level": "public"}` -> `classify?level=public` (for the public template)."""
    rest = {key: value for key, value in params.items() if key != "action"}
    return params.get("action", "") + ("?" + urlencode(rest) if rest else "")


def decode_action_id(action_id: str) -> dict[str, str]:
    """The inverse of `encode_action_id`; an id without `?` is just an action name."""
    action, _, query = action_id.partition("?")
    params = dict(parse_qsl(query, keep_blank_values=True))
    params["action"] = action
    return params


def param_map(content: CardContent, template_id: str | None) -> tuple[str, dict[str, str]]:
    """The template id and cardParamMap for `content`: ours when configured, else the public one."""
    if template_id:
        values = {
            "title": content.title,
            "markdown": content.markdown,
            "status": content.status,
            "buttons": json.dumps([{"text": b.text, "style": b.style, "params": b.params} for b in content.buttons],
                                  ensure_ascii=False),
        }
        return template_id, _checked(values)
    layout = {
        "order": ["msgTitle", "staticMsgContent", "msgButtons"],
        "msgButtons": [
            {"text": b.text, "color": _COLOURS[b.style], "id": encode_action_id(b.params), "request": True}
            for b in content.buttons
        ],
    }
    values = {
        "flowStatus": FINISHED_FLOW_STATUS,
        "msgTitle": content.title,
        "staticMsgContent": content.markdown,
        "sys_full_json_obj": json.dumps(layout, ensure_ascii=False),
    }
    return PUBLIC_TEMPLATE_ID, _checked(values)


# Text the card shows may be cut to fit (user-supplied names and reasons can be long); structure may not.
_SHORTENABLE = frozenset({"title", "markdown", "msgTitle", "staticMsgContent"})


def fit(text: str, limit: int = MAX_VALUE_BYTES) -> str:
    """`text` cut on a character boundary, with an ellipsis, so its UTF-8 form fits in `limit` bytes."""
    if len(text.encode("utf-8")) <= limit:
        return text
    return text.encode("utf-8")[: limit - 3].decode("utf-8", errors="ignore") + "…"


def _checked(values: dict[str, str]) -> dict[str, str]:
    for key, value in values.items():
        if key in _SHORTENABLE:
            values[key] = fit(value)
        elif len(value.encode("utf-8")) > MAX_VALUE_BYTES:
            raise CardTooLarge(f"card parameter {key!r} is {len(value.encode('utf-8'))} bytes; DingTalk allows 1024")
    return values
