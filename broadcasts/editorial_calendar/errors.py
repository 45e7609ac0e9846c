"""What can go wrong with calendar requests, with a key the CLI and chat turn into words."""

from __future__ import annotations


class CalendarError(ValueError):
    """A calendar request that cannot be carried out; `key` names why, `data` fills the message.

    The words live in `templates/messages/<language>/calendar_error.txt`, keyed by `key`.
    """

    def __init__(self, key: str, **data: object) -> None:
        super().__init__(key)
        self.key = key
        self.data = data
