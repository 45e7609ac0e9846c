"""What a command handler knows about the message it answers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from functools import cached_property
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from broadcasts.db.models import Member, Role
from broadcasts.hoaxes.media import Attachment
from broadcasts.people import membership
from config.settings import Settings


@dataclass
class Conversation:
    session: Session
    member: Member
    settings: Settings
    now: datetime  # UTC, from the clock passed in
    language: str  # the language to reply in
    message_sid: str | None = None  # the message being answered (None: not from Twilio)
    has_media: bool = False  # the message carries media (a picture, a voice note…)
    # Its media, fetched when the message files a report (`commands.reports`); else none.
    attachments: tuple[Attachment, ...] = ()

    @cached_property
    def roles(self) -> dict[int, Role]:
        """The sender's role in each group they belong to, by group id."""
        return membership.roles_of(self.session, self.member)

    @property
    def highest_role(self) -> Role | None:
        return max(self.roles.values(), key=lambda role: role.rank, default=None)

    @cached_property
    def timezone(self) -> ZoneInfo:
        """The sender's group's time zone (their first group), else the bot's."""
        zone = membership.home_timezone(self.session, self.member)
        return ZoneInfo(zone) if zone else self.settings.timezone

    @property
    def today(self) -> date:
        return self.now.astimezone(self.timezone).date()
