"""Identity resolution against the world the sandbox was built from (an independent code path):
every record of one real account lands in one customer account, and no two accounts merge."""
import re

import pytest

from sandbox.world import build_world
from sandbox.world.keys import hubspot_company_id, stripe_customer_id

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def links(built_warehouse):
    rows = built_warehouse.query("select source_system, source_id, customer_account_id, match_method "
                                 "from intermediate.int_customer_identity__links")
    return {(r["source_system"], r["source_id"]): r for r in rows}


def test_every_record_of_a_world_account_lands_in_its_account(built_warehouse, links):
    world = build_world(7, "small")
    found = 0
    for account in world.accounts:
        signed_up = account.tenant_id is not None and account.signup_at <= world.now
        expected = f"acct_{account.tenant_id}" if signed_up else None
        records = [("app", str(account.tenant_id)), ("stripe", stripe_customer_id(7, account.idx)),
                   ("hubspot", hubspot_company_id(7, account.idx))]
        got = {links[r]["customer_account_id"] for r in records if r in links}
        found += len([r for r in records if r in links])
        assert len(got) <= 1, (account.name, got)
        if expected and got:
            assert got == {expected}, (account.name, got)
    assert found > 150
    accounts = {}
    for (system, source_id), row in links.items():
        accounts.setdefault(row["customer_account_id"], set()).add(system)
    # no two world accounts merged: as many identity accounts with a tenant as tenants (minus PenguinMails)
    tenants = [a for a in world.accounts if a.tenant_id and a.signup_at <= world.now]
    assert sum(1 for k in accounts if k.startswith("acct_")) == len(tenants)


def test_duplicate_crm_companies_join_their_account_by_domain(built_warehouse, links):
    companies = built_warehouse.sandbox.client.truth_rows("hubspot", "companies")
    tenants = {t["domain"]: t["id"] for t in built_warehouse.sandbox.client.truth_rows("appdb", "tenants") if t["id"] != 1}
    duplicates = [c for c in companies if not c.get("_deleted") and not c["penguinmails_tenant_id"] and c["domain"]
                  and re.sub(r"^(www|app)\.", "", c["domain"].lower()) in tenants]
    for company in duplicates:
        domain = re.sub(r"^(www|app)\.", "", company["domain"].lower())
        assert links[("hubspot", company["id"])]["customer_account_id"] == f"acct_{tenants[domain]}"
        assert links[("hubspot", company["id"])]["match_method"] == "domain"


def test_keys_resolve_people_to_their_account(built_warehouse):
    world = build_world(7, "small")
    keys = {(r["key_type"], r["key_value"]): r["customer_account_id"] for r in built_warehouse.query(
        "select key_type, key_value, customer_account_id from intermediate.int_customer_identity__keys")}
    checked = 0
    for account in world.accounts:
        if not account.tenant_id or account.signup_at > world.now:
            continue
        for person in account.people:
            got = keys.get(("email", person.email.lower()))
            if got is not None:
                assert got == f"acct_{account.tenant_id}", person.email
                checked += 1
        assert keys.get(("domain", account.domain)) == f"acct_{account.tenant_id}"
    assert checked > 100
    assert not any(k == ("domain", "gmail.com") for k in keys)


def test_match_rates_add_up(built_warehouse):
    rows = built_warehouse.query("select source_system, sum(share_of_system) as total, sum(records) as records "
                                 "from customer_health.fct_identity_match_rates group by 1")
    assert {r["source_system"] for r in rows} == {"app", "stripe", "hubspot"}
    for r in rows:
        assert float(r["total"]) == pytest.approx(1.0, abs=1e-3)
