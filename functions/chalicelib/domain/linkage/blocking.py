"""Blocking: which stored records a new record is compared with.

Each record gets several keyed blocking keys, each combining features, so that one wrong
or missing field does not hide a true match:

==========================  ==========================================================
key                         what it survives
==========================  ==========================================================
names + birth year          swapped given and family names, spelling variants, one
                            typo in either name (see below), an estimated age a year off,
                            a year written a year off (searched, not joined: see below)
names + father              an unknown or wrong birth year; one typo in either name
one name + father + year    a misspelt or changed (marriage) other name
one name + date of birth    the same, when both dates are full (day and month in
                            either order); with the family name's one-deletion
                            neighbourhood, a typo in each name, the given name's
                            first letter too (Rkistina Bidol / Cristina Bivol)
initials + date of birth    typos in both names, when both dates are full
alias + family + year       a nickname in ``other_names`` or used as the given name
given + alias + year        a former family name in ``other_names`` used as the family name
document number             everything else
names only (two, broad)     a birth year unknown on one side, with one typo in either name
                            (see below)
==========================  ==========================================================

Names enter as order-free skeletons (normalise.skeleton), so swapped given and family
names and spelling variants fall in the same block. A typo that changes a consonant
changes the skeleton, so the keys built on both names are also made for every skeleton
with one consonant of one name left out ("one-deletion neighbourhood"): two spellings one
substitution, insertion, deletion or swap of neighbours apart share one of these. A name
with a letter that the other script or a plain keyboard writes another way (Guțu / Гуцу,
Надежда / Nadejda: normalise.name_readings) enters with the skeleton of that reading too;
a name of several words (Ana-Maria) with the skeleton of its first word too, so that it
meets the first name written alone, and a family name of several words with its last
word's as well (a maiden and a married name, Salihu-Krasniqi: either may be written
alone). A whole name written into one field, the other left empty, enters as the given
and family names it splits into (``name_pairs``).

A record without a birth year shares none of the year keys, and perhaps no father. So
every record with both names joins a broad names-only block, which records without a
year search; and records without a year also join a names-and-no-year block, which
every record searches. Both are made, like the names-and-year keys, for the names as
read and for their one-deletion neighbourhood: a record that gives neither year nor
father is the one whose name is most often all there is to find it by, typo and all. A
record with a year thus never searches the names-only block, which grows with every
namesake in the database, only the block of the rarer records that lack a year
(``BlockKeys``: the blocks a record joins are not all those it searches).
Likewise a record searches, without joining, the names-and-year blocks of the years a
year beyond its own (``BirthDate.near_years``): of two records whose years are a year
apart, the later one meets the earlier, and no record joins more blocks for it.

A record is compared only with the members of the blocks it searches, and the store
returns at most ``max_block_size`` members per block (the most recently added;
``BROAD_BLOCK_SIZE`` for the two broad blocks). Of those, at most
``DEFAULT_MAX_CANDIDATES`` are compared: the ones that share the most blocks with the
record, since the same person shares names, year, father and date keys where a namesake
shares only some. The comparisons per record are therefore bounded whatever the size of
the database. Blocks grow with the namesakes a database holds (a name and a birth year
many persons share), and only then does the bound cut in; a record that meets more
namesakes than that cannot be told from them on those fields anyway.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable

from chalicelib.domain.linkage.normalise import BirthDate, name_skeleton, read_once, skeleton

DEFAULT_MAX_BLOCK_SIZE = 100
DEFAULT_MAX_CANDIDATES = 16
BROAD_BLOCK_SIZE = 10
BROAD_PREFIX = "b-"
MIN_SKELETON_TO_SHORTEN = 2
MAX_WORDS_SHORTENED = 2
MAX_LETTERS_SHORTENED = 8
MAX_READING_SKELETONS = 2

Keyer = Callable[[str, str], str]


@dataclass(frozen=True)
class BlockKeys:
    """The blocks a record is a member of, and those whose members it is compared with."""

    joined: tuple[str, ...]
    searched: tuple[str, ...]


def _pair(first: str, second: str) -> str:
    return "+".join(sorted((first, second)))


def block_limit(block_key: str, max_block_size: int = DEFAULT_MAX_BLOCK_SIZE) -> int:
    """How many members of a block to compare with: few for the broad names-only key."""
    return min(BROAD_BLOCK_SIZE, max_block_size) if block_key.startswith(BROAD_PREFIX) else max_block_size


def one_deletion_skeletons(keys: tuple[str, ...]) -> set[str]:
    """The name's skeleton and every skeleton with one letter of one word left out, its
    doubled letters then read once as in any skeleton (Nemanja NMN less M is Neanja's N).

    Words whose skeleton is shorter than ``MIN_SKELETON_TO_SHORTEN`` stay whole: "A" less a
    letter is nothing. Two-letter skeletons are shortened (Nora / Noa, "NR" / "N"): short
    given names are common in the region, and the other name and the year, always beside
    them in a key, keep such a block small. Only the first ``MAX_WORDS_SHORTENED`` words and
    their first ``MAX_LETTERS_SHORTENED`` letters are shortened, so that a long name cannot
    multiply the keys of its record.
    """
    words = [skeleton(key) for key in keys if key]
    variants = {name_skeleton(keys)} if words else set()
    for index, word in enumerate(words[:MAX_WORDS_SHORTENED]):
        if len(word) < MIN_SKELETON_TO_SHORTEN:
            continue
        for position in range(min(len(word), MAX_LETTERS_SHORTENED)):
            shortened = read_once(word[:position] + word[position + 1 :])
            variants.add("-".join(sorted(words[:index] + [shortened] + words[index + 1 :])))
    return variants


def _typo_tolerant_names(given: tuple[str, ...], family: tuple[str, ...]) -> set[str]:
    """Order-free name pairs where at most one of the two names lost one letter."""
    given_skeleton, family_skeleton = name_skeleton(given), name_skeleton(family)
    pairs = {_pair(variant, family_skeleton) for variant in one_deletion_skeletons(given)}
    pairs.update(_pair(given_skeleton, variant) for variant in one_deletion_skeletons(family))
    return pairs


Readings = tuple[tuple[str, ...], ...]
"""A name's spelling keys as written, then as each of its other readings spells them
(normalise.name_readings): Guțu is written "gutu" and read "guku", as Гуцу is written."""


def reading_skeletons(readings: Readings, last_word: bool = False) -> list[str]:
    """The skeleton of a name as written, then that of another reading if it differs
    (Guțu GT, then GK; Гуцу GK, then GT), so that the two scripts of a Moldovan name
    meet. At most ``MAX_READING_SKELETONS``: a name full of such letters does not
    multiply the keys of its record. A name of several words adds its first word's,
    and with ``last_word`` its last word's: a double family name (a maiden and a married
    name, Salihu-Krasniqi) is written whole or as either name alone. Not a given name's:
    its last word is often the father's name (Blerta Përparim), whose namesakes it
    would bring into the record's blocks."""
    skeletons = (name_skeleton(keys) for keys in readings)
    found = list(dict.fromkeys(s for s in skeletons if s))[:MAX_READING_SKELETONS]
    if readings and len(readings[0]) > 1:
        words = (readings[0][:1], readings[0][-1:]) if last_word else (readings[0][:1],)
        found += [word for word in dict.fromkeys(map(name_skeleton, words)) if word and word not in found]
    return found


def _both_names(givens: Iterable[str], families: Iterable[str]) -> set[str]:
    """Every given name skeleton paired with every family name skeleton."""
    return {_pair(given, family) for given in givens for family in families}


def name_pairs(given: Readings, family: Readings) -> list[tuple[Readings, Readings]]:
    """The given and family names a record gives: as written; a whole name written into
    one field, the other left empty, split after its first word and before its last
    (Arta Berisha; Ana Maria Popescu as Ana and Maria Popescu, Ana Maria and Popescu),
    each part with the other readings of the name that have as many words."""
    if given and family:
        return [(given, family)]
    readings = given or family
    words = len(readings[0]) if readings else 0
    return [
        (tuple(dict.fromkeys(keys[:split] for keys in readings if len(keys) == words)),
         tuple(dict.fromkeys(keys[split:] for keys in readings if len(keys) == words)))
        for split in sorted({1, words - 1}) if 0 < split < words
    ]


def block_keys(
    given: Readings,
    family: Readings,
    father: Readings,
    aliases: Iterable[str],
    other_names: Iterable[str],
    birth: BirthDate | None,
    document_numbers: Iterable[str],
    keyer: Keyer,
    father_within: Iterable[tuple[Readings, Readings, Readings]] = (),
) -> BlockKeys:
    """Keyed blocking keys of one record; ``keyer(purpose, value)`` makes each one secret.

    Every specific key combines at least three features (names and a year, names and
    father, one name with father and year, one name with the date of birth, initials with
    the date of birth) so that its block stays small as the database grows; the names and
    the years a year beyond the record's own are searched only. The two broad
    keys (names only, names without a year) are marked (``b-``, which reveals nothing
    else) and only their most recent members are compared; see the module docstring for
    who joins and who searches them. Names enter with their other readings' skeletons
    (``reading_skeletons``); a typo is tolerated in the name as written. A whole name
    written into one field enters as the given and family names it may be (``name_pairs``).
    A father's name written within the names (``father_within``: given, family and
    father's name as read so) enters as names and father.
    """
    written_pairs = name_pairs(given, family)
    skeleton_pairs = [(reading_skeletons(g), reading_skeletons(f, last_word=True)) for g, f in written_pairs]
    read_names = sorted(set().union(*(_both_names(givens, families) for givens, families in skeleton_pairs)))
    typo_tolerant = set().union(*(_typo_tolerant_names(g[0], f[0]) for g, f in written_pairs))
    given_skeletons, family_skeletons = reading_skeletons(given), reading_skeletons(family, last_word=True)
    names = (list(dict.fromkeys(name for givens, families in skeleton_pairs for name in givens + families))
             or given_skeletons + family_skeletons)
    father_skeletons = reading_skeletons(father)
    years = list(birth.years) if birth else []
    possible_years = list(birth.possible_years) if birth else []
    near_years = list(birth.near_years) if birth else []
    specific: list[tuple[str, str]] = []
    searched_only: list[tuple[str, str]] = []
    joined_broad: list[tuple[str, str]] = []
    searched_broad: list[tuple[str, str]] = []

    for full_name in sorted(typo_tolerant.union(read_names)):
        names_only, names_without_year = ("names", full_name), ("names+no-year", full_name)
        joined_broad.append(names_only)
        if years:
            searched_broad.append(names_without_year)
        else:
            joined_broad.append(names_without_year)
            searched_broad.extend((names_only, names_without_year))
        # An estimated age may be a year off: the names as read also meet the years beside
        # it, and search those a year beyond (a year written a year off).
        as_read = full_name in read_names
        specific.extend(("names+year", f"{full_name}|{year}") for year in (possible_years if as_read else years))
        searched_only.extend(("names+year", f"{full_name}|{year}") for year in (near_years if as_read else ()))
        specific.extend(("names+father", f"{full_name}|{father_skeleton}") for father_skeleton in father_skeletons)
    # A nickname or short form beside the family name; a name from other_names also beside
    # the given name, as a former family name stands (not a short form: all Svetlanas with
    # Ceca beside them would share a block).
    alias_names = {_pair(name_skeleton((alias,)), family_skeleton)
                   for alias in aliases for family_skeleton in family_skeletons}
    alias_names.update(_pair(name_skeleton((name,)), given_skeleton)
                       for name in other_names for given_skeleton in given_skeletons)
    specific.extend(("names+year", f"{alias_name}|{year}") for alias_name in sorted(alias_names) for year in years)
    specific.extend(("name+father+year", f"{name}|{father_skeleton}|{year}")
                    for name in names for father_skeleton in father_skeletons for year in years)
    if birth is not None and birth.is_full:
        birthday = f"{birth.first_year}|" + "-".join(map(str, sorted((birth.month, birth.day))))
        specific.extend(("name+birth", f"{name}|{birthday}") for name in names)
        shortened_families = set().union(*(one_deletion_skeletons(f[0]) for _, f in written_pairs)) - set(names)
        specific.extend(("name+birth", f"{name}|{birthday}") for name in sorted(shortened_families))
        specific.extend(("initials+birth", f"{initials}|{birthday}")
                        for initials in sorted({_pair(g[0], f[0]) for givens, families in skeleton_pairs
                                                for g in givens for f in families}))
    for given_within, family_within, father_named in father_within:
        names_within = _both_names(reading_skeletons(given_within), reading_skeletons(family_within))
        names_within |= _typo_tolerant_names(given_within[0], family_within[0])
        specific.extend(("names+father", f"{full_name}|{father_skeleton}")
                        for full_name in sorted(names_within) for father_skeleton in reading_skeletons(father_named))
    specific.extend(("document", number) for number in document_numbers)

    keys = [keyer(purpose, value) for purpose, value in specific]
    near_keys = [keyer(purpose, value) for purpose, value in searched_only]

    def with_broad(specific_keys: list[str], broad: list[tuple[str, str]]) -> tuple[str, ...]:
        return tuple(dict.fromkeys(specific_keys + [BROAD_PREFIX + keyer(purpose, value) for purpose, value in broad]))

    return BlockKeys(with_broad(keys, joined_broad), with_broad(keys + near_keys, searched_broad))
