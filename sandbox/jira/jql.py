"""A small, real JQL: the clauses a sync and an analyst use, with Jira's semantics and error messages.

Supported: `AND`/`OR`/`NOT`, parentheses; `=`, `!=`, `IN`, `NOT IN`, `IS [NOT] EMPTY|NULL`, `>`, `>=`,
`<`, `<=`, `~`, `!~`; fields project, key/issuekey/id, issuetype/type, status, statusCategory, priority,
resolution, assignee, reporter, created, updated, resolved/resolutiondate, labels, sprint, fixVersion,
summary/description/text; `ORDER BY` created, updated, resolved, key, id, priority (ASC by default).

Dates are read in the requesting user's time zone with minute precision: `"2026/11/02 01:29"` is
01:29:00.000 in that zone; `"yyyy-MM-dd HH:mm"`, `"yyyy/MM/dd"`, `"yyyy-MM-dd"`, periods (`-5d`,
`-1w 2d`, `-90m`), epoch milliseconds and now()/startOfDay()/endOfDay() work too.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

from sandbox.jira import schema as s
from sandbox.jira.clock import ZoneClock
from sandbox.jira.model import Issue, IssueState
from sandbox.jira.site import JiraSite

Row = tuple[Issue, IssueState, int]  # (issue, state at now, updated ms)
Predicate = Callable[[Row], bool]

KEYWORDS = {"and", "or", "not", "in", "is", "empty", "null", "order", "by", "asc", "desc"}
OPERATORS = ("!=", ">=", "<=", "!~", "=", ">", "<", "~")
VALID_OPERATORS = "'=', '!=', '<', '>', '<=', '>=', '~', '!~', 'IN', 'NOT IN', 'IS' and 'IS NOT'"
DATE = re.compile(r"^(\d{4})[/-](\d{1,2})[/-](\d{1,2})(?: (\d{1,2}):(\d{2}))?$")
PERIOD = re.compile(r"^([-+]?)((?:\d+[wdhm]\s*)+)$")
PERIOD_UNIT_MS = {"w": 7 * 86_400_000, "d": 86_400_000, "h": 3_600_000, "m": 60_000}
FIELD_ALIASES = {
    "project": "project", "key": "key", "issuekey": "key", "issue": "key", "id": "id", "issuetype": "issuetype",
    "type": "issuetype", "status": "status", "statuscategory": "statuscategory", "priority": "priority",
    "resolution": "resolution", "assignee": "assignee", "reporter": "reporter", "created": "created",
    "createddate": "created", "updated": "updated", "updateddate": "updated", "resolved": "resolved",
    "resolutiondate": "resolved", "labels": "labels", "sprint": "sprint", "fixversion": "fixversion",
    "summary": "summary", "description": "description", "text": "text",
}
SORTABLE = {"created", "updated", "resolved", "key", "id", "priority"}


class JqlError(ValueError):
    """A query Jira would reject with 400 and this message."""


@dataclass(frozen=True, slots=True)
class Token:
    kind: str  # word | string | op | ( | ) | , | end
    text: str
    pos: int  # 1-based character

    @property
    def keyword(self) -> str | None:
        return self.text.lower() if self.kind == "word" and self.text.lower() in KEYWORDS else None


@dataclass(frozen=True, slots=True)
class Value:
    text: str
    function: tuple[str, ...] | None = None  # arguments when the value is a function call


@dataclass(slots=True)
class Query:
    where: Predicate | None
    order: list[tuple[str, bool]]  # (field, descending)


def tokenize(jql: str) -> list[Token]:
    out, i, n = [], 0, len(jql)
    while i < n:
        c = jql[i]
        if c.isspace():
            i += 1
        elif c in "(),":
            out.append(Token(c, c, i + 1))
            i += 1
        elif c in "\"'":
            j, buf = i + 1, []
            while j < n and jql[j] != c:
                if jql[j] == "\\" and j + 1 < n:
                    j += 1
                buf.append(jql[j])
                j += 1
            if j >= n:
                raise JqlError(f"Error in the JQL Query: The quoted string '{jql[i + 1:]}' has not been completed. "
                               f"(line 1, character {i + 1})")
            out.append(Token("string", "".join(buf), i + 1))
            i = j + 1
        elif op := next((o for o in OPERATORS if jql.startswith(o, i)), None):
            out.append(Token("op", op, i + 1))
            i += len(op)
        else:
            j = i
            while j < n and not jql[j].isspace() and jql[j] not in "(),\"'=!<>~":
                j += 1
            if j == i:
                raise JqlError(f"Error in the JQL Query: The character '{c}' is a reserved JQL character. You must "
                               f"enclose it in a string or use the escape '\\u{ord(c):04x}' instead. (line 1, character {i + 1})")
            out.append(Token("word", jql[i:j], i + 1))
            i = j
    out.append(Token("end", "", n + 1))
    return out


class Compiler:
    """Parses a query and compiles it into a predicate and a sort over (issue, state, updated) rows."""

    def __init__(self, site: JiraSite, clock: ZoneClock, now_ms: int, current_user: str):
        self.site, self.clock, self.now, self.current_user = site, clock, now_ms, current_user

    def compile(self, jql: str) -> Query:
        self.tokens, self.i = tokenize(jql), 0
        where = None
        if self.peek().keyword != "order" and self.peek().kind != "end":
            where = self.parse_or()
        order = []
        if self.peek().keyword == "order":
            self.next()
            if self.next().keyword != "by":
                raise JqlError(f"Error in the JQL Query: Expecting 'by' but got '{self.tokens[self.i - 1].text}'. "
                               f"(line 1, character {self.tokens[self.i - 1].pos})")
            order = self.parse_order()
        t = self.peek()
        if t.kind != "end":
            raise JqlError(f"Error in the JQL Query: Expecting either 'OR' or 'AND' but got '{t.text}'. "
                           f"(line 1, character {t.pos})")
        return Query(where, order)

    # -- parsing --------------------------------------------------------------------------------
    def peek(self) -> Token:
        return self.tokens[self.i]

    def next(self) -> Token:
        t = self.tokens[self.i]
        self.i += 1
        return t

    def parse_or(self) -> Predicate:
        parts = [self.parse_and()]
        while self.peek().keyword == "or":
            self.next()
            parts.append(self.parse_and())
        return parts[0] if len(parts) == 1 else (lambda row: any(p(row) for p in parts))

    def parse_and(self) -> Predicate:
        parts = [self.parse_not()]
        while self.peek().keyword == "and":
            self.next()
            parts.append(self.parse_not())
        return parts[0] if len(parts) == 1 else (lambda row: all(p(row) for p in parts))

    def parse_not(self) -> Predicate:
        if self.peek().keyword == "not":
            self.next()
            inner = self.parse_not()
            return lambda row: not inner(row)
        if self.peek().kind == "(":
            self.next()
            inner = self.parse_or()
            t = self.next()
            if t.kind != ")":
                raise JqlError(f"Error in the JQL Query: Expecting ')' but got '{t.text or 'the end of the query'}'. "
                               f"(line 1, character {t.pos})")
            return inner
        return self.parse_clause()

    def parse_clause(self) -> Predicate:
        t = self.next()
        if t.kind not in ("word", "string") or t.keyword:
            raise JqlError(f"Error in the JQL Query: Expecting a field name but got '{t.text or 'the end of the query'}'. "
                           f"(line 1, character {t.pos})")
        name = t.text
        field = FIELD_ALIASES.get(name.lower())
        if field is None:
            raise JqlError(f"Field '{name}' does not exist or you do not have permission to view it.")
        op_tok = self.next()
        if op_tok.kind == "op":
            op = op_tok.text
        elif op_tok.keyword == "in":
            op = "in"
        elif op_tok.keyword == "not" and self.peek().keyword == "in":
            self.next()
            op = "not in"
        elif op_tok.keyword == "is":
            op = "is"
            if self.peek().keyword == "not":
                self.next()
                op = "is not"
        else:
            raise JqlError(f"Error in the JQL Query: Expecting operator but got '{op_tok.text or 'the end of the query'}'. "
                           f"The valid operators are {VALID_OPERATORS}. (line 1, character {op_tok.pos})")
        if op in ("=", "!=") and self.peek().keyword in ("empty", "null"):
            op = "is" if op == "=" else "is not"  # `= EMPTY` means `IS EMPTY`
        if op in ("is", "is not"):
            v = self.next()
            if v.keyword not in ("empty", "null"):
                raise JqlError(f"Error in the JQL Query: Expecting 'EMPTY' or 'NULL' but got '{v.text}'. "
                               f"(line 1, character {v.pos})")
            values = None
        elif op in ("in", "not in"):
            if self.peek().kind == "word" and self.tokens[self.i + 1].kind == "(":
                return self.clause(field, name, op, [self.parse_value()])  # IN openSprints()
            if self.next().kind != "(":
                raise JqlError(f"Error in the JQL Query: Expecting '(' after '{op.upper()}'. (line 1, character {op_tok.pos})")
            values = [self.parse_value()]
            while self.peek().kind == ",":
                self.next()
                values.append(self.parse_value())
            if self.next().kind != ")":
                raise JqlError(f"Error in the JQL Query: Expecting ')' to close the list. (line 1, character {op_tok.pos})")
        else:
            values = [self.parse_value()]
        return self.clause(field, name, op, values)

    def parse_value(self) -> Value:
        t = self.next()
        if t.kind == "string":
            return Value(t.text)
        if t.kind != "word" or t.keyword in ("and", "or", "order"):
            raise JqlError(f"Error in the JQL Query: Expecting either a value, list or function but got "
                           f"'{t.text or 'the end of the query'}'. (line 1, character {t.pos})")
        if self.peek().kind == "(":
            self.next()
            args = []
            while self.peek().kind != ")":
                a = self.next()
                if a.kind == "end":
                    raise JqlError("Error in the JQL Query: Expecting ')' before the end of the query.")
                if a.kind != ",":
                    args.append(a.text)
            self.next()
            return Value(t.text, tuple(args))
        return Value(t.text)

    def parse_order(self) -> list[tuple[str, bool]]:
        out = []
        while True:
            t = self.next()
            field = FIELD_ALIASES.get(t.text.lower())
            if t.kind not in ("word", "string") or field is None:
                raise JqlError(f"Field '{t.text}' does not exist or you do not have permission to view it.")
            if field not in SORTABLE:
                raise JqlError(f"Field '{t.text}' does not support sorting.")
            desc = False
            if self.peek().keyword in ("asc", "desc"):
                desc = self.next().keyword == "desc"
            out.append((field, desc))
            if self.peek().kind != ",":
                return out
            self.next()

    # -- clauses --------------------------------------------------------------------------------
    def clause(self, field: str, name: str, op: str, values: list[Value] | None) -> Predicate:
        def unsupported():
            return JqlError(f"The operator '{op.upper()}' is not supported by the '{name}' field.")

        if field in ("created", "updated", "resolved"):
            if op not in ("=", "!=", ">", ">=", "<", "<=", "is", "is not"):
                raise unsupported()
            if values is None:
                empty = op == "is"
                return lambda row: (row[1].resolved is None) == empty if field == "resolved" else not empty
            t = self.date(values[0], name)
            get = {"created": lambda row: row[0].created, "updated": lambda row: row[2],
                   "resolved": lambda row: row[1].resolved}[field]
            cmp = _COMPARE[op]
            return lambda row: (x := get(row)) is not None and cmp(x, t)
        if field in ("summary", "description", "text"):
            if op not in ("~", "!~"):
                raise unsupported()
            needle = values[0].text.lower().strip("*")
            texts = {"summary": lambda i: i.summary, "description": lambda i: i.description,
                     "text": lambda i: f"{i.summary}\n{i.description}"}[field]
            return lambda row: (needle in texts(row[0]).lower()) == (op == "~")
        if field in ("key", "id"):
            return self.key_clause(op, values, unsupported)
        get, resolve, is_empty = self.member_field(field, name)
        if op in ("is", "is not"):
            if is_empty is None:
                raise unsupported()
            empty = op == "is"
            return lambda row: is_empty(row) == empty
        if op not in ("=", "!=", "in", "not in"):
            raise unsupported()
        wanted = set()
        for v in values:
            wanted |= resolve(v)
        if op in ("=", "in"):
            return lambda row: bool(get(row) & wanted)
        return lambda row: bool(has := get(row)) and not has & wanted  # like Jira, != never matches EMPTY

    def key_clause(self, op: str, values: list[Value] | None, unsupported) -> Predicate:
        """`key`/`id` clauses. Keys that do not exist match nothing (the enhanced search does not reject them)."""
        if values is None or op not in _COMPARE and op not in ("in", "not in"):
            raise unsupported()
        refs = [self.site.by_num.get(int(v.text)) if v.text.isdigit() else self.site.by_key.get(v.text.upper())
                for v in values]
        if op in ("=", "in", "!=", "not in"):
            wanted = {i.num for i in refs if i is not None}
            positive = op in ("=", "in")
            return lambda row: (row[0].num in wanted) == positive
        cmp, pivot = _COMPARE[op], refs[0]
        if values[0].text.isdigit():  # an id: compare ids
            number = int(values[0].text)
            return lambda row: cmp(row[0].num, number)
        if pivot is None:
            return lambda row: False
        project, number = pivot.project.key, _key_number(pivot)
        return lambda row: row[0].project.key == project and cmp(_key_number(row[0]), number)

    def member_field(self, field: str, name: str):
        """(the row's values as a set, how a JQL value resolves to a set of ids, the IS EMPTY test or None)."""
        site = self.site

        def lookup(table: dict[str, str]):
            def resolve(v: Value) -> set:
                key = v.text.lower()
                if key in table:
                    return {table[key]}
                raise JqlError(f"The value '{v.text}' does not exist for the field '{name}'.")
            return resolve

        if field == "project":
            table = {p.key.lower(): p.key for p in s.PROJECTS.values()} | {p.name.lower(): p.key for p in s.PROJECTS.values()} \
                | {p.id: p.key for p in s.PROJECTS.values()}
            return (lambda row: {row[0].project.key}), lookup(table), None
        if field == "issuetype":
            table = {t.name.lower(): t.id for t in s.ISSUE_TYPES.values()} | {t.id: t.id for t in s.ISSUE_TYPES.values()}
            return (lambda row: {row[0].type.id}), lookup(table), None
        if field == "status":
            table = {st.name.lower(): st.id for st in s.STATUSES.values()} | {st.id: st.id for st in s.STATUSES.values()}
            return (lambda row: {row[1].status}), lookup(table), None
        if field == "statuscategory":
            table = {c.name.lower(): c.key for c in s.STATUS_CATEGORIES} | {c.key: c.key for c in s.STATUS_CATEGORIES} \
                | {str(c.id): c.key for c in s.STATUS_CATEGORIES}
            return (lambda row: {s.STATUSES[row[1].status].category.key}), lookup(table), None
        if field == "priority":
            table = {p.name.lower(): p.id for p in s.PRIORITIES.values()} | {p.id: p.id for p in s.PRIORITIES.values()}
            return (lambda row: {row[1].priority}), lookup(table), None
        if field == "resolution":
            table = {r.name.lower(): r.id for r in s.RESOLUTIONS.values()} | {r.id: r.id for r in s.RESOLUTIONS.values()} \
                | {"unresolved": "-1"}
            return (lambda row: {row[1].resolution or "-1"}), lookup(table), (lambda row: row[1].resolution is None)
        if field in ("assignee", "reporter"):
            by_email = {u.email.lower(): u.account_id for u in site.users.values() if u.email}

            def resolve_user(v: Value) -> set:
                if v.function is not None:
                    if v.text.lower() != "currentuser":
                        raise JqlError(f"Unable to find JQL function '{v.text}()'.")
                    return {self.current_user}
                if v.text in site.users:
                    return {v.text}
                if v.text.lower() in by_email:
                    return {by_email[v.text.lower()]}
                raise JqlError(f"The value '{v.text}' does not exist for the field '{name}'.")
            if field == "assignee":
                return (lambda row: {row[1].assignee} - {None}), resolve_user, (lambda row: row[1].assignee is None)
            return (lambda row: {row[0].reporter}), resolve_user, None
        if field == "labels":
            return (lambda row: set(row[1].labels)), (lambda v: {v.text}), (lambda row: not row[1].labels)
        if field == "sprint":
            by_name = {sp.name.lower(): sp.id for sp in site.sprints}

            def resolve_sprint(v: Value) -> set:
                if v.function is not None:
                    state = {"opensprints": "active", "closedsprints": "closed", "futuresprints": "future"}.get(v.text.lower())
                    if state is None:
                        raise JqlError(f"Unable to find JQL function '{v.text}()'.")
                    return {sp.id for sp in site.sprints
                            if sp.created <= self.now and sp.record.state_at(self.now).state == state}
                if v.text.isdigit():
                    return {int(v.text)}
                if v.text.lower() in by_name:
                    return {by_name[v.text.lower()]}
                raise JqlError(f"The value '{v.text}' does not exist for the field '{name}'.")
            return (lambda row: set(row[1].sprints)), resolve_sprint, (lambda row: not row[1].sprints)
        by_name = {r.name.lower(): r.id for r in site.releases}

        def resolve_version(v: Value) -> set:
            if v.text in site.release_by_id:
                return {v.text}
            if v.text.lower() in by_name:
                return {by_name[v.text.lower()]}
            raise JqlError(f"The value '{v.text}' does not exist for the field '{name}'.")
        return (lambda row: set(row[1].fix_versions)), resolve_version, (lambda row: not row[1].fix_versions)

    def date(self, v: Value, name: str) -> int:
        """A JQL date value as epoch ms, read in the user's zone with minute precision."""
        if v.function is not None:
            fn = v.text.lower()
            offset = self.clock.offset(self.now) * 1000
            if fn == "now":
                return self.now
            if fn in ("startofday", "endofday"):
                start = (self.now + offset) // 86_400_000 * 86_400_000 - offset
                return start if fn == "startofday" else start + 86_400_000 - 1
            raise JqlError(f"Unable to find JQL function '{v.text}()'.")
        text = v.text.strip()
        if text.lstrip("-").isdigit() and len(text) > 8:
            return int(text)
        m = DATE.match(text)
        if m:
            y, mo, d, h, mi = m.groups()
            try:
                return self.clock.local_ms(int(y), int(mo), int(d), int(h or 0), int(mi or 0))
            except ValueError:
                pass
        p = PERIOD.match(text)
        if p:
            total = sum(int(n) * PERIOD_UNIT_MS[u] for n, u in re.findall(r"(\d+)([wdhm])", p.group(2)))
            return self.now - total if p.group(1) == "-" else self.now + total
        raise JqlError(f"Date value '{v.text}' for field '{name}' is invalid. Valid formats include: 'yyyy/MM/dd HH:mm', "
                       f"'yyyy-MM-dd HH:mm', 'yyyy/MM/dd', 'yyyy-MM-dd', or a period format e.g. '-5d', '4w 2d'.")


_COMPARE = {
    "=": lambda a, b: a == b, "!=": lambda a, b: a != b, ">": lambda a, b: a > b, ">=": lambda a, b: a >= b,
    "<": lambda a, b: a < b, "<=": lambda a, b: a <= b,
}
PROJECT_RANK = {k: i for i, k in enumerate(sorted(s.PROJECTS))}


def _key_number(issue: Issue) -> int:
    return int(issue.key.rsplit("-", 1)[1])


def sort_key(order: list[tuple[str, bool]]) -> Callable[[Row], tuple]:
    """A numeric sort key for the ORDER BY (descending = negated), ending with the id so it is unique.

    Without ORDER BY, results come newest first (`created DESC`).
    """
    order = order or [("created", True)]
    getters = []
    for field, desc in order:
        sign = -1 if desc else 1
        if field == "key":
            getters.append(lambda row, sg=sign: (sg * PROJECT_RANK[row[0].project.key], sg * _key_number(row[0])))
        elif field == "resolved":
            getters.append(lambda row, sg=sign: (1, 0) if row[1].resolved is None else (0, sg * row[1].resolved))
        else:
            get = {"created": lambda row: row[0].created, "updated": lambda row: row[2], "id": lambda row: row[0].num,
                   "priority": lambda row: -int(row[1].priority)}[field]
            getters.append(lambda row, g=get, sg=sign: (sg * g(row),))
    return lambda row: tuple(x for g in getters for x in g(row)) + (row[0].num,)
