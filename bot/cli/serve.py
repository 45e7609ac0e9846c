"""Running the bot: everything in one process, or the web and worker processes apart."""

from __future__ import annotations

import logging
import signal
import threading

import click
from werkzeug.serving import make_server

from bot.cli.base import main, pass_context
from bot.web.app import create_app
from bot.web.dashboard.security import QuietRequestHandler
from broadcasts.elections import faq
from broadcasts.elections.stored import load_bundled
from broadcasts.runtime import Runtime
from broadcasts.worker import JOBS, build_scheduler

log = logging.getLogger(__name__)


def prepare(context: Runtime) -> None:
    """Migrations, then the bundled election calendars the database does not have yet."""
    with context.database.transaction() as session:
        load_bundled(session, context.clock.now())
        faq.load_bundled(session, context.clock.now())


@main.group()
def db() -> None:
    """The database."""


@db.command("upgrade")
@pass_context
def db_upgrade(context: Runtime) -> None:
    """Apply migrations and load the bundled election calendars."""
    prepare(context)
    click.echo("database is up to date")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@pass_context
def run(context: Runtime, host: str, port: int) -> None:
    """Everything in one process: migrate, serve HTTP, run the scheduler and the dispatcher."""
    prepare(context)
    worker_services = Runtime(context.settings, context.database, context.clock)
    scheduler = build_scheduler(worker_services, blocking=False)
    app = create_app(context.settings, database=context.database, clock=context.clock)
    server = make_server(host, port, app, threaded=True, request_handler=QuietRequestHandler)
    transport = "Twilio" if context.settings.twilio_enabled else "console"
    backend = context.database.url.get_backend_name()
    click.echo(f"Humasbot on http://{host}:{port} ({transport} transport, {backend})")
    click.echo("Talk to it: humasbot chat --from 081234567890")
    scheduler.start()

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    serving = threading.Thread(target=server.serve_forever, daemon=True)
    serving.start()
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.shutdown()
        scheduler.shutdown(wait=True)
        click.echo("stopped")


@main.command()
@click.option("--bind", default="127.0.0.1:5000", show_default=True)
# Three sync workers did best on 2 cores in `benchmarks.webhook` (more only queue for the CPUs).
@click.option("--workers", default=3, show_default=True, type=int)
def web(bind: str, workers: int) -> None:
    """The web process (gunicorn): webhooks, health, metrics, dashboard."""
    import sys

    from gunicorn.app.wsgiapp import run as gunicorn_run

    sys.argv = [
        "gunicorn",
        "--bind",
        bind,
        "--workers",
        str(workers),
        "--access-logfile",
        "-",
        "bot.web.wsgi:app",
    ]
    gunicorn_run()


@main.command()
@click.option("--once", is_flag=True, help="Run every job once, in order, and exit (no scheduler).")
@pass_context
def worker(context: Runtime, once: bool) -> None:
    """The worker process: the scheduler and the dispatcher."""
    prepare(context)
    if once:
        for job in JOBS:
            job.run(context)
        return
    click.echo("worker started")
    build_scheduler(context, blocking=True).start()
