"""The inbound side: the Flask app, Twilio webhooks, chat commands, the CLI and the dashboard."""
