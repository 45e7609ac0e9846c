"""The `humasbot` group and what its commands share: settings, the database, the clock, who
acts (`--by`) and how times are shown (on the group's clock, with the zone's name)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import click
from sqlalchemy.orm import Session

from broadcasts.db.models import ContentKind
from broadcasts.db.schema import upgrade
from broadcasts.errors import DomainError
from broadcasts.people.actors import OPERATOR, Actor, ActorError, resolve_by
from broadcasts.people.masking import install_log_masking
from broadcasts.phrasebook import render
from broadcasts.runtime import Runtime
from config.settings import SUPPORTED_LANGUAGES, SettingsError

Command = TypeVar("Command", bound=Callable[..., Any])


pass_context = click.make_pass_decorator(Runtime, ensure=True)


def fail(message: str) -> click.ClickException:
    return click.ClickException(message)


def refusal(error: DomainError) -> click.ClickException:
    """The domain said no: exit 1 with its words in English, the language of the command line.
    WhatsApp's *bold* marks go; asterisks in the data (a masked number) stay."""
    data = {k: v.replace("*", "\0") if isinstance(v, str) else v for k, v in error.data.items()}
    words = render(error.words, "en", key=error.key, **data).replace("*", "").replace("\0", "*")
    return fail(f"{words}\nNothing was changed.")


class _Humasbot(click.Group):
    """Whatever command a refused actor reaches, it ends the same way: exit 1, a clear message,
    and its transaction rolled back."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ActorError as error:
            raise click.ClickException(f"{error}\nNothing was changed.") from error
        except DomainError as error:
            raise refusal(error) from error
        except SettingsError as error:
            raise click.ClickException(str(error)) from error


@click.group(cls=_Humasbot, context_settings={"help_option_names": ["-h", "--help"]})
@click.pass_context
def main(ctx: click.Context) -> None:
    """Humasbot: election-literacy broadcasts over WhatsApp."""
    if ctx.obj is None:
        ctx.obj = Runtime(prepare=upgrade)
    ctx.call_on_close(ctx.obj.close)
    level = ctx.obj.settings.log_level if ctx.invoked_subcommand else "WARNING"
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    install_log_masking()  # no full phone number or token in any log line
    logging.getLogger("alembic").setLevel(logging.WARNING)
    # The scheduler logs every job it runs, twice a second; the jobs log what they did.
    logging.getLogger("apscheduler").setLevel(logging.WARNING)


# --- Who acts ---------------------------------------------------------------------------------


def by_option(*, required: bool = False, doing: str = "does it") -> Callable[[Command], Command]:
    """`--by WHO`, the same on every command: a dashboard account or a member's phone, checked
    by `acting` inside the command's transaction. Where it is optional, leaving it out means the
    operator at this terminal (audited as `system:cli`), who may not approve anything."""
    hint = "a dashboard account's username or a member's phone"
    help_text = f"Who {doing}: {hint}." + ("" if required else " Default: you, the operator.")
    return click.option("--by", "by", metavar="WHO", required=required, help=help_text)


def acting(session: Session, by: str | None) -> Actor:
    """The actor `--by` names; the operator when it was left out. An unknown name raises
    ActorError, which ends the command with exit 1 and nothing changed."""
    return OPERATOR if by is None else resolve_by(session, by)


def content_options(command: Command) -> Command:
    """--media-url, --language and --kind: what a post carries besides its text, alike wherever
    a post is written (the library, the calendar)."""
    for option in reversed(
        (
            click.option("--media-url", help="A public http(s) link to an image, video or PDF."),
            click.option(
                "--language",
                type=click.Choice(SUPPORTED_LANGUAGES),
                default="id",
                show_default=True,
            ),
            click.option(
                "--kind",
                type=click.Choice([k.value for k in ContentKind]),
                default=ContentKind.LITERACY.value,
                show_default=True,
            ),
        )
    ):
        command = option(command)
    return command


# --- Times, on the group's clock --------------------------------------------------------------


def when_text(moment: datetime | None) -> str:
    """An aware time on its own clock, with the zone's name: "Thu 2026-12-03 07:00 WIB" (the
    tz database calls Indonesia's zones WIB, WITA and WIT)."""
    return f"{moment:%a %Y-%m-%d %H:%M} {moment.tzname()}" if moment is not None else "—"


def in_zone(moment: datetime | None, zone: str) -> str:
    """A stored (UTC) time as a group in `zone` reads it."""
    return when_text(moment.astimezone(ZoneInfo(zone)) if moment is not None else None)


def zone_text(zone: str, now: datetime) -> str:
    """A zone as operators know it, with its key: "WITA (Asia/Makassar)"."""
    return f"{now.astimezone(ZoneInfo(zone)).tzname()} ({zone})"
