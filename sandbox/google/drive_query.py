"""Drive v3's `q` search language, compiled to a predicate over a file as it is now.

Supported: `name`, `fullText`, `mimeType` (`=`, `!=`, `contains`), `createdTime`/`modifiedTime`
(`=`, `!=`, `<`, `<=`, `>`, `>=` with RFC 3339 values, UTC unless an offset is given), `trashed`/`starred`
(`=`, `!=` with true/false), `'x' in parents|owners|writers|readers`, `sharedWithMe`, combined with
`and`, `or`, `not` and parentheses. `contains` on names matches word prefixes, as Drive does."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

from sandbox.timeutil import parse_iso
from sandbox.google.web import ApiError


@dataclass(frozen=True, slots=True)
class FileFacts:
    name: str
    mime: str
    created: int
    modified: int
    trashed: bool
    owner: str
    readers: frozenset[str]


Predicate = Callable[[FileFacts], bool]
_TOKEN = re.compile(r"\s*(?:(\()|(\))|'((?:[^'\\]|\\.)*)'|(!=|<=|>=|=|<|>)|([A-Za-z_][A-Za-z0-9_.]*))")
_TIME_FIELDS = {"createdTime": "created", "modifiedTime": "modified"}
_BOOL_FIELDS = {"trashed": "trashed", "starred": None}
_OPS = {"=": lambda a, b: a == b, "!=": lambda a, b: a != b, "<": lambda a, b: a < b, "<=": lambda a, b: a <= b,
        ">": lambda a, b: a > b, ">=": lambda a, b: a >= b}


def bad_query() -> ApiError:
    return ApiError(400, "Invalid Value", "invalid", location="q")


def compile_query(text: str) -> Predicate:
    tokens, pos = [], 0
    text = text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise bad_query()
        pos = m.end()
        lp, rp, string, op, word = m.groups()
        if string is not None:
            tokens.append(("str", re.sub(r"\\(.)", r"\1", string)))
        elif op or lp or rp:
            tokens.append(("op", op or lp or rp))
        else:
            tokens.append(("word", word))
    if not tokens:
        return lambda f: True
    parser = _Parser(tokens)
    pred = parser.expr()
    if parser.i != len(tokens):
        raise bad_query()
    return pred


def _word_prefix(needle: str, hay: str) -> bool:
    return re.search(r"(?<![0-9a-z])" + re.escape(needle.lower()), hay.lower()) is not None


class _Parser:
    def __init__(self, tokens):
        self.tokens, self.i = tokens, 0

    def peek(self, kind: str | None = None, value: str | None = None) -> bool:
        if self.i >= len(self.tokens):
            return False
        k, v = self.tokens[self.i]
        return (kind is None or k == kind) and (value is None or v == value)

    def take(self):
        if self.i >= len(self.tokens):
            raise bad_query()
        self.i += 1
        return self.tokens[self.i - 1]

    def expr(self) -> Predicate:
        parts = [self.conj()]
        while self.peek("word", "or"):
            self.i += 1
            parts.append(self.conj())
        return parts[0] if len(parts) == 1 else (lambda f: any(p(f) for p in parts))

    def conj(self) -> Predicate:
        parts = [self.unary()]
        while self.peek("word", "and"):
            self.i += 1
            parts.append(self.unary())
        return parts[0] if len(parts) == 1 else (lambda f: all(p(f) for p in parts))

    def unary(self) -> Predicate:
        if self.peek("word", "not"):
            self.i += 1
            inner = self.unary()
            return lambda f: not inner(f)
        if self.peek("op", "("):
            self.i += 1
            inner = self.expr()
            if self.take() != ("op", ")"):
                raise bad_query()
            return inner
        return self.condition()

    def condition(self) -> Predicate:
        kind, value = self.take()
        if kind == "str":
            if self.take() != ("word", "in"):
                raise bad_query()
            _, field = self.take()
            if field == "parents":
                return lambda f: False  # the owners' folders are not shared with us
            if field in ("owners", "writers"):
                return lambda f: f.owner == value.lower()
            if field == "readers":
                return lambda f: value.lower() in f.readers
            raise bad_query()
        if kind != "word":
            raise bad_query()
        field = value
        if field == "sharedWithMe" and not self.peek("op"):
            return lambda f: True
        op_kind, op = self.take()
        if op_kind == "word" and op == "contains":
            _, needle = self._string()
            if field in ("name", "fullText"):
                return lambda f: _word_prefix(needle, f.name)
            if field == "mimeType":
                return lambda f: needle in f.mime
            raise bad_query()
        if op_kind != "op" or op not in _OPS:
            raise bad_query()
        compare = _OPS[op]
        if field in ("name", "mimeType") and op in ("=", "!="):
            _, needle = self._string()
            attr = "name" if field == "name" else "mime"
            return lambda f: compare(getattr(f, attr), needle)
        if field in _TIME_FIELDS:
            _, raw = self._string()
            try:
                t = parse_iso(raw if raw.endswith("Z") or re.search(r"[+-]\d\d:\d\d$", raw) else raw + "Z")
            except ValueError:
                raise bad_query() from None
            attr = _TIME_FIELDS[field]
            return lambda f: compare(getattr(f, attr), t)
        if field in _BOOL_FIELDS and op in ("=", "!="):
            kind, word = self.take()
            if kind != "word" or word not in ("true", "false"):
                raise bad_query()
            want = word == "true"
            attr = _BOOL_FIELDS[field]
            return lambda f: compare(getattr(f, attr) if attr else False, want)
        if field == "sharedWithMe" and op == "=":
            kind, word = self.take()
            if kind != "word" or word not in ("true", "false"):
                raise bad_query()
            return lambda f: word == "true"
        raise bad_query()

    def _string(self):
        tok = self.take()
        if tok[0] != "str":
            raise bad_query()
        return tok
