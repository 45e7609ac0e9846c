"""The one place that reads the environment (and `.env`). Everything else gets a `Settings`."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dotenv import dotenv_values

PROJECT_ROOT = Path(__file__).resolve().parent.parent
ELECTIONS_DIR = PROJECT_ROOT / "config" / "elections"
FAQ_DIR = PROJECT_ROOT / "config" / "faq"
TEMPLATES_DIR = PROJECT_ROOT / "templates"
STATIC_DIR = PROJECT_ROOT / "static"  # the dashboard's CSS and scripts, shipped with it
MIGRATIONS_DIR = PROJECT_ROOT / "migrations"

SUPPORTED_LANGUAGES = ("id", "en")


class SettingsError(ValueError):
    """A setting has a value the bot cannot work with."""


@dataclass(frozen=True)
class Settings:
    database_url: str = "sqlite:///instance/humasbot.db"
    twilio_account_sid: str | None = None
    twilio_auth_token: str | None = None
    twilio_whatsapp_from: str | None = None
    twilio_messaging_service_sid: str | None = None
    twilio_api_base_url: str = "https://api.twilio.com"
    public_base_url: str = "http://127.0.0.1:5000"
    secret_key: str | None = None
    bot_timezone: str = "Asia/Jakarta"
    bot_language: str = "id"
    send_rate_per_second: int = 80
    whatsapp_daily_limit: int = 1000
    # How long after an attempt with an unknown outcome Twilio's message list is trusted to
    # show the message if it exists; only then may the delivery be sent again.
    delivery_settle_seconds: float = 30.0
    # A calendar send found later than this (the worker was down) is marked missed, not sent.
    calendar_misfire_grace_hours: int = 6
    # Texts of incoming messages are deleted after this many days (see people.retention).
    inbound_retention_days: int = 90
    # Who runs the bot, as the privacy notice names them, and how to reach them.
    operator_name: str | None = None
    operator_contact: str | None = None
    # Where images uploaded on the dashboard are kept (content-addressed: <sha256>.png/.jpg),
    # served without login at PUBLIC_BASE_URL/media/uploads/ for Twilio to fetch.
    upload_dir: str = "instance/uploads"
    log_level: str = "INFO"

    @property
    def twilio_enabled(self) -> bool:
        """Without credentials, messages go to the console transport."""
        return bool(self.twilio_account_sid and self.twilio_auth_token)

    @property
    def timezone(self) -> ZoneInfo:
        return ZoneInfo(self.bot_timezone)

    def replace(self, **changes: object) -> Settings:
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        values.update(changes)
        return Settings(**values)

    def validate(self) -> Settings:
        try:
            ZoneInfo(self.bot_timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise SettingsError(f"BOT_TIMEZONE: unknown time zone {self.bot_timezone!r}") from exc
        if self.bot_language not in SUPPORTED_LANGUAGES:
            raise SettingsError(f"BOT_LANGUAGE must be one of {', '.join(SUPPORTED_LANGUAGES)}")
        if self.send_rate_per_second < 1:
            raise SettingsError("SEND_RATE_PER_SECOND must be at least 1")
        if self.whatsapp_daily_limit < 1:
            raise SettingsError("WHATSAPP_DAILY_LIMIT must be at least 1")
        if self.calendar_misfire_grace_hours < 0:
            raise SettingsError("CALENDAR_MISFIRE_GRACE_HOURS must not be negative")
        if self.inbound_retention_days < 1:
            raise SettingsError("INBOUND_RETENTION_DAYS must be at least 1")
        return self


def _int(name: str, raw: str) -> int:
    try:
        return int(raw)
    except ValueError as exc:
        raise SettingsError(f"{name} must be a whole number, not {raw!r}") from exc


def _seconds(name: str, raw: str) -> float:
    try:
        value = float(raw)
    except ValueError as exc:
        raise SettingsError(f"{name} must be a number of seconds, not {raw!r}") from exc
    if value < 0:
        raise SettingsError(f"{name} must not be negative")
    return value


def load_settings(
    environ: Mapping[str, str] | None = None, dotenv_path: Path | None = None
) -> Settings:
    """Settings from `environ` (default: the process environment) over a `.env` file."""
    env: dict[str, str] = {}
    dotenv_file = dotenv_path if dotenv_path is not None else Path.cwd() / ".env"
    if environ is None and dotenv_file.is_file():
        env.update({k: v for k, v in dotenv_values(dotenv_file).items() if v is not None})
    env.update(os.environ if environ is None else environ)

    def text(name: str) -> str | None:
        value = env.get(name, "").strip()
        return value or None

    defaults = Settings()
    return Settings(
        database_url=text("DATABASE_URL") or defaults.database_url,
        twilio_account_sid=text("TWILIO_ACCOUNT_SID"),
        twilio_auth_token=text("TWILIO_AUTH_TOKEN"),
        twilio_whatsapp_from=text("TWILIO_WHATSAPP_FROM"),
        twilio_messaging_service_sid=text("TWILIO_MESSAGING_SERVICE_SID"),
        twilio_api_base_url=(text("TWILIO_API_BASE_URL") or defaults.twilio_api_base_url).rstrip(
            "/"
        ),
        public_base_url=(text("PUBLIC_BASE_URL") or defaults.public_base_url).rstrip("/"),
        secret_key=text("SECRET_KEY"),
        bot_timezone=text("BOT_TIMEZONE") or defaults.bot_timezone,
        bot_language=(text("BOT_LANGUAGE") or defaults.bot_language).lower(),
        send_rate_per_second=_int("SEND_RATE_PER_SECOND", text("SEND_RATE_PER_SECOND") or "80"),
        whatsapp_daily_limit=_int("WHATSAPP_DAILY_LIMIT", text("WHATSAPP_DAILY_LIMIT") or "1000"),
        delivery_settle_seconds=_seconds(
            "DELIVERY_SETTLE_SECONDS", text("DELIVERY_SETTLE_SECONDS") or "30"
        ),
        calendar_misfire_grace_hours=_int(
            "CALENDAR_MISFIRE_GRACE_HOURS", text("CALENDAR_MISFIRE_GRACE_HOURS") or "6"
        ),
        inbound_retention_days=_int(
            "INBOUND_RETENTION_DAYS", text("INBOUND_RETENTION_DAYS") or "90"
        ),
        operator_name=text("OPERATOR_NAME"),
        operator_contact=text("OPERATOR_CONTACT"),
        upload_dir=text("UPLOAD_DIR") or defaults.upload_dir,
        log_level=(text("LOG_LEVEL") or defaults.log_level).upper(),
    ).validate()
