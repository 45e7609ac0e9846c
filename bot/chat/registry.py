"""Chat commands, each declared once: its words, who may use it, its help line.

Authorisation fails closed: a command runs only if the sender's role is known to be enough.
Handlers return a `Reply` (a template name and its data); the phrasebook renders it.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any

from bot.chat.conversation import Conversation
from broadcasts.db.models import Role
from broadcasts.errors import DomainError

# A leading "/" or "#", and punctuation at the end, are tolerated (except in free text).
_LEADING = re.compile(r"^[\s/#]+")
_TRAILING = re.compile(r"[\s.,!?;:]+$")


@dataclass(frozen=True)
class Reply:
    template: str
    data: dict[str, Any] = field(default_factory=dict)
    language: str | None = None  # set when the words asked in tell the language
    # Replies with equal keys read the same in a given language (a date answer: same calendars,
    # day, zone and question), so each is rendered once per process; None: always rendered.
    same_for: Hashable | None = None
    answers: bool = True  # False: an honest "we cannot answer that", which a command may beat
    # A picture sent with the reply: its URL, given the language the reply is finally in.
    media: Callable[[str], str] | None = None


def refused(error: DomainError) -> Reply:
    """The domain said no: its words for why, in the member's language."""
    return Reply(error.words, {"key": error.key, **error.data})


Handler = Callable[[Conversation, str], Reply]
Fallback = Callable[[Conversation, str], Reply | None]
# Whether the words after a command word are that command's arguments. When they are not
# ("cek dpt sampai kapan?", "jadwal debat pilkada", "berhenti kampanye kapan?") the message is
# read as a question in words first: a sentence may start with a command word.
Takes = Callable[[Conversation, str], bool]


def no_arguments(conversation: Conversation, args: str) -> bool:
    return not args.strip()


def one_word(conversation: Conversation, args: str) -> bool:
    return len(args.split()) <= 1


def anything(conversation: Conversation, args: str) -> bool:
    return True


@dataclass(frozen=True)
class Command:
    name: str  # the Indonesian word, as shown in MENU
    english: tuple[str, ...]
    aliases: tuple[str, ...]  # other Indonesian words
    role: Role | None  # None: anyone
    help: str  # template key of its help line
    handler: Handler
    free_text: bool  # its argument is prose to keep whole ("… di TPS!"), not a code or an id
    takes: Takes
    # Changes something for the sender (BERHENTI): run only on its own words, never on a guess.
    confirm: bool = False
    # Shown in MENU; False for a reply to the bot's own question (YA HAPUS).
    listed: bool = True
    # Runs for anyone, so its handler can say why it cannot help (SUDAH from someone in no
    # group); MENU still lists it only for `role`.
    explains_refusal: bool = False

    @property
    def words(self) -> tuple[str, ...]:
        return (self.name, *self.aliases, *self.english)


@dataclass(frozen=True)
class Parsed:
    command: Command | None
    word: str
    args: str
    language: str | None  # the language the command word is in, when it tells


class CommandRegistry:
    def __init__(self) -> None:
        self._commands: list[Command] = []
        self._by_word: dict[str, Command] = {}
        self._fallbacks: list[Fallback] = []
        self._awaited: list[Fallback] = []

    def command(
        self,
        name: str,
        *,
        english: tuple[str, ...] = (),
        aliases: tuple[str, ...] = (),
        role: Role | None = None,
        help: str,
        free_text: bool = False,
        takes: Takes | None = None,
        confirm: bool = False,
        listed: bool = True,
        explains_refusal: bool = False,
    ) -> Callable[[Handler], Handler]:
        """`takes`: whether some words are this command's arguments; by default free text is,
        and other commands take none."""

        def register(handler: Handler) -> Handler:
            accepts = takes or (anything if free_text else no_arguments)
            command = Command(
                name,
                english,
                aliases,
                role,
                help,
                handler,
                free_text,
                accepts,
                confirm,
                listed,
                explains_refusal,
            )
            for word in command.words:
                if word in self._by_word:
                    raise ValueError(f"command word {word} declared twice")
                self._by_word[word] = command
            self._commands.append(command)
            return handler

        return register

    def fallback(self, handler: Fallback) -> Fallback:
        """Tried in order for a message that names no command (a question in words)."""
        self._fallbacks.append(handler)
        return handler

    def awaits(self, handler: Fallback) -> Fallback:
        """Tried first for a message that is no command with its arguments: the answer to
        something the bot asked for (the forward after LAPOR alone)."""
        self._awaited.append(handler)
        return handler

    def awaited(self) -> list[Fallback]:
        return list(self._awaited)

    @property
    def commands(self) -> list[Command]:
        return list(self._commands)

    def parse(self, text: str) -> Parsed:
        # Any whitespace ends the word: phones type tabs, newlines and no-break spaces too.
        parts = _LEADING.sub("", text).split(maxsplit=1)
        word = _TRAILING.sub("", parts[0]).upper() if parts else ""
        args = parts[1].strip() if len(parts) > 1 else ""
        word, args = self._phrase(word, args)
        command = self._by_word.get(word)
        if command is None or not command.free_text or not _TRAILING.sub("", args):
            args = _TRAILING.sub("", args)
        language = None
        if command is not None:
            in_english = word in command.english and word not in (command.name, *command.aliases)
            in_indonesian = word in (command.name, *command.aliases) and word not in command.english
            language = "en" if in_english else "id" if in_indonesian else None
        return Parsed(command, word, args, language)

    def _phrase(self, word: str, args: str) -> tuple[str, str]:
        """A command of two or three words ("SIARAN SAYA", "DELETE MY DATA"): the longest
        phrase and what follows."""
        for taken in (2, 1):
            rest = args.split(maxsplit=taken)
            if len(rest) < taken:
                continue
            words = (_TRAILING.sub("", w).upper() for w in rest[:taken])
            phrase = " ".join((word, *words))
            if phrase in self._by_word:
                return phrase, rest[taken].strip() if len(rest) > taken else ""
        return word, args

    def allowed(self, command: Command, conversation: Conversation) -> bool:
        return command.explains_refusal or self._has_role(command, conversation)

    def _has_role(self, command: Command, conversation: Conversation) -> bool:
        if command.role is None:
            return True
        highest = conversation.highest_role
        return highest is not None and highest.rank >= command.role.rank

    def available_to(self, conversation: Conversation) -> list[Command]:
        return [c for c in self._commands if self._has_role(c, conversation)]

    def words_for(self, conversation: Conversation) -> list[str]:
        """The command words this sender may use, in their language (those MENU lists)."""
        english = conversation.language == "en"
        return [
            w
            for c in self.available_to(conversation)
            if c.listed
            for w in (c.english if english and c.english else (c.name, *c.aliases))
        ]

    def suggest(self, word: str, words: list[str]) -> str | None:
        """The closest of `words` to a mistyped command word."""
        matches = difflib.get_close_matches(word.upper(), words, n=1, cutoff=0.6)
        return matches[0] if matches else None

    def fallbacks(self) -> list[Fallback]:
        return list(self._fallbacks)


chat_commands = CommandRegistry()
