"""Questions in words: "kpn pelantikan presiden 2024?", "apa itu DPT?", "when is voting day?".

`understand` tells what a message asks and which kind of answer it gets, from the calendars, the
FAQ and the vocabulary (`config/elections/vocabulary.yaml`): all data, so a calendar or an FAQ
loaded later is understood with no code change. Pure domain: elections, FAQ and the day are
passed in.
"""

from broadcasts.elections.questions.understanding import (
    Answer,
    Kind,
    Understood,
    asks,
    election_named,
    understand,
)
from broadcasts.elections.questions.vocabulary import (
    Vocabulary,
    bundled_vocabulary,
    load_vocabulary,
    parse_vocabulary,
)
from broadcasts.elections.questions.words import words_of

__all__ = [
    "Answer",
    "Kind",
    "Understood",
    "Vocabulary",
    "asks",
    "bundled_vocabulary",
    "election_named",
    "load_vocabulary",
    "parse_vocabulary",
    "understand",
    "words_of",
]
