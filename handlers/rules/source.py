"""YAML text -> (node tree, plain data), and the line of any path in it, for errors that name the line."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

Path = tuple[str | int, ...]


@dataclass(frozen=True)
class Problem:
    """What is wrong, and where: a 1-based line and the path of keys down to it."""

    line: int
    path: str
    reason: str

    def __str__(self) -> str:
        where = f"{self.path}: " if self.path else ""
        return f"line {self.line}: {where}{self.reason}"


class _PackLoader(yaml.SafeLoader):
    """SafeLoader that refuses aliases: a pack comes from an admin API, and `*refs` can expand exponentially."""

    def compose_node(self, parent: Node | None, index: int) -> Node | None:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()  # type: ignore[no-untyped-call]  # untyped in types-PyYAML
            raise yaml.composer.ComposerError(
                None, None, "anchors and aliases (*name) are not allowed in a rules pack", event.start_mark
            )
        return super().compose_node(parent, index)


class YamlSyntaxError(ValueError):
    """The text is not one well-formed YAML document."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(str(problem))
        self.problem = problem


def parse(text: str) -> tuple[Node, Any]:
    """Compose and construct one YAML document; YamlSyntaxError names the line."""
    try:
        loader = _PackLoader(text)
    except yaml.reader.ReaderError as exc:  # the reader refuses control characters before any parsing
        line = text.count("\n", 0, exc.position) + 1
        raise YamlSyntaxError(Problem(line, "", f"YAML syntax: character #x{exc.character:04x} is not allowed "
                                                "in a rules pack")) from exc
    try:
        node = loader.get_single_node()
        if node is None:
            raise YamlSyntaxError(Problem(1, "", "the pack is empty"))
        duplicate = next(_duplicate_keys(node, ()), None)
        if duplicate is not None:
            raise YamlSyntaxError(duplicate)
        return node, loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        reason = " ".join(part for part in (exc.context, exc.problem) if part) or "invalid YAML"
        raise YamlSyntaxError(Problem(line, "", f"YAML syntax: {reason}")) from exc
    except yaml.YAMLError as exc:
        raise YamlSyntaxError(Problem(1, "", f"YAML syntax: {exc}")) from exc
    finally:
        loader.dispose()


def _duplicate_keys(node: Node, path: Path) -> Iterator[Problem]:
    # PyYAML keeps the last of two equal keys; in a pack that silently drops an obligation or a rule.
    if isinstance(node, MappingNode):
        seen: set[str] = set()
        for key, value in node.value:
            name = str(key.value) if isinstance(key, ScalarNode) else "?"
            if name in seen:
                yield Problem(key.start_mark.line + 1, dotted(path), f"duplicate key '{name}'")
            seen.add(name)
            yield from _duplicate_keys(value, (*path, name))
    elif isinstance(node, SequenceNode):
        for index, item in enumerate(node.value):
            yield from _duplicate_keys(item, (*path, index))


def line_of(root: Node, path: Sequence[str | int]) -> int:
    """The 1-based line of the deepest node on `path` that exists, preferring the line of its key.

    Path parts that name no node (pydantic's union tags, a missing key) are skipped, so an error about a
    missing key points at the mapping that lacks it.
    """
    node = root
    line = root.start_mark.line
    for part in path:
        found = _child(node, part)
        if found is None:
            continue
        line, node = found
    return line + 1


def _child(node: Node, part: str | int) -> tuple[int, Node] | None:
    if isinstance(node, MappingNode):
        for key, value in node.value:
            if isinstance(key, ScalarNode) and str(key.value) == str(part):
                return key.start_mark.line, value
    elif isinstance(node, SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
        item: Node = node.value[part]
        return item.start_mark.line, item
    return None


def dotted(path: Sequence[str | int]) -> str:
    """`("rules", 3, "when")` -> `rules[3].when`."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out
