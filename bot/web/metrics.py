"""Prometheus metrics of the web process, served at /metrics."""

from __future__ import annotations

from prometheus_client import Counter

INBOUND_MESSAGES = Counter("humasbot_inbound_messages", "Inbound WhatsApp messages answered")
WEBHOOK_REJECTED = Counter(
    "humasbot_webhook_rejected", "Webhook requests refused, by reason", ["reason"]
)
