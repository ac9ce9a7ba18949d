"""Systematic slot-filling errors: rules a simulated teacher applies wherever they match.

A rule maps the input's words and the current slots (``(type, start, end)`` chunks, end
exclusive, sorted and disjoint) to new slots plus how many places it changed; it reads the gold
labels and rewrites every match the same way, so the same construction always gets the same
error: the kind of error a student can learn. Matches are found on the rule's input, so a rule
never feeds on its own output. The rules are written for SNIPS's slot types and the confusions
a few-shot LLM shows on them (state vs city, creative-work titles, "the" in or out of a title,
the word "playlist" pulled into the playlist's name, ...); on other inventories the type rules
simply never match. Rules in one *group* contradict each other; a teacher uses at most one of
each group.
"""

from __future__ import annotations

from collections.abc import Callable

Chunk = tuple[str, int, int]
Chunks = tuple[Chunk, ...]
Rule = Callable[[tuple[str, ...], Chunks], tuple[Chunks, int]]

_DETERMINERS = frozenset({"the", "a", "an"})
_PRE_DETERMINERS = frozenset({"the", "a", "an", "this", "my"})
_TIME_PREPOSITIONS = frozenset({"at", "on", "for", "in", "from", "by", "during", "until"})


def covered(chunks: Chunks) -> set[int]:
    """Word positions inside some slot."""
    return {i for _, s, e in chunks for i in range(s, e)}


def _relabel(source: str, target: str) -> Rule:
    def rule(words: tuple[str, ...], chunks: Chunks) -> tuple[Chunks, int]:
        out = tuple((target if t == source else t, s, e) for t, s, e in chunks)
        return out, sum(t == source for t, _, _ in chunks)

    rule.__doc__ = f"Always label ``{source}`` slots as ``{target}``."
    return rule


def _skip(typ: str, only: frozenset[str] | None = None) -> Rule:
    def rule(words: tuple[str, ...], chunks: Chunks) -> tuple[Chunks, int]:
        def match(c: Chunk) -> bool:
            return c[0] == typ and (only is None or
                                    " ".join(words[c[1]:c[2]]).lower() in only)

        return tuple(c for c in chunks if not match(c)), sum(map(match, chunks))

    what = f"``{typ}`` slots" + ("" if only is None else f" that are just {sorted(only)}")
    rule.__doc__ = f"Never tag {what} (their words become ``O``)."
    return rule


def strip_leading_determiner(words: tuple[str, ...], chunks: Chunks) -> tuple[Chunks, int]:
    """Leave "the"/"a"/"an" out of every slot of two or more words that starts with one."""
    out, n = [], 0
    for t, s, e in chunks:
        if e - s >= 2 and words[s].lower() in _DETERMINERS:
            out.append((t, s + 1, e))
            n += 1
        else:
            out.append((t, s, e))
    return tuple(out), n


def include_preceding_determiner(words: tuple[str, ...], chunks: Chunks) -> tuple[Chunks, int]:
    """Pull an untagged "the"/"a"/"an"/"this"/"my" right before a slot into the slot."""
    inside = covered(chunks)
    out, n = [], 0
    for t, s, e in chunks:
        if s > 0 and s - 1 not in inside and words[s - 1].lower() in _PRE_DETERMINERS:
            out.append((t, s - 1, e))
            n += 1
        else:
            out.append((t, s, e))
    return tuple(out), n


def playlist_word_in_name(words: tuple[str, ...], chunks: Chunks) -> tuple[Chunks, int]:
    """Tag the untagged word "playlist" after a playlist's name as part of the name."""
    inside = covered(chunks)
    out, n = [], 0
    for t, s, e in chunks:
        if t == "playlist" and e < len(words) and e not in inside \
                and words[e].lower() == "playlist":
            out.append((t, s, e + 1))
            n += 1
        else:
            out.append((t, s, e))
    return tuple(out), n


def time_range_with_preposition(words: tuple[str, ...], chunks: Chunks
                                ) -> tuple[Chunks, int]:
    """Pull the untagged preposition before a ``timeRange`` ("at", "on", ...) into it."""
    inside = covered(chunks)
    out, n = [], 0
    for t, s, e in chunks:
        if t == "timeRange" and s > 0 and s - 1 not in inside \
                and words[s - 1].lower() in _TIME_PREPOSITIONS:
            out.append((t, s - 1, e))
            n += 1
        else:
            out.append((t, s, e))
    return tuple(out), n


def time_range_without_preposition(words: tuple[str, ...], chunks: Chunks
                                   ) -> tuple[Chunks, int]:
    """Leave a leading preposition ("in five minutes") out of every ``timeRange``."""
    out, n = [], 0
    for t, s, e in chunks:
        if t == "timeRange" and e - s >= 2 and words[s].lower() in _TIME_PREPOSITIONS:
            out.append((t, s + 1, e))
            n += 1
        else:
            out.append((t, s, e))
    return tuple(out), n


def merge_adjacent_slots(words: tuple[str, ...], chunks: Chunks) -> tuple[Chunks, int]:
    """Write slots that touch ("this" + "essay", "my" + "playlist name") as one slot of the
    longer one's type (the later one's on a tie)."""
    out: list[Chunk] = []
    n = 0
    for t, s, e in chunks:
        if out and out[-1][2] == s:
            pt, ps, pe = out[-1]
            out[-1] = (pt if pe - ps > e - s else t, ps, e)
            n += 1
        else:
            out.append((t, s, e))
    return tuple(out), n


def _tag_word(word: str, typ: str) -> Rule:
    def rule(words: tuple[str, ...], chunks: Chunks) -> tuple[Chunks, int]:
        inside = covered(chunks)
        added = [(typ, i, i + 1) for i, w in enumerate(words)
                 if i not in inside and w.lower() == word]
        return tuple(sorted(chunks + tuple(added), key=lambda c: c[1])), len(added)

    rule.__doc__ = f"Tag every untagged word {word!r} as a ``{typ}`` slot."
    return rule


#: every rule by name, in the order a teacher applies the ones it uses
RULES: dict[str, Rule] = {
    "state_as_city": _relabel("state", "city"),
    "state_as_country": _relabel("state", "country"),
    "country_as_city": _relabel("country", "city"),
    "object_name_as_movie_name": _relabel("object_name", "movie_name"),
    "movie_name_as_object_name": _relabel("movie_name", "object_name"),
    "entity_name_as_track": _relabel("entity_name", "track"),
    "music_item_as_object_type": _relabel("music_item", "object_type"),
    "party_size_description_as_number": _relabel("party_size_description",
                                                 "party_size_number"),
    "best_rating_as_rating_value": _relabel("best_rating", "rating_value"),
    "skip_best_rating": _skip("best_rating"),
    "skip_rating_unit": _skip("rating_unit"),
    "skip_playlist_owner": _skip("playlist_owner"),
    "skip_spatial_relation": _skip("spatial_relation"),
    "skip_object_select": _skip("object_select"),
    "skip_generic_restaurant_type": _skip("restaurant_type", frozenset({"restaurant"})),
    "strip_leading_determiner": strip_leading_determiner,
    "include_preceding_determiner": include_preceding_determiner,
    "playlist_word_in_name": playlist_word_in_name,
    "time_range_with_preposition": time_range_with_preposition,
    "time_range_without_preposition": time_range_without_preposition,
    "merge_adjacent_slots": merge_adjacent_slots,
    "tag_music_as_genre": _tag_word("music", "genre"),
    "tag_weather_as_condition": _tag_word("weather", "condition_description"),
}

#: rules that contradict each other; a teacher picks at most one of each group
GROUPS: tuple[frozenset[str], ...] = (
    frozenset({"state_as_city", "state_as_country"}),
    frozenset({"object_name_as_movie_name", "movie_name_as_object_name"}),
    frozenset({"best_rating_as_rating_value", "skip_best_rating"}),
    frozenset({"strip_leading_determiner", "include_preceding_determiner"}),
    frozenset({"time_range_with_preposition", "time_range_without_preposition"}),
)


def apply_rules(words: tuple[str, ...], chunks: Chunks, names: tuple[str, ...]
                ) -> tuple[Chunks, dict[str, int]]:
    """Apply the named rules in :data:`RULES` order; return the slots and matches per rule."""
    fired: dict[str, int] = {}
    for name, rule in RULES.items():
        if name in names:
            chunks, count = rule(words, chunks)
            if count:
                fired[name] = count
    return chunks, fired
