"""Rewriting one row's text and JSON values so they no longer name an erased person.

An erased address becomes `erased.<16 hex of its keyed hash>@<its domain>` (the company domain
stays, so identity resolution by domain still works; the person is gone). In mail headers the
display name goes with it (`Priya Kumar <priya@x.com>` → `erased.…@x.com`). In JSON, an element of
a list that holds the address (a calendar attendee, a file owner) is dropped; any other object that
holds it keeps the replacement and loses its name, phone and address fields. The names found beside
the address (header display names, those JSON fields, the row's own name columns) are replaced by
`[erased]` in the row's free text.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

# the same pattern serves Python (`re`) and DuckDB (RE2, on lower-cased text)
EMAIL_PATTERN = r"[a-z0-9._%+\-]+@[a-z0-9\-]+(?:\.[a-z0-9\-]+)+"
ERASED_NAME = "[erased]"
_EMAIL = re.compile(EMAIL_PATTERN, re.IGNORECASE)
_NAME_KEYS = frozenset({"name", "displayName", "display_name", "fullName", "full_name",
                        "firstName", "first_name", "lastName", "last_name"})
_PERSONAL_KEYS = _NAME_KEYS | {"phone", "address"}
_MIN_NAME_PART = 3  # name parts shorter than this are left alone ("Li" would hit too much)


def addresses_in(text: str) -> set[str]:
    """Every email address in `text`, lower-cased."""
    return {m.lower() for m in _EMAIL.findall(text)}


def is_address(text: str) -> bool:
    return _EMAIL.fullmatch(text) is not None


def replacement_address(address: str, digest: str) -> str:
    return f"erased.{digest[:16]}@{address.rsplit('@', 1)[1].lower()}"


@dataclass
class Mentions:
    """The erased addresses one row holds (address -> replacement) and the person's names learnt from it."""

    addresses: dict[str, str]
    names: set[str] = field(default_factory=set)

    def learn_names(self, value: str) -> None:
        """Adds the names a value shows beside an erased address (header display names, JSON name fields)."""
        node = _json(value)
        if node is not None:
            self._learn_from_node(node)
            return
        for address in self.addresses:
            for quoted, bare in re.findall(rf'(?:"([^"]*)"|([^,;<>"]+?))\s*<\s*{re.escape(address)}\s*>', value, re.IGNORECASE):
                self.add_name(quoted or bare)

    def add_name(self, name: str | None) -> None:
        if name and name.strip() and not is_address(name.strip()):
            self.names.add(name.strip())

    def mentioned_in(self, value: str, names_too: bool) -> bool:
        lowered = value.lower()
        return any(a in lowered for a in self.addresses) or (names_too and any(p in value for p in self._name_parts()))

    def redact(self, value: str, names_too: bool) -> str:
        """`value` without the erased addresses (and, with `names_too`, without the person's names)."""
        node = _json(value)
        if node is not None:
            return json.dumps(self._redact_node(node, names_too), separators=(",", ":"), ensure_ascii=False)
        return self._redact_text(value, names_too)

    def _holds_address(self, node: dict) -> bool:
        return any(isinstance(v, str) and v.strip().lower() in self.addresses for v in node.values())

    def _learn_from_node(self, node) -> None:
        if isinstance(node, list):
            for item in node:
                self._learn_from_node(item)
        elif isinstance(node, dict):
            if self._holds_address(node):
                for key in _NAME_KEYS & node.keys():
                    self.add_name(node[key] if isinstance(node[key], str) else None)
            for value in node.values():
                self._learn_from_node(value)

    def _redact_node(self, node, names_too: bool):
        if isinstance(node, list):
            return [self._redact_node(item, names_too) for item in node
                    if not (isinstance(item, dict) and self._holds_address(item))]
        if isinstance(node, dict):
            holds = self._holds_address(node)
            out = {}
            for key, value in node.items():
                if holds and isinstance(value, str) and value.strip().lower() in self.addresses:
                    out[key] = self.addresses[value.strip().lower()]
                elif holds and key in _PERSONAL_KEYS:
                    out[key] = None
                else:
                    out[key] = self._redact_node(value, names_too)
            return out
        if isinstance(node, str):
            return self._redact_text(node, names_too)
        return node

    def _redact_text(self, text: str, names_too: bool) -> str:
        for address, replacement in self.addresses.items():
            escaped = re.escape(address)
            # `Display Name <address>` in a header list: the name goes with the address
            text = re.sub(rf'(^|[,;])(\s*)(?:"[^"]*"|[^,;<>"]*?)\s*<\s*{escaped}\s*>', rf"\g<1>\g<2>{replacement}",
                          text, flags=re.IGNORECASE)
            text = re.sub(rf"(?<![a-z0-9._%+\-]){escaped}(?![a-z0-9\-]|\.[a-z0-9])", replacement, text, flags=re.IGNORECASE)
        if names_too:
            for part in self._name_parts():
                text = re.sub(rf"\b{re.escape(part)}\b", ERASED_NAME, text)
        return text

    def _name_parts(self) -> list[str]:
        """Full names, then their words, longest first (so a full name goes before its parts)."""
        parts = set(self.names) | {w for n in self.names for w in n.split() if len(w) >= _MIN_NAME_PART}
        return sorted(parts, key=len, reverse=True)


def _json(value: str):
    """The parsed object or array when `value` is JSON text of one, else None."""
    if not value.lstrip().startswith(("{", "[")):
        return None
    try:
        node = json.loads(value)
    except ValueError:
        return None
    return node if isinstance(node, (dict, list)) else None
