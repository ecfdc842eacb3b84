"""The world generator: deterministic, seed-sensitive, and internally consistent."""
from sandbox.store import Collection, Record
from sandbox.world import build_world


def _fingerprint(w):
    return [(a.name, a.domain, a.lead_at, a.signup_at, [(s.created, s.ended_at, [(c.at, c.plan, c.seats) for c in s.changes])
             for s in a.subscriptions], [(p.email, p.created) for p in a.people]) for a in w.accounts]


def test_same_seed_same_world_and_different_seed_different_world():
    assert _fingerprint(build_world(7, "small")) == _fingerprint(build_world(7, "small"))
    assert _fingerprint(build_world(7, "small")) != _fingerprint(build_world(8, "small"))


def test_subscription_timelines_are_consistent():
    w = build_world(11, "medium")
    for a in w.accounts:
        for s in a.subscriptions:
            assert s.changes and s.changes[0].at == s.created
            assert all(x.at <= y.at for x, y in zip(s.changes, s.changes[1:]))
            if s.ended_at is not None:
                assert all(c.at < s.ended_at for c in s.changes)
                assert s.cancel_reason
            if s.trial_end is not None:
                assert s.trial_end > s.created
            for f in s.failures:
                assert f.recovered_at is not None or s.cancel_reason == "payment_failed"
        for d in a.deals:
            assert [t for t, _ in d.stages] == sorted(t for t, _ in d.stages)
            if d.outcome == "won":
                assert d.subscription_idx is not None
        if a.subscriptions:
            assert a.tenant_id is not None and a.signup_at is not None


def test_world_has_the_mix_the_marts_need():
    w = build_world(7, "medium")
    subs = [s for a in w.accounts for s in a.subscriptions]
    reasons = {s.cancel_reason for s in subs}
    assert {"trial_expired", "cancellation_requested", "payment_failed", "incomplete_expired", None} <= reasons
    assert {s.interval for s in subs} == {"month", "quarter", "year"}
    assert {s.currency for s in subs} == {"usd", "eur", "gbp"}
    assert any(len(a.subscriptions) > 1 and a.subscriptions[0].cancel_reason == "cancellation_requested" for a in w.accounts)
    assert any(len(s.changes) > 1 for s in subs) and any(s.coupon for s in subs)
    assert 0 < sum(a.lead_at > w.now for a in w.accounts) < len(w.accounts) // 4  # the future arrives on advance


def test_advance_moves_the_clock_within_the_horizon():
    w = build_world(7, "tiny", horizon_days=3)
    old = w.now
    assert w.advance(86_400) == (old, old + 86_400)
    try:
        w.advance(5 * 86_400)
    except ValueError as e:
        assert "horizon" in str(e)
    else:
        raise AssertionError("advancing past the horizon must fail")


def test_collection_pages_what_is_visible_now():
    recs = [Record(f"r{i}", created=i * 10, versions=[(i * 10, {"v": i})], deleted=55 if i == 3 else None) for i in range(10)]
    col = Collection(recs, sort_key=lambda r: -r.created)
    page, more = col.page(now=60, after=None, limit=3)
    assert [r.id for r in page] == ["r6", "r5", "r4"] and more
    page, more = col.page(now=60, after="r4", limit=3)
    assert [r.id for r in page] == ["r2", "r1", "r0"] and not more  # r3 deleted at 55
    assert recs[3].state_at(50) == {"v": 3} and recs[3].state_at(55) is None
