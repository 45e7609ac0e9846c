"""The WSGI entry point for gunicorn: `gunicorn bot.web.wsgi:app`."""

from bot.web.app import create_app

app = create_app()
