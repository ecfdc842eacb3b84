"""Where alerts go: Slack, Microsoft Teams and Google Chat incoming webhooks, any subset, each
configured by one environment variable holding the webhook URL:

  PENGUIN_ALERT_SLACK_WEBHOOK_URL        Slack incoming webhook (sent with the official slack_sdk)
  PENGUIN_ALERT_TEAMS_WEBHOOK_URL        Teams Workflows webhook (an Adaptive Card message)
  PENGUIN_ALERT_GOOGLE_CHAT_WEBHOOK_URL  Google Chat space webhook (a cardsV2 message)

No maintained library posts Teams Workflows or Google Chat webhooks to an arbitrary URL (Apprise
hard-codes the vendors' hosts), so those two payloads are built here, following the vendors'
documented message formats.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Protocol

import requests
from slack_sdk.webhook import WebhookClient

ENV = {
    "slack": "PENGUIN_ALERT_SLACK_WEBHOOK_URL",
    "teams": "PENGUIN_ALERT_TEAMS_WEBHOOK_URL",
    "google_chat": "PENGUIN_ALERT_GOOGLE_CHAT_WEBHOOK_URL",
}
ICONS = {"failed": "🔴", "warning": "🟠", "recovered": "✅"}


@dataclass(frozen=True)
class Alert:
    status: str  # failed | warning | recovered
    subject: str  # what it is about: "Stripe sync", "check finance/fct_mrr_monthly › mrr_reconciles"
    detail: str  # the error's first line, or how long it had been failing
    run_url: str | None = None

    @property
    def title(self) -> str:
        return f"{ICONS[self.status]} {self.subject} {self.status}"

    @property
    def text(self) -> str:
        return f"{self.title}: {self.detail}" + (f" (run: {self.run_url})" if self.run_url else "")


class Notifier(Protocol):
    channel: str

    def send(self, alert: Alert) -> None: ...


class SlackNotifier:
    channel = "slack"

    def __init__(self, url: str):
        self._client = WebhookClient(url, timeout=10)

    def send(self, alert: Alert) -> None:
        blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": f"*{alert.title}*\n{alert.detail}"}}]
        if alert.run_url:
            blocks.append({"type": "actions", "elements": [
                {"type": "button", "text": {"type": "plain_text", "text": "Open the run in Dagster"}, "url": alert.run_url}]})
        response = self._client.send(text=alert.text, blocks=blocks)
        if response.status_code >= 300:
            raise RuntimeError(f"slack webhook answered {response.status_code}")


class TeamsNotifier:
    channel = "teams"

    def __init__(self, url: str):
        self._url = url

    def send(self, alert: Alert) -> None:
        card = {
            "$schema": "http://adaptivecards.io/schemas/adaptive-card.json", "type": "AdaptiveCard", "version": "1.4",
            "body": [{"type": "TextBlock", "text": alert.title, "weight": "Bolder", "wrap": True},
                     {"type": "TextBlock", "text": alert.detail, "wrap": True}],
            "actions": [{"type": "Action.OpenUrl", "title": "Open the run in Dagster", "url": alert.run_url}] if alert.run_url else [],
        }
        body = {"type": "message", "attachments": [
            {"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None, "content": card}]}
        requests.post(self._url, json=body, timeout=10).raise_for_status()


class GoogleChatNotifier:
    channel = "google_chat"

    def __init__(self, url: str):
        self._url = url

    def send(self, alert: Alert) -> None:
        widgets = [{"textParagraph": {"text": alert.detail}}]
        if alert.run_url:
            widgets.append({"buttonList": {"buttons": [
                {"text": "Open the run in Dagster", "onClick": {"openLink": {"url": alert.run_url}}}]}})
        body = {"text": alert.text, "cardsV2": [{"cardId": "penguin-alert", "card": {
            "header": {"title": alert.title}, "sections": [{"widgets": widgets}]}}]}
        requests.post(self._url, json=body, timeout=10).raise_for_status()


_CLASSES = {"slack": SlackNotifier, "teams": TeamsNotifier, "google_chat": GoogleChatNotifier}


def notifiers_from_env() -> list[Notifier]:
    """One notifier per webhook variable that is set."""
    return [_CLASSES[channel](url) for channel, var in ENV.items() if (url := os.environ.get(var))]
