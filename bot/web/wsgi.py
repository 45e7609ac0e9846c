"""The WSGI entry point for gunicorn: `gunicorn bot.web.wsgi:app`."""

from bot.web.app import create_app
from broadcasts.people.masking import install_log_masking

# Every log line of the web process, gunicorn's access log included, with numbers and tokens
# masked.
install_log_masking()
app = create_app()
