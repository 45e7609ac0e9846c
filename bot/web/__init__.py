"""The HTTP side: the app factory, Twilio's webhooks, the dashboard, the feeds and health."""
