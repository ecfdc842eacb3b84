"""Changes an advance of the clock plants in its window: the boundary cases incremental syncs get wrong.

For an advance from `old` to `new`:
  * a bulk edit reassigns a fifth of the contacts (at most 250) to one owner in one second (the
    window's middle): from the medium scale on, more records share one `lastmodifieddate` than a
    search page holds, so a sync that resumes with `GT last seen` loses some;
  * one contact, one company and one open deal change at exactly `new`, the sync's own clock
    (`LT now` misses them);
  * if no contact was archived in the window, two are (a sync must see soft deletes).
Every choice comes from `Random(f"{seed}:hubspot:advance:{old}:{new}")`, so the same advances
plant the same changes.
"""
from __future__ import annotations

import bisect
import random

from sandbox.store import Record
from sandbox.timeutil import DAY, iso, parse_iso
from sandbox.world.names import TITLES

from sandbox.hubspot.crm import CrmType
from sandbox.hubspot.objects import stamp

BULK_EDIT_SIZE = 250


def insert_change(crm: CrmType, r: Record, at: int, changes: dict) -> None:
    """Changes `r` from `at` on, including versions generated for later times that left the field alone."""
    i = bisect.bisect_right(r.versions, at, key=lambda v: v[0])
    old_prev = r.versions[i - 1][1]
    new_prev = {**old_prev, **changes}
    stamp(new_prev, at, crm.schema.modified)
    if r.versions[i - 1][0] == at:
        r.versions[i - 1] = (at, new_prev)
    else:
        r.versions.insert(i, (at, new_prev))
        i += 1
    for j in range(i, len(r.versions)):
        t, s = r.versions[j]
        patched = {**s, **{k: new_prev[k] for k in changes if s.get(k) == old_prev.get(k)}}
        r.versions[j] = (t, patched)
        old_prev, new_prev = s, patched


def archive(r: Record, at: int) -> None:
    r.deleted = at
    r.versions = [v for v in r.versions if v[0] < at]


def plant(types: dict[str, CrmType], owner_ids: list[str], seed: int, old: int, new: int) -> None:
    rng = random.Random(f"{seed}:hubspot:advance:{old}:{new}")

    def lasting(name: str) -> list[Record]:
        return [r for r in types[name].records if r.exists_at(old) and r.exists_at(new)]

    contacts, companies = lasting("contacts"), lasting("companies")
    open_deals = [r for r in lasting("deals") if r.state_at(new).get("hs_is_closed") != "true"]
    owner = rng.choice(owner_ids)
    others = [r for r in contacts if r.state_at(new)["hubspot_owner_id"] != owner]
    bulk = rng.sample(others, min(BULK_EDIT_SIZE, len(contacts) // 5, len(others)))
    mid = old + (new - old) // 2
    if mid > old:
        for r in bulk:
            insert_change(types["contacts"], r, mid, {"hubspot_owner_id": owner})
    edited = {r.id for r in bulk}
    rest = [r for r in contacts if r.id not in edited]
    if rest:
        r = rest.pop(rng.randrange(len(rest)))
        title = r.state_at(new)["jobtitle"]
        insert_change(types["contacts"], r, new, {"jobtitle": rng.choice([t for t in TITLES if t != title])})
    if companies:
        r = rng.choice(companies)
        insert_change(types["companies"], r, new,
                      {"numberofemployees": str(int(r.state_at(new)["numberofemployees"] or 0) + 1)})
    if open_deals:
        r = rng.choice(open_deals)
        insert_change(types["deals"], r, new, {"closedate": iso(int(parse_iso(r.state_at(new)["closedate"])) + 14 * DAY)})
    if rest and not any(r.deleted is not None and old < r.deleted <= new for r in types["contacts"].records):
        for r in rng.sample(rest, min(2, len(rest))):
            archive(r, rng.randint(old + 1, new))
