"""Alert de-duplication and the webhook payloads, against a real local webhook receiver."""

from sensors.alerting import AlertBook, Observation
from sensors.notify import ENV, Alert, notifiers_from_env
from tests.alerting.webhook_receiver import WebhookReceiver


def _obs(ok, run, at, key="step:stripe_sync"):
    return Observation(key, "Stripe sync", ok, "failed", "stripe: listing customers was refused (401) — check STRIPE_API_KEY", run, at)


def test_one_alert_per_failure_and_one_recovery():
    book = AlertBook()
    first = book.observe(_obs(False, "r1", 0))
    assert first.status == "failed" and "STRIPE_API_KEY" in first.detail and first.run_url.endswith("/runs/r1")
    assert book.observe(_obs(False, "r1", 10)) is None  # the same failure seen again on the next tick
    assert book.observe(_obs(False, "r2", 600)) is None  # and in the next run
    assert book.failing["step:stripe_sync"]["runs"] == 2
    recovered = book.observe(_obs(True, "r3", 1200))
    assert recovered.status == "recovered" and "2 failing runs over 20 min" in recovered.detail
    assert book.observe(_obs(True, "r4", 1300)) is None and not book.failing
    assert book.observe(_obs(False, "r5", 1400)).status == "failed"  # a new failure alerts again


def test_a_book_survives_the_cursor_round_trip():
    import json

    book = AlertBook()
    book.observe(_obs(False, "r1", 0))
    again = AlertBook(json.loads(json.dumps(book.failing)))
    assert again.observe(_obs(False, "r2", 5)) is None
    assert again.observe(_obs(True, "r3", 60)).status == "recovered"


def test_every_configured_webhook_gets_its_vendors_payload(monkeypatch):
    with WebhookReceiver() as rx:
        for channel, var in ENV.items():
            monkeypatch.setenv(var, rx.url(channel))
        alert = Alert("failed", "Stripe sync", "stripe: refused (401) — check STRIPE_API_KEY", "http://dagster/runs/abc")
        for notifier in notifiers_from_env():
            notifier.send(alert)
    slack, = rx.received["slack"]
    assert "Stripe sync failed" in slack["text"] and slack["blocks"][1]["elements"][0]["url"] == "http://dagster/runs/abc"
    teams, = rx.received["teams"]
    card = teams["attachments"][0]["content"]
    assert teams["type"] == "message" and card["type"] == "AdaptiveCard" and "STRIPE_API_KEY" in card["body"][1]["text"]
    chat, = rx.received["google_chat"]
    assert chat["cardsV2"][0]["card"]["header"]["title"].endswith("Stripe sync failed")


def test_no_webhook_configured_means_no_notifier(monkeypatch):
    for var in ENV.values():
        monkeypatch.delenv(var, raising=False)
    assert notifiers_from_env() == []
