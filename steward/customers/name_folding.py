"""How a name is folded so that search finds it however it was typed: capitals, accents
and punctuation do not matter. "Zoë O'Brien-Smith" folds to ``zoe obrien smith``;
typing ``zoe obrien``, ``ZOE O'BRIEN`` or ``Zoë Smith`` finds her.

Names are stored folded (``Customer.search_name`` and its words, ``NameWord``) and the
query is folded the same way, so the database compares plain lower-case letters and
digits and any ordinary index serves the comparison.
"""

from __future__ import annotations

import re
import unicodedata

# Letters that Unicode does not decompose into a base letter and a mark.
_LETTERS = str.maketrans({"ø": "o", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "æ": "ae", "œ": "oe", "ı": "i"})
# Apostrophes join (O'Brien is one word, "obrien"); everything else that is not a letter
# or digit separates (Smith-Jones is two, so "jones" finds her too).
_APOSTROPHES = re.compile(r"['’‘`ʼ]")
_WORD = re.compile(r"[^\W_]+")

# A stored word is at most this long (longer names are cut, and so are the words typed).
WORD_MAX_LENGTH = 64


def fold_name(value: str) -> str:
    """Lower-case words of letters and digits without accents, separated by one space."""
    decomposed = unicodedata.normalize("NFKD", value.casefold())
    bare = "".join(c for c in decomposed if not unicodedata.combining(c)).translate(_LETTERS)
    return " ".join(_WORD.findall(_APOSTROPHES.sub("", bare)))


def name_words(folded: str) -> list[str]:
    """The distinct words of a folded name, in order, each at most WORD_MAX_LENGTH long."""
    return list(dict.fromkeys(w[:WORD_MAX_LENGTH] for w in folded.split()))
