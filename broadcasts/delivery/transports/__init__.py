"""How messages leave the bot: Twilio, or the console when Twilio is not configured."""

from __future__ import annotations

from broadcasts.delivery.transports.base import Transport
from config.settings import Settings


def transport_for(settings: Settings) -> Transport:
    """Twilio when its credentials are set; otherwise the console transport, whose record of
    what it sent is a file beside the SQLite database (`console.outbox_path`)."""
    if settings.twilio_enabled:
        from broadcasts.delivery.transports.twilio import TwilioTransport

        return TwilioTransport(settings)
    from broadcasts.delivery.transports.console import ConsoleTransport, outbox_path

    return ConsoleTransport(path=outbox_path(settings.database_url))
