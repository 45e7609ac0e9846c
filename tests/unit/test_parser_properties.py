"""The command parser against random text: it never fails, and tolerates what people type."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.chat.commands import chat_commands
from bot.chat.registry import Command

COMMANDS = chat_commands.commands
WORDS = sorted({word for command in COMMANDS for word in command.words})
# Unicode of every kind, including control characters, emoji and right-to-left text.
ANY_TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=300)
# Thousands of characters, built by repeating a random piece (drawing each one is too slow).
LONG_TEXT = st.builds(
    lambda piece, times: (piece * times)[:6000],
    st.text(st.characters(exclude_categories=["Cs"]), min_size=1, max_size=60),
    st.integers(4000, 6000),
)
LEADING = st.text(st.sampled_from(" /#\t"), max_size=4)
TRAILING = st.text(st.sampled_from(" .,!?;:"), max_size=4)
# Arguments as people write them: words, digits, codes; no trailing punctuation of their own.
ARGUMENT = st.from_regex(r"[A-Za-z0-9#-]{1,12}( [A-Za-z0-9#-]{1,12}){0,3}", fullmatch=True)


def random_case(draw: st.DrawFn, word: str) -> str:
    return "".join(c.lower() if draw(st.booleans()) else c for c in word)


@st.composite
def typed_command(draw: st.DrawFn) -> tuple[Command, str, str]:
    """A command as a person might type it; returns the command, the text and its argument."""
    command = draw(st.sampled_from(COMMANDS))
    word = random_case(draw, draw(st.sampled_from(command.words)))
    argument = draw(st.none() | ARGUMENT)
    spaces = " " * draw(st.integers(1, 3))
    text = draw(LEADING) + word + (spaces + argument if argument else "") + draw(TRAILING)
    return command, text, argument or ""


@settings(max_examples=200)
@given(ANY_TEXT)
def test_any_text_parses_without_error_into_a_consistent_result(text: str) -> None:
    parsed = chat_commands.parse(text)
    assert parsed.args == parsed.args.strip()
    assert parsed.language in (None, "id", "en")
    if parsed.command is not None:
        assert parsed.word in parsed.command.words
        assert parsed.command in COMMANDS
    suggestion = chat_commands.suggest(parsed.word, WORDS)
    assert suggestion is None or suggestion in WORDS


@settings(max_examples=30)
@given(LONG_TEXT)
def test_very_long_text_parses(text: str) -> None:
    parsed = chat_commands.parse(text)
    assert parsed.command is None or parsed.word in parsed.command.words


@settings(max_examples=200)
@given(typed_command())
def test_a_command_is_found_whatever_the_case_slash_hash_spaces_or_trailing_punctuation(
    typed: tuple[Command, str, str],
) -> None:
    command, text, argument = typed
    parsed = chat_commands.parse(text)
    assert parsed.command == command
    if command.free_text and argument:
        # Prose keeps its own punctuation ("Datang ke TPS!"); nothing else is added.
        assert parsed.args.startswith(argument)
        assert set(parsed.args[len(argument) :]) <= set(" .,!?;:")
    else:
        assert parsed.args == argument


@given(st.sampled_from(COMMANDS), LEADING, TRAILING)
def test_the_language_of_the_command_word_is_recognised(
    command: Command, leading: str, trailing: str
) -> None:
    for word in command.english:
        if word not in (command.name, *command.aliases):
            assert chat_commands.parse(leading + word.lower() + trailing).language == "en"
    for word in (command.name, *command.aliases):
        if word not in command.english:
            assert chat_commands.parse(leading + word + trailing).language == "id"


@given(st.text(st.sampled_from(" \t\n/#.,!?;:"), max_size=40))
def test_only_blanks_slashes_and_punctuation_name_no_command(text: str) -> None:
    assert chat_commands.parse(text).command is None


# Separators phones produce between a command and its argument.
SEPARATOR = st.text(st.sampled_from(" \t\r\n\u00a0\u2003"), min_size=1, max_size=4)


@given(st.sampled_from(WORDS), SEPARATOR, ARGUMENT)
def test_any_whitespace_separates_the_command_from_its_argument(
    word: str, separator: str, argument: str
) -> None:
    parsed = chat_commands.parse(word + separator + argument)
    assert parsed.word == word and parsed.command is not None
    assert parsed.args == argument
