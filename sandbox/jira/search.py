"""JQL search over the issues visible now: compiled queries, sorted results cached per clock value,
and `nextPageToken` keyset paging (a token names the last row's sort key, so a page after an
advance continues where the previous one stopped instead of repeating or skipping rows)."""
from __future__ import annotations

import base64
import bisect
import hashlib
from collections import OrderedDict

import orjson

from sandbox.jira.clock import ZoneClock
from sandbox.jira.jql import Compiler, JqlError, Row, sort_key
from sandbox.jira.model import version_index
from sandbox.jira.site import JiraSite

UNBOUNDED = "Unbounded JQL queries are not allowed here. Please add a search restriction to your query."
BAD_TOKEN = "The provided next page token is invalid or expired."


class Results:
    """The rows a query matches, in order, with their sort keys for bisecting."""

    def __init__(self, rows: list[Row], keys: list[tuple]):
        self.rows, self.keys = rows, keys


class IssueSearch:
    def __init__(self, site: JiraSite, clock: ZoneClock, current_user: str):
        self.site, self.clock, self.current_user = site, clock, current_user
        self._rows_key: tuple = ()
        self._rows: list[Row] = []
        self._results: OrderedDict[tuple, Results] = OrderedDict()

    def rows(self, now: int) -> list[Row]:
        """(issue, state, updated) of every issue visible at `now`."""
        key = (now, self.site.epoch)
        if key != self._rows_key:
            rows = []
            for issue in self.site.visible_issues(now):
                versions = issue.record.versions
                changed, state = versions[version_index(versions, now)]
                rows.append((issue, state, issue.updated_at(changed, now)))
            self._rows, self._rows_key = rows, key
        return self._rows

    def run(self, jql: str, now: int) -> Results:
        """Raises JqlError for a query Jira would reject (including an unbounded one)."""
        key = (jql, now, self.site.epoch)
        res = self._results.get(key)
        if res is None:
            query = Compiler(self.site, self.clock, now, self.current_user).compile(jql)
            if query.where is None:
                raise JqlError(UNBOUNDED)
            sk = sort_key(query.order)
            keyed = sorted(((sk(r), r) for r in self.rows(now) if query.where(r)), key=lambda x: x[0])
            res = Results([r for _, r in keyed], [k for k, _ in keyed])
            self._results[key] = res
            if len(self._results) > 32:
                self._results.popitem(last=False)
        else:
            self._results.move_to_end(key)
        return res

    def page(self, jql: str, now: int, token: str | None, limit: int) -> tuple[list[Row], str | None]:
        """Up to `limit` rows after the token's position, and the token of the next page (None on the last)."""
        res = self.run(jql, now)
        start = 0
        if token:
            start = bisect.bisect_right(res.keys, self._decode(token, jql))
        rows = res.rows[start:start + limit]
        more = start + limit < len(res.rows)
        return rows, self._encode(jql, res.keys[start + limit - 1]) if more else None

    @staticmethod
    def _fingerprint(jql: str) -> str:
        return hashlib.blake2b(jql.encode(), digest_size=6).hexdigest()

    def _encode(self, jql: str, key: tuple) -> str:
        return base64.urlsafe_b64encode(orjson.dumps([self._fingerprint(jql), list(key)])).decode().rstrip("=")

    def _decode(self, token: str, jql: str) -> tuple:
        try:
            fingerprint, key = orjson.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        except (ValueError, TypeError):
            raise JqlError(BAD_TOKEN) from None
        if fingerprint != self._fingerprint(jql):
            raise JqlError(BAD_TOKEN)
        return tuple(key)
