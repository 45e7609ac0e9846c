"""Prometheus metrics, served at /metrics.

Counters of what this web process itself answered live here; the figures of the whole bot
(deliveries, the queue, latency, scheduler lag, calendar misses) are read from the database at
each scrape (`broadcasts.metrics`), since the worker that sends is another process.
"""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import Counter
from prometheus_client.core import (
    GaugeHistogramMetricFamily,
    GaugeMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector

from broadcasts.metrics import Figures

INBOUND_MESSAGES = Counter("humasbot_inbound_messages", "Inbound WhatsApp messages answered")
WEBHOOK_REJECTED = Counter(
    "humasbot_webhook_rejected", "Webhook requests refused, by reason", ["reason"]
)


class DatabaseFigures(Collector):
    """The database's figures as Prometheus families (one scrape's worth)."""

    def __init__(self, figures: Figures) -> None:
        self.figures = figures

    def collect(self) -> Iterator[Metric]:
        f = self.figures
        states = GaugeMetricFamily(
            "humasbot_outbound_messages", "Outbound messages by delivery state", labels=["state"]
        )
        for state, n in f.by_state.items():
            states.add_metric([state], n)
        yield states
        errors = GaugeMetricFamily(
            "humasbot_outbound_errors",
            "Outbound messages carrying a Twilio error code, by code",
            labels=["error_code"],
        )
        for code, n in sorted(f.by_error.items()):
            errors.add_metric([str(code)], n)
        yield errors
        yield GaugeMetricFamily(
            "humasbot_outbound_queue_depth",
            "Outbound messages queued (not yet sent; held notices included)",
            value=f.queued,
        )
        yield GaugeMetricFamily(
            "humasbot_outbound_oldest_due_seconds",
            "How long the oldest queued message due now has waited since it was planned",
            value=f.oldest_due_seconds,
        )
        latency = GaugeHistogramMetricFamily(
            "humasbot_send_latency_seconds",
            "Planned-to-sent seconds of the messages sent in the last hour",
            buckets=[(str(float(le)), n) for le, n in f.latency_buckets]
            + [("+Inf", f.latency_count)],
            gsum_value=f.latency_sum,
        )
        yield latency
        lag = GaugeMetricFamily(
            "humasbot_scheduler_lag_seconds",
            "How late the oldest due work not yet done is, by job",
            labels=["job"],
        )
        lag.add_metric(["plan_broadcasts"], f.planning_lag_seconds)
        lag.add_metric(["calendar"], f.calendar_lag_seconds)
        yield lag
        yield GaugeMetricFamily(
            "humasbot_calendar_missed_occurrences",
            "Calendar sends marked missed (the worker was down past the grace)",
            value=f.calendar_missed,
        )
