"""At-risk follow-ups in Jira: a Customer Success ticket when an account enters the `at_risk` health
tier, and a comment on it when the account leaves the tier. Once per episode, not once a day: the
episode (account, first at-risk day) is opened once and closed once (`reverse_etl.jira_episodes`); it
lasts while the account is at risk on the latest scored day.

Creating is made safe to retry: each attempt first looks the episode's ticket up by its label (and a
recovery comment up by the label in its text), so a request whose answer was lost is not repeated.
"""
from __future__ import annotations

import orjson
import duckdb

from pipelines.reverse_etl.settings import JIRA_ISSUE_TYPE, JIRA_LABEL, JIRA_PROJECT, company_url
from pipelines.reverse_etl.state import (Report, Write, mart_rows, open_episodes, opened_statement, record,
                                         recovered_statement)
from pipelines.sources.jira.helpers import JiraApi, NotFound


def _text(text: str, href: str | None = None) -> dict:
    node = {"type": "text", "text": text}
    return {**node, "marks": [{"type": "link", "attrs": {"href": href}}]} if href else node


def _doc(*blocks: dict) -> dict:
    return {"type": "doc", "version": 1, "content": list(blocks)}


def _paragraph(*nodes: dict) -> dict:
    return {"type": "paragraph", "content": list(nodes)}


def episode_label(row: dict) -> str:
    return f"{JIRA_LABEL}-{row['customer_account_id']}-{row['at_risk_since']:%Y%m%d}"


def ticket_fields(row: dict) -> dict:
    """The ticket of an account that entered the at-risk tier: why, and where to find the account."""
    reasons = [r for r in (row["top_reasons"] or "").split("; ") if r] or ["no single reason: several small ones"]
    url = company_url(row["hubspot_company_id"])
    account = [_text("Account: "), _text(url, url) if url else _text(row["customer_account_id"])]
    return {
        "project": {"key": JIRA_PROJECT}, "issuetype": {"name": JIRA_ISSUE_TYPE},
        "summary": f"{row['account_name']} is at risk (health {row['health_score']})"[:255],
        "labels": [JIRA_LABEL, episode_label(row)],
        "description": _doc(
            _paragraph(_text(f"{row['account_name']} entered the at-risk health tier on {row['at_risk_since']} "
                             f"(health score {row['health_score']} on {row['scored_on']}). Why:")),
            {"type": "bulletList",
             "content": [{"type": "listItem", "content": [_paragraph(_text(r))]} for r in reasons]},
            _paragraph(*account, _text(f" (customer account {row['customer_account_id']})"))),
    }


def recovery_body(row: dict | None, label: str) -> dict:
    if row is not None and row["risk_tier"] is not None:
        what = f"Recovered: on {row['scored_on']} the health score is {row['health_score']} ({row['risk_tier']})."
    else:
        what = "Left the at-risk tier: the account is no longer scored (no live subscription)."
    return _doc(_paragraph(_text(what)), _paragraph(_text(f"Episode {label}")))


class JiraWriter(JiraApi):
    """The Jira client of the sync, on REST API v3 (rich text is Atlassian Document Format there)."""

    def __init__(self, url: str, email: str, api_token: str):
        super().__init__(url, email, api_token)
        self.client._options["rest_api_version"] = "3"

    def ensure_ticket(self, label: str, fields: dict) -> tuple[str, bool]:
        """The key of the ticket labelled `label`, created if there is none; and whether it was."""
        def attempt():
            found = self._json("POST", "search/jql", data=orjson.dumps(
                {"jql": f'project = {JIRA_PROJECT} AND labels = "{label}"', "fields": ["labels"], "maxResults": 1}))
            if found.get("issues"):
                return found["issues"][0]["key"], False
            return self._json("POST", "issue", data=orjson.dumps({"fields": fields}))["key"], True
        return self._call(f"POST issue ({label})", attempt)

    def ensure_comment(self, key: str, label: str, body: dict) -> tuple[str, bool]:
        """The id of `key`'s comment that names `label`, posted if there is none; and whether it was."""
        def attempt():
            page = self._json("GET", f"issue/{key}/comment", params={"maxResults": 100})
            found = next((c for c in page.get("comments") or () if label in orjson.dumps(c["body"]).decode()), None)
            if found is not None:
                return found["id"], False
            return self._json("POST", f"issue/{key}/comment", data=orjson.dumps({"body": body}))["id"], True
        return self._call(f"POST issue/{key}/comment", attempt)


def follow_up_at_risk(con: duckdb.DuckDBPyConnection, api: JiraWriter, run_id: str, dry_run: bool) -> Report:
    """Opens a ticket per account newly at risk and comments on the tickets of accounts that recovered."""
    report = Report()
    rows = {r["customer_account_id"]: r for r in mart_rows(con, "true")}
    episodes = open_episodes(con)
    for account_id, (since, label, key) in episodes.items():
        row = rows.get(account_id)
        if row is not None and row["risk_tier"] == "at_risk":
            continue  # still at risk: the same episode (its first day may slide out of the scoring window)
        report.add("recovered", f"comment on {key}: {account_id} left the at-risk tier")
        if not dry_run:
            try:
                comment_id, posted = api.ensure_comment(key, label, recovery_body(row, label))
            except NotFound:  # someone deleted the ticket: the episode ends without a comment
                comment_id, posted = None, False
            writes = [Write("jira", "comment", key, "comment", None, comment_id)] if posted else []
            record(con, run_id, writes, [recovered_statement(account_id, since, comment_id, run_id)])
    for account_id, row in rows.items():
        if row["risk_tier"] != "at_risk" or account_id in episodes:
            continue
        label = episode_label(row)
        report.add("opened", f"open a {JIRA_PROJECT} ticket: {row['account_name']} at risk since "
                             f"{row['at_risk_since']}")
        if not dry_run:
            key, created = api.ensure_ticket(label, ticket_fields(row))
            writes = [Write("jira", "create_issue", key, "labels", None, label)] if created else []
            record(con, run_id, writes, [opened_statement(account_id, row["at_risk_since"], label, key, run_id)])
    return report
