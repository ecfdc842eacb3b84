"""Turning what happened into alerts, once per failure and once per recovery.

An `AlertBook` remembers which subjects (a source sync, a dbt build, a data-quality check) are
failing. An observation that a subject failed alerts only if it was not failing already; one that
it passed alerts ("recovered") only if it was. A failure that goes on is counted, not re-alerted,
so many ticks and many runs make no alert storm. The book lives in the sensor's cursor.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

from sensors.notify import Alert


@dataclass(frozen=True)
class Observation:
    key: str  # stable identity of the subject: "step:stripe_sync", "check:finance/fct_mrr_monthly:mrr_ties"
    subject: str  # how people call it: "Stripe sync"
    ok: bool
    status: str  # when not ok: failed | warning
    detail: str  # the error's first line / the check's finding
    run_id: str
    at: float  # event time, epoch seconds


def run_url(run_id: str) -> str:
    base = os.environ.get("PENGUIN_DAGSTER_URL", "http://localhost:3000").rstrip("/")
    return f"{base}/runs/{run_id}"


class AlertBook:
    def __init__(self, failing: dict[str, dict] | None = None):
        self.failing: dict[str, dict] = dict(failing or {})

    def observe(self, obs: Observation) -> Alert | None:
        current = self.failing.get(obs.key)
        if not obs.ok:
            if current is not None:
                if obs.run_id != current["last_run"]:
                    current["runs"] += 1
                    current["last_run"] = obs.run_id
                return None
            self.failing[obs.key] = {"since": obs.at, "runs": 1, "last_run": obs.run_id, "subject": obs.subject}
            return Alert(obs.status, obs.subject, obs.detail, run_url(obs.run_id))
        if current is None:
            return None
        del self.failing[obs.key]
        runs = current["runs"]
        minutes = max(0, round((obs.at - current["since"]) / 60))
        return Alert("recovered", obs.subject, f"passing again after {runs} failing run{'s' * (runs != 1)} "
                                               f"over {minutes} min", run_url(obs.run_id))

    def persistent(self, min_runs: int) -> list[tuple[str, dict]]:
        """Subjects failing for at least `min_runs` runs that have no ticket yet."""
        return [(k, v) for k, v in self.failing.items() if v["runs"] >= min_runs and not v.get("ticket")]
