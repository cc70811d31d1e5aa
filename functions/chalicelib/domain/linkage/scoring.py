"""Fellegi–Sunter comparison of two record encodings.

Each field is compared to an agreement level; each level has an m-probability (of
being seen when the two records are the same person) and a u-probability (when they
are not). The level contributes ``log2(m / u)``; the score is the sum. A missing value
on either side contributes 0: an unknown date of birth is no evidence either way.

The probabilities are set from what is known about the data, not fitted to a sample
(no labelled national sample exists; see ``evaluate-linkage`` for measured accuracy):

* *m* comes from the error rates of identification records: about one name in five
  is written differently between two institutions (transliteration, a typo, a dropped
  diacritic that survives normalisation), one in 30 family names changes (marriage),
  dates of birth are often estimated, and one in ten places of birth is given as the
  municipality instead of the village.
* *u* is the chance that two different persons agree: the sum of squared frequencies of
  the values. The most frequent given names of the region (Elena, Marija, Fatime…) and
  family names (Krasniqi, Gashi, Popescu, Jovanović…) each cover 1–4 % of people, so
  u(exact) is about 1 % for a given name and 0.8 % for a family name; the region's names
  are rarely a typo apart (Driton / Dritan), so u of a close name or one a letter off is
  0.15–0.2 %; most short forms (Beri, Ceca, Gigi) are nobody's given name, so a given
  name that is the other's short form or among its ``other_names`` agrees by chance
  about 0.1 % of the time. Victims are mostly 12–35 years old: two records placing the
  birth within the same twelve months agree by chance about 4 % of the time (``YEAR``;
  ``AGE`` when one of them gave only an age, which is often estimated and so agrees less
  often for the same person), a year range that allows an estimated age to be a year off
  (``YEAR_RANGE``) about 21 %, years a year beyond that (``NEAR``: a year written a
  year off, an age guessed two off, which one person's records show one time in
  twenty) about 8 % (the twelve months either side, each as likely as ``YEAR``), a full
  date of birth about once in 5,000. Victims come from a few municipalities, so a place
  of birth is shared by chance 4 % of the time. Given names mostly tell the sex
  already; most victims in a national database are its citizens. A victim one institution
  identifies is referred to others, which write her down within days or weeks: about a
  third of the pairs of one person's records were written within a month or so of each
  other, a namesake's about one time in twenty; records written apart weigh nothing, as
  one person is identified again, years later, as often as anyone.

Those u are defaults: with ``Frequencies`` (counts the store keeps), a given or
family name agreeing is weighed by how common that name is in the database, and both
names agreeing by how common the full name is (namesakes are commoner than the two
frequencies multiplied), and two records written in the same weeks by how many records
were; see ``Frequencies``.

The father's name and the place of birth are not independent of the names. Different
persons with the same family name are often siblings or cousins, who share a father's
name and a village far more often than strangers (the ``same_family`` rows). Different
persons with the same given *and* family name (or the same misspelt) are namesakes:
cousins named after one grandparent share a village, but not a father (the
``same_name`` rows).

Names are compared by the Dice coefficient of their Bloom filters (``EXACT``,
``CLOSE``), then by their other readings (normalise.name_readings: ``EXACT``), by their
words (``CONTAINED``: every word of one is a word of the other, a double name written
whole and in part, Ana-Maria / Ana, Popescu-Ionescu / Popescu), then by their spellings
one letter shorter, in any reading or as written (``ONE_LETTER``: a letter wrong,
missing, added or two swapped, which costs short names much of their Dice). Given and
family names are compared straight and, when neither agrees so, crossed (given against
family); the better reading counts, and the result says which was used. A whole name written into one field, the other left
empty, is also read as the given and family names it splits into
(``RecordEncoding.splits``), and the best reading counts: "Berisha Arta" in the given
name compares as Berisha and Arta written apart. A record that gives no father's name apart
may carry it among its names, as Albanian, Serbian and Russian write a full name (Arta
Ilir Berisha, Мария Петровна Иванова: ``RecordEncoding.father_in_name``); when the names
agree, another record's father's name found among those words agrees as a father's name,
and the names are also read without the last word of the name that carries it
(``RecordEncoding.without_father``: Arta Ilir as Arta), and only so when one of the two
gives no father's name apart: one word does not make both the names and the fathers
agree (twins, Mirela Driton and Mimoza Driton). When the other record gives no
father's name, apart or among its names, the word may as well be a second given name:
names that agree only so leave the given names similar (``PARTIAL``), not disagreeing.
Read crossed, which pair is "the given name" depends on the direction of the
comparison; the lower-scoring labelling is taken, so that comparing A with B and B with
A give the same score. ``other_names`` (and known short forms of a given name) enter as
a separate ``alias`` level. A name written as its initial (J., a father's P.) agrees
(``INITIAL``) with a name that starts with a letter it may stand for, and disagrees with
any other: about one person in twelve shares an initial by chance, so an agreeing one
weighs about three and a half bits, less between relatives.

Siblings share family name, father and place but not given name and date of birth;
namesakes share the names but not father, place or date. Both therefore score low. One
rule on top of the sum, because siblings' fields are not independent (same family name
and father imply the same village): two records whose given names do not agree at least
closely (or through an alias) are never linked automatically, however much else agrees
— twins share everything but the given name, and sisters are often named alike
(Driton/Dritan: two established names a letter apart compare as ``PARTIAL``, see
``Frequencies``). Two exceptions: a document number that agrees, and given names
that are merely similar (``PARTIAL``: a typo in a short name) when the whole date of
birth agrees. Sisters born on different days stay apart; twins with similar names are
the one case this lets through, and a reviewer can split them. A given name written as
its initial is no contradiction, but never links automatically (but for a document): J.
stands for Jelena and for her twin Jovana alike. A father's initial that agrees weighs
for the match, but does not stand for a father's name beside an age a year off.

A second rule: an age at identification with no date beside it is often estimated. When
it places the birth a year away from the other record's (``YEAR_RANGE``), names and that
age never link automatically unless the father's name, the place of birth or a document
agrees too, or the records were written within weeks of each other (one referral, whose
clerks estimated the age apart); a reviewer decides. An age that agrees (``AGE``) weighs
less than a written year, and links when the names are rare enough. Two whole dates of
one month more than a slip apart (``MONTH``: 28 and 06 August) mean that one record
wrote the date wrong or that two namesakes were born the same month: they link
automatically only beside a father's name or a document that agrees.

A third: names alone never link automatically, however rare: the date of birth, the
father's name, the place of birth or a document must weigh for the match too. Sex and
citizenship add little, and a name's frequency in a young database says little of how
common it is among people.

Three more, because a field's weight alone understates what it says of relatives and
namesakes. A different sex beside given names that are not the same (Aleksandar and
Aleksandra, Alexandru and Alexandra: the feminine family name reading as the masculine,
normalise.name_readings, makes the family names agree) is a brother and a sister named
alike, not a slip of the sex: such a pair links automatically only through a document.
And places of birth that disagree, beside names and no more than a year or an age (no
whole date of birth, father's name or document agreeing), are namesakes born elsewhere
more often than one person (on 10,000 synthetic records, six such links in eight joined
two persons); a reviewer decides. Fathers' names that disagree, the namesakes' own
mark, let a pair link automatically only through the whole date of birth or a document.

A pair *contradicts* when it would not link on its own (below ``auto_link``) and a field
that one person keeps for life — given name, date of birth, father's name, sex —
disagrees on both sides. Birth years a year apart (``NEAR``) do not disagree, unless the
given names are not the same either: Fatime and Fatmire Gashi, daughters of Bujar, born
a year apart, are sisters more often than one woman whose name and year were both
written wrong. The linker never lets automatic links join two groups of records between
which such a pair lies (``contradicting_fields``), unless another record of the other
group agrees with one of the two on each such field (``agreeing_lifelong_fields``): a
sparse record (names and birth year) that matches two namesakes must not make them one
person, but a father's name or given name misspelt in one record of a person is answered
by the records that write it right. A name misspelt two ways (aNtaša and Nakaša; a
father's ARDU where another record writes R.) is answered by the link's own ends when
each of the two is written alike with the end on its side, and the ends with each other
(``answered_by_chain``: a father's initial counts once in that chain, and a twin's family
name written within the other twin's whole name agrees with it but is no spelling of it).

``complete`` weighs a record against a whole person: each field but the names is taken
at its strongest among the person's records, so that one record's father and another's
place of birth add up.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from enum import Enum
from typing import Any, Iterable, Mapping, Sequence

from chalicelib.domain.linkage.encoding import Name, RecordEncoding


class Level(str, Enum):
    EXACT = "exact"
    CLOSE = "close"
    ONE_LETTER = "one_letter"
    CONTAINED = "contained"
    TRANSPOSED = "transposed"
    ALIAS = "alias"
    INITIAL = "initial"
    YEAR = "year"
    AGE = "age"
    YEAR_RANGE = "year_range"
    MONTH = "month"
    NEAR = "near"
    PARTIAL = "partial"
    DISAGREE = "disagree"
    MISSING = "missing"


class Decision(str, Enum):
    LINK = "link"
    REVIEW = "review"
    DISTINCT = "distinct"


EXACT_DICE = 0.99
CLOSE_DICE = 0.72
PARTIAL_DICE = 0.55
ALIAS_DICE = 0.90

DEFAULT_PROBABILITIES: Mapping[str, Mapping[Level, tuple[float, float]]] = {
    "given_name": {
        Level.EXACT: (0.82, 0.012),
        Level.CLOSE: (0.07, 0.002),
        Level.ONE_LETTER: (0.04, 0.0015),
        Level.CONTAINED: (0.02, 0.001),
        Level.ALIAS: (0.02, 0.001),
        Level.INITIAL: (0.01, 0.0008),
        Level.PARTIAL: (0.01, 0.01),
        Level.DISAGREE: (0.02, 0.9705),
    },
    "family_name": {
        Level.EXACT: (0.80, 0.008),
        Level.CLOSE: (0.08, 0.002),
        Level.ONE_LETTER: (0.04, 0.0015),
        Level.CONTAINED: (0.02, 0.001),
        Level.ALIAS: (0.02, 0.002),
        Level.INITIAL: (0.01, 0.0008),
        Level.PARTIAL: (0.01, 0.01),
        Level.DISAGREE: (0.03, 0.9755),
    },
    "father_name": {
        Level.EXACT: (0.80, 0.015),
        Level.CLOSE: (0.08, 0.006),
        Level.ONE_LETTER: (0.03, 0.004),
        Level.INITIAL: (0.02, 0.0019),
        Level.PARTIAL: (0.04, 0.04),
        Level.DISAGREE: (0.08, 0.939),
    },
    "birth_date": {
        Level.EXACT: (0.75, 0.0002),
        Level.TRANSPOSED: (0.03, 0.00005),
        Level.CLOSE: (0.06, 0.003),
        Level.YEAR: (0.92, 0.04),
        Level.AGE: (0.70, 0.045),
        Level.YEAR_RANGE: (0.60, 0.21),
        Level.NEAR: (0.05, 0.08),
        Level.DISAGREE: (0.01, 0.50),
    },
    # Two full dates that differ in year and in month or day are rarely one person's: a
    # slip of one digit leaves the year and month, or the month and day, alike, or moves
    # the date by a few days (CLOSE; encoding, birth_date_slips). Days of one month
    # further apart (28 and 06) are seldom one person's day written wrong, and namesakes
    # born in the same month are not rare: they weigh little, contradict nothing (MONTH).
    "birth_date|full_dates": {
        Level.EXACT: (0.75, 0.0002),
        Level.TRANSPOSED: (0.03, 0.00005),
        Level.CLOSE: (0.06, 0.003),
        Level.MONTH: (0.01, 0.003),
        Level.DISAGREE: (0.01, 0.95),
    },
    "place_of_birth": {
        Level.EXACT: (0.80, 0.04),
        Level.CLOSE: (0.08, 0.02),
        Level.DISAGREE: (0.12, 0.94),
    },
    # Among different persons with the same family name many are siblings or cousins:
    # they share a father's name and a village far more often than strangers do.
    # Namesakes (same given and family name) are cousins rather than siblings.
    "father_name|same_name": {
        Level.EXACT: (0.80, 0.03),
        Level.CLOSE: (0.08, 0.01),
        Level.ONE_LETTER: (0.03, 0.006),
        Level.INITIAL: (0.02, 0.0022),
        Level.PARTIAL: (0.04, 0.04),
        Level.DISAGREE: (0.08, 0.92),
    },
    "place_of_birth|same_name": {
        Level.EXACT: (0.80, 0.10),
        Level.CLOSE: (0.08, 0.03),
        Level.DISAGREE: (0.12, 0.87),
    },
    "father_name|same_family": {
        Level.EXACT: (0.80, 0.10),
        Level.CLOSE: (0.08, 0.02),
        Level.ONE_LETTER: (0.03, 0.015),
        Level.INITIAL: (0.02, 0.0034),
        Level.PARTIAL: (0.04, 0.04),
        Level.DISAGREE: (0.08, 0.84),
    },
    "place_of_birth|same_family": {
        Level.EXACT: (0.80, 0.25),
        Level.CLOSE: (0.08, 0.04),
        Level.DISAGREE: (0.12, 0.71),
    },
    # A victim identified by one institution is referred to others, which write her down
    # within days or weeks: about a third of the pairs of one person's records were
    # written within a month or so of each other (``EXACT``; Encoder._identified), and a
    # namesake's records that close by chance about one time in twenty, in a database of
    # some years (the share of records identified then, when the store's counts are
    # known: Frequencies.identified_together). Records identified months or years apart
    # are one person's too, identified again, as often as anyone's: no evidence either way.
    "identification_date": {
        Level.EXACT: (0.30, 0.05),
        Level.DISAGREE: (0.70, 0.70),
    },
    "documents": {
        Level.EXACT: (0.95, 0.0005),
        Level.DISAGREE: (0.40, 0.9995),
    },
    # Given names mostly tell the sex already, so agreeing adds little; a different sex
    # (a brother and sister named alike, Jovan / Jovana) weighs against.
    "sex": {
        Level.EXACT: (0.99, 0.95),
        Level.DISAGREE: (0.01, 0.05),
    },
    # Most victims in a national database are its citizens: agreeing says little, a
    # different citizenship (a Kosovo and an Albanian namesake) more. Dual citizens and
    # records naming one of two citizenships make it disagree now and then.
    "citizenship": {
        Level.EXACT: (0.96, 0.80),
        Level.DISAGREE: (0.04, 0.20),
    },
}


@dataclass(frozen=True)
class Thresholds:
    """Scores (log2 likelihood ratios) at or above ``auto_link`` link, at or above
    ``review`` go to a reviewer, below make a new person.

    With the default weights, both names agreeing (with sex and citizenship) score 13.
    ``auto_link`` = 16 needs one more independent agreement besides: a full date of
    birth, a written birth year (17.6), the father's name (17.8) or the place of birth
    (16.1); or a given name misspelt by a letter with the family name and the birth year
    (16.2); or an agreeing age at identification (17.0). Names with an age a year off go
    to review whatever they score, and so do names alone, however rare (``classify``).
    ``review`` = 13 keeps siblings and a single name out of the queue, and names alone in
    it. A name common in the database weighs less (``Frequencies``): then the same
    evidence goes to review.

    The auto-link threshold moves by log2(records / ``reference_records``) with the size
    of the database (``for_database``); above the reference the review threshold rises
    with it. The weights are likelihood ratios; the prior odds that two records are one
    person fall as one over the number of records, so as the database grows more
    namesakes share a name and a birth year, and the same evidence must buy less; in a
    smaller database it buys more. Below the reference the auto-link threshold falls no
    lower than ``lowest_auto_link``: the weights are set from what is known of the data,
    not fitted, and a young database is too small to show where they err. The review
    threshold stays. ``evaluate-linkage`` at 2,000, 10,000 and 50,000 records shows the
    effect.
    """

    auto_link: float = 16.0
    review: float = 13.0
    reference_records: int = 10_000
    lowest_auto_link: float = 15.0

    def __post_init__(self) -> None:
        if self.review > self.auto_link:
            raise ValueError("the review threshold must not exceed the auto-link threshold")

    def for_database(self, records: int) -> "Thresholds":
        """The thresholds for a database of ``records`` records (see the class docstring)."""
        change = math.log2(max(records, 1) / self.reference_records)
        if change >= 0:
            return replace(self, auto_link=self.auto_link + change, review=self.review + change)
        lowest = max(min(self.auto_link, self.lowest_auto_link), self.review)
        return replace(self, auto_link=max(self.auto_link + change, lowest))


@dataclass(frozen=True)
class FieldComparison:
    field: str
    level: Level
    weight: float


@dataclass(frozen=True)
class Comparison:
    """What a reviewer sees: each field's agreement level and weight, and the total."""

    fields: tuple[FieldComparison, ...]
    score: float
    names_swapped: bool = False
    _levels: Mapping[str, Level] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_levels", {f.field: f.level for f in self.fields})

    def level(self, field: str) -> Level:
        return self._levels[field]

    @property
    def given_names_differ(self) -> bool:
        """The given names do not positively agree (crossed readings count both ways).

        Read crossed, which of the two names is the given one depends on the direction
        of the comparison, so either one failing to agree counts.
        """
        return any(level in (Level.PARTIAL, Level.DISAGREE) for level in self._given_name_levels)

    @property
    def given_name_initial(self) -> bool:
        """A given name is written as its initial, which many names share."""
        return Level.INITIAL in self._given_name_levels

    @property
    def given_names_contradict(self) -> bool:
        """The given names are not even similar (crossed readings count both ways)."""
        return Level.DISAGREE in self._given_name_levels

    @property
    def _given_name_levels(self) -> tuple[Level, ...]:
        fields = ("given_name", "family_name") if self.names_swapped else ("given_name",)
        return tuple(self.level(field) for field in fields)

    def to_dict(self) -> dict[str, Any]:
        return {
            "score": round(self.score, 2),
            "names_swapped": self.names_swapped,
            "fields": {f.field: {"level": f.level.value, "weight": round(f.weight, 2)} for f in self.fields},
        }


def _same_spelling(mine: Name, theirs: Name) -> bool:
    """One name is the other as written or in one of its other readings."""
    if mine.spelling is None or theirs.spelling is None:
        return False
    return (mine.spelling == theirs.spelling or mine.spelling in theirs.readings
            or theirs.spelling in mine.readings or not mine.readings.isdisjoint(theirs.readings))


def _words(name: Name) -> frozenset[bytes]:
    """The spelling of each word of a name; a name of one word is that word."""
    return name.words or (frozenset({name.spelling}) if name.spelling is not None else frozenset())


def _contained(mine: Name, theirs: Name) -> bool:
    """Every word of one name is a word of the other, which has more (Ana and Ana-Maria,
    Popescu and Popescu-Ionescu): a double name written whole and in part. A name of one
    word may be so in another reading (Николай and Nicolae-Vasile)."""
    if not (mine.words or theirs.words):
        return False
    my_words, their_words = _words(mine), _words(theirs)
    if not (my_words and their_words):
        return False
    if my_words < their_words or their_words < my_words:
        return True
    if mine.words and theirs.words:
        return False
    one_word, several = (theirs, my_words) if mine.words else (mine, their_words)
    return not one_word.readings.isdisjoint(several)


def _name_level(a: RecordEncoding, mine: str, b: RecordEncoding, theirs: str, other_forms: bool = True) -> Level:
    """Dice of two name fields (``"given"``, ``"family"``, ``"father"``) or the same
    spelling in another reading; with ``other_forms``, one name's words among the
    other's; then Dice again and one letter apart; with ``other_forms``, one name among
    the other's aliases."""
    my_name, their_name = a.names[mine], b.names[theirs]
    if my_name.initials or their_name.initials:
        return _initial_level(my_name, their_name)
    both_written = my_name.bloom is not None and their_name.bloom is not None
    direct = my_name.bloom.dice(their_name.bloom) if both_written else None
    if direct is not None and direct >= EXACT_DICE or _same_spelling(my_name, their_name):
        return Level.EXACT
    if other_forms and _contained(my_name, their_name):
        return Level.CONTAINED
    if direct is not None and direct >= CLOSE_DICE:
        return Level.CLOSE
    if not my_name.neighbours.isdisjoint(their_name.neighbours):
        return Level.ONE_LETTER
    if other_forms and _alias_agrees(a, mine, b, theirs):
        return Level.ALIAS
    if direct is None:
        return Level.MISSING
    return Level.PARTIAL if direct >= PARTIAL_DICE else Level.DISAGREE


def _initial_level(mine: Name, theirs: Name) -> Level:
    """A name written as its initial agrees (``INITIAL``) with a name starting with a letter
    it may stand for, or with the same initial; any other name disagrees."""
    if mine.initials and theirs.initials:
        agrees = not set(mine.initials).isdisjoint(theirs.initials)
    else:
        initials, name = (mine.initials, theirs.bloom) if mine.initials else (theirs.initials, mine.bloom)
        if name is None:
            return Level.MISSING
        agrees = any(initial.within(name) for initial in initials)
    return Level.INITIAL if agrees else Level.DISAGREE


def _alias_agrees(a: RecordEncoding, mine: str, b: RecordEncoding, theirs: str) -> bool:
    """One name is among the other record's aliases (``other_names``, known short forms)."""
    return any(
        bloom.dice(alias) >= ALIAS_DICE
        for bloom, others in ((a.names[mine].bloom, b.aliases), (b.names[theirs].bloom, a.aliases))
        if bloom is not None
        for alias in others
    )


def _father_named_in(father_of: RecordEncoding, names_of: RecordEncoding) -> bool:
    """One record's father's name, not its own given or family name, is a word of the
    other's names (``RecordEncoding.father_in_name``)."""
    father = father_of.names["father"]
    if father.spelling is None or father.spelling in father_of.name_spellings:
        return False
    found = names_of.father_in_name
    return father.spelling in found or not father.readings.isdisjoint(found)


def _father_level(a: RecordEncoding, b: RecordEncoding, named_in_agreeing_names: bool) -> Level:
    """The fathers' names compared; one given apart agrees if the other record's names,
    agreeing, hold it."""
    level = _name_level(a, "father", b, "father", other_forms=False)
    return Level.EXACT if level is Level.MISSING and named_in_agreeing_names else level


MONTHS_APART_WITHIN_A_YEAR = 12


def _birth_level(a: RecordEncoding, b: RecordEncoding) -> Level:
    """Full dates compare day by day: alike, day and month swapped, a slip (the same
    month and day, a day a digit off or a few days apart, the first of the month
    written for a day not known: ``CLOSE``; encoding, ``birth_date_slips``), the same
    month only (``MONTH``), or not; otherwise the months each record allows.

    When the two records place the birth within the same twelve months or so (the months
    they allow overlap, and those allowed by one only are at most twelve: a date within
    a written year, an age at identification that agrees with a date, two ages whose
    identification dates are months apart), that is ``YEAR`` if both wrote the date or
    year, ``AGE`` if one gave only an age, which may have been estimated. Otherwise
    overlapping years are ``YEAR_RANGE``. Years that do not overlap but lie a year apart
    (``BirthDate.near_years``: a year written a year off, an age guessed two off) are
    ``NEAR``, which weighs a little against and, unlike ``DISAGREE``, contradicts nothing.
    A date of 1 January is read as its year alone (normalise.birth_date).
    """
    if not a.birth_years or not b.birth_years:
        return Level.MISSING
    if a.birth_date is not None and b.birth_date is not None:
        if a.birth_date == b.birth_date:
            return Level.EXACT
        if a.birth_date_unordered == b.birth_date_unordered:
            return Level.TRANSPOSED
        if a.birth_month_day == b.birth_month_day or a.birth_date_slips & b.birth_date_slips:
            return Level.CLOSE
        return Level.MONTH if a.birth_months == b.birth_months else Level.DISAGREE
    if not a.birth_years & b.birth_years:
        near = a.near_birth_years & b.birth_years or b.near_birth_years & a.birth_years
        return Level.NEAR if near else Level.DISAGREE
    shared = len(a.birth_months & b.birth_months)
    if shared and len(a.birth_months) + len(b.birth_months) - 2 * shared <= MONTHS_APART_WITHIN_A_YEAR:
        return Level.YEAR if a.birth_year_stated and b.birth_year_stated else Level.AGE
    return Level.YEAR_RANGE


def _identified_level(a: RecordEncoding, b: RecordEncoding) -> Level:
    """Identified within a month or so of each other (``EXACT``; Encoder._identified) or not."""
    if not a.identified or not b.identified:
        return Level.MISSING
    return Level.EXACT if a.identified & b.identified else Level.DISAGREE


def _sex_level(a: RecordEncoding, b: RecordEncoding) -> Level:
    if a.sex is None or b.sex is None:
        return Level.MISSING
    return Level.EXACT if a.sex == b.sex else Level.DISAGREE


def _citizenship_level(a: RecordEncoding, b: RecordEncoding) -> Level:
    if not a.citizenships or not b.citizenships:
        return Level.MISSING
    return Level.EXACT if a.citizenships & b.citizenships else Level.DISAGREE


def _place_level(a: RecordEncoding, b: RecordEncoding) -> Level:
    if a.place is None or b.place is None:
        return Level.MISSING
    dice = a.place.dice(b.place)
    if dice >= EXACT_DICE:
        return Level.EXACT
    return Level.CLOSE if dice >= CLOSE_DICE or a.place_neighbours & b.place_neighbours else Level.DISAGREE


def _documents_level(a: RecordEncoding, b: RecordEncoding) -> Level:
    if not a.documents or not b.documents:
        return Level.MISSING
    if {d.number for d in a.documents} & {d.number for d in b.documents}:
        return Level.EXACT
    if {d.kind for d in a.documents} & {d.kind for d in b.documents}:
        return Level.DISAGREE
    return Level.MISSING


_NAME_AGREES = frozenset({Level.EXACT, Level.CLOSE, Level.ONE_LETTER, Level.CONTAINED})
_SAME_GIVEN_NAME = _NAME_AGREES | {Level.ALIAS}


def _both_names_agree(given: FieldComparison, family: FieldComparison) -> bool:
    return given.level in _NAME_AGREES and family.level in _NAME_AGREES


def _relatedness(given: Level, family: Level, swapped: bool) -> str:
    """Which population the non-matches come from: namesakes, relatives or anyone.

    Read crossed, either name may be the given one, so both must agree as a given name.
    """
    same_given = given in _SAME_GIVEN_NAME and (not swapped or family in _SAME_GIVEN_NAME)
    family_agrees = family in _NAME_AGREES or (swapped and given in _NAME_AGREES)
    if family_agrees and same_given:
        return "same_name"
    return "same_family" if family_agrees else ""


_AGE_A_YEAR_OFF = Level.YEAR_RANGE
_TYPO_APART = frozenset({Level.CLOSE, Level.ONE_LETTER})
_FATHER_OR_DOCUMENT = ("father_name", "documents")
_CORROBORATING_FIELDS = (*_FATHER_OR_DOCUMENT, "place_of_birth", "identification_date")
_CORROBORATES = frozenset({Level.EXACT, Level.CLOSE, Level.ONE_LETTER})
_LIFELONG_FIELDS = ("given_name", "birth_date", "father_name", "sex")
_ANSWERS_DISAGREEMENT = {
    "birth_date": frozenset({Level.EXACT, Level.TRANSPOSED, Level.CLOSE}),
    "father_name": _CORROBORATES,
    "sex": frozenset({Level.EXACT}),
}
_BESIDE_THE_NAMES = ("birth_date", *_CORROBORATING_FIELDS)
_COMPLETED_FIELDS = frozenset(
    {"father_name", "birth_date", "place_of_birth", "documents", "citizenship", "identification_date"}
)


PRIOR_RECORDS = 2000
MAX_RARITY_GAIN = 4
ESTABLISHED_NAME_RECORDS = 2
MISSPELLING_SHARE = 0.1
SHARING_PERIODS, HELD_PERIODS = 3, 4


@dataclass(frozen=True)
class Frequencies:
    """How many records write each name spelling, or were identified in each period, out
    of how many records.

    A name that agrees is weighed by how common it is in the database (term frequency):
    two records sharing a name few others have are likelier one person than two sharing
    the most common one. The u-probabilities of a given or family name agreeing (exactly,
    closely or one letter apart) are scaled by the share of records writing it, the more
    common of the two spellings, against the default u of the table. The share is blended
    with that default, which counts as ``PRIOR_RECORDS`` records, so that a young database
    weighs names as the table does; a rare name weighs at most ``MAX_RARITY_GAIN`` times
    more than the default says. Both names agreeing weigh by the share of records writing
    the full name, blended with what the two names' shares say: namesakes are commoner
    than the two shares multiplied, and a full name that other persons have already
    written weighs less as the database grows.

    Two spellings a letter or a few apart are two names (Driton / Dritan, Jovana / Ivana),
    not one name misspelt, when each is held by at least ``ESTABLISHED_NAME_RECORDS``
    records and the rarer by at least ``MISSPELLING_SHARE`` of the commoner's records (a
    common name's misspellings recur, but far less often than the name): they compare as
    ``PARTIAL``, or as ``ALIAS`` when one is the other's short form (Moza / Mimoza).

    Records identified in the same weeks (``identified_together``) are weighed so too:
    in a young database, or in weeks when many victims were identified, it is common.

    The counts must leave out the records of the two persons compared (``without``): a
    person's own records say nothing of how common the name is among others.
    """

    records: int
    counts: Mapping[bytes, int]

    def without(self, *encodings: RecordEncoding) -> "Frequencies":
        counts = dict(self.counts)
        for encoding in encodings:
            for token in encoding.counted_tokens & counts.keys():
                counts[token] = max(counts[token] - 1, 0)
        return Frequencies(max(self.records - len(encodings), 0), counts)

    def identified_together(self, a: RecordEncoding, b: RecordEncoding, prior: float) -> float:
        """The share of the records identified in the same weeks as one of two records,
        the larger, blended with ``prior`` as names are.

        Each record holds the tokens of two periods (Encoder._identified); the records
        sharing one with it are those of three periods, and the two tokens' counts add up
        to about four periods' records.
        """
        records_then = [
            SHARING_PERIODS / HELD_PERIODS * sum(self.counts[token] for token in encoding.identified)
            for encoding in (a, b) if encoding.identified <= self.counts.keys()
        ]
        return self._blended(max(records_then), prior) if records_then else prior

    def rarity(self, first: bytes | None, second: bytes | None, prior: float, default: float) -> float:
        """The share of the records writing the more common of two spellings, blended
        with ``prior``, as a multiple of ``default``."""
        known = [self.counts[s] for s in (first, second) if s is not None and s in self.counts]
        if not known:
            return prior / default
        return max(self._blended(max(known), prior) / default, 1 / MAX_RARITY_GAIN)

    def _blended(self, holding: float, prior: float) -> float:
        """The share of the records that ``holding`` records make, blended with ``prior``
        as if ``PRIOR_RECORDS`` more records held it at that share."""
        return (holding + PRIOR_RECORDS * prior) / (self.records + PRIOR_RECORDS)

    def two_names(self, first: bytes | None, second: bytes | None) -> bool:
        """Both spellings are established names, neither a misspelling of the other."""
        if first is None or second is None:
            return False
        counts = sorted((self.counts.get(first, 0), self.counts.get(second, 0)))
        return counts[0] >= max(ESTABLISHED_NAME_RECORDS, MISSPELLING_SHARE * counts[1])


class FellegiSunter:
    """Scores pairs of encodings and classifies them against thresholds."""

    def __init__(
        self,
        probabilities: Mapping[str, Mapping[Level, tuple[float, float]]] = DEFAULT_PROBABILITIES,
    ) -> None:
        self.weights = {
            field: {level: math.log2(m / u) for level, (m, u) in levels.items()}
            for field, levels in probabilities.items()
        }
        self._probabilities = probabilities
        self._weights = {
            (field, condition): self.weights.get(f"{field}|{condition}", self.weights[field])
            for field in {row.split("|")[0] for row in self.weights}
            for condition in ("", "same_name", "same_family", "full_dates")
        }

    def _field(self, field: str, level: Level, condition: str = "") -> FieldComparison:
        weight = 0.0 if level is Level.MISSING else self._weights[field, condition][level]
        return FieldComparison(field, level, weight)

    def _name_field(
        self, field: str, a: RecordEncoding, mine: str, b: RecordEncoding, theirs: str,
        frequencies: Frequencies | None,
    ) -> FieldComparison:
        """A given or family name field, weighed by how common the name is (Frequencies)."""
        level = _name_level(a, mine, b, theirs)
        if frequencies is None or level not in _NAME_AGREES:
            return self._field(field, level)
        my_spelling, their_spelling = a.names[mine].spelling, b.names[theirs].spelling
        if level in _TYPO_APART and frequencies.two_names(my_spelling, their_spelling):
            return self._field(field, Level.ALIAS if _alias_agrees(a, mine, b, theirs) else Level.PARTIAL)
        m, u = self._probabilities[field][level]
        default = self._probabilities[field][Level.EXACT][1]
        rarity = frequencies.rarity(my_spelling, their_spelling, default, default)
        return FieldComparison(field, level, math.log2(m / (u * rarity)))

    def _full_name(
        self, given: FieldComparison, family: FieldComparison, a: RecordEncoding, b: RecordEncoding,
        frequencies: Frequencies,
    ) -> tuple[FieldComparison, FieldComparison]:
        """Both names agreeing weigh by how common the full name is, not each name alone:
        namesakes are commoner than the two names' frequencies multiplied."""
        (m_given, u_given), (m_family, u_family) = (
            self._probabilities[f.field][f.level] for f in (given, family)
        )
        default = self._probabilities["given_name"][Level.EXACT][1] * self._probabilities["family_name"][Level.EXACT][1]
        each_alone = m_given * m_family / 2 ** (given.weight + family.weight) / (u_given * u_family)
        rarity = frequencies.rarity(a.full_name_spelling, b.full_name_spelling, default * each_alone, default)
        change = (math.log2(m_given * m_family / (u_given * u_family * rarity)) - given.weight - family.weight) / 2
        return (FieldComparison(given.field, given.level, given.weight + change),
                FieldComparison(family.field, family.level, family.weight + change))

    def _names(
        self, a: RecordEncoding, b: RecordEncoding, frequencies: Frequencies | None, father_in_names: bool,
        father_only_in_names: bool,
    ) -> tuple[FieldComparison, FieldComparison, bool]:
        """The names as written, or as a whole name written into one field splits into
        (``RecordEncoding.splits``), or, when they hold the other record's father's name,
        without it (``RecordEncoding.without_father``): whichever reading agrees best.
        When one of the two gives no father's name apart (``father_only_in_names``), the
        names holding the other's father's name are read without it only: the word that
        makes the fathers agree must not also make the names alike (Mirela Driton and
        Mimoza Driton, twins)."""
        mine, theirs = (
            self._readings(record, other, father_in_names, father_only_in_names) for record, other in ((a, b), (b, a))
        )
        given, family, swapped = max(
            (self._names_read(my_names, their_names, frequencies) for my_names in mine for their_names in theirs),
            key=lambda names: names[0].weight + names[1].weight,
        )
        if given.level is Level.DISAGREE and not swapped and (
            self._agree_without_last_word(a, b) or self._agree_without_last_word(b, a)
        ):
            given = self._field("given_name", Level.PARTIAL)
        return given, family, swapped

    @staticmethod
    def _readings(record: RecordEncoding, other: RecordEncoding, father_in_names: bool,
                  father_only_in_names: bool) -> tuple[RecordEncoding, ...]:
        """The readings of one record's names that ``_names`` compares (see there)."""
        if father_only_in_names and record.without_father and _father_named_in(other, record):
            return record.without_father
        return (record, *record.splits, *(record.without_father if father_in_names else ()))

    def _agree_without_last_word(self, longer: RecordEncoding, shorter: RecordEncoding) -> bool:
        """Names of three words or more, read without the last word of the name that holds
        it (``RecordEncoding.without_father``), agree with a given and a family name alone,
        no father's name given apart: the word may be the father's name or a second given
        name, so the given names are only similar (``PARTIAL``), not contradicting: Rezatra
        Perparim and Rrezarta, the one misspelt, the other without her father's name."""
        if shorter.father_in_name or shorter.names["father"].spelling is not None:
            return False
        return any(
            _both_names_agree(given, family) and not swapped
            for given, family, swapped in (self._names_read(names, shorter, None) for names in longer.without_father)
        )

    def _names_read(
        self, a: RecordEncoding, b: RecordEncoding, frequencies: Frequencies | None
    ) -> tuple[FieldComparison, FieldComparison, bool]:
        straight = (
            self._name_field("given_name", a, "given", b, "given", frequencies),
            self._name_field("family_name", a, "family", b, "family", frequencies),
        )
        given, family, swapped = straight[0], straight[1], False
        both_written = a.given is not None and a.family is not None and b.given is not None and b.family is not None
        if both_written and given.level not in _NAME_AGREES and family.level not in _NAME_AGREES:
            crossed = min(
                (
                    (self._name_field("given_name", a, "given", b, "family", frequencies),
                     self._name_field("family_name", a, "family", b, "given", frequencies)),
                    (self._name_field("given_name", a, "family", b, "given", frequencies),
                     self._name_field("family_name", a, "given", b, "family", frequencies)),
                ),
                key=lambda fields: fields[0].weight + fields[1].weight,
            )
            swapped = crossed[0].weight + crossed[1].weight > given.weight + family.weight
            if swapped:
                given, family = crossed
        if frequencies is not None and _both_names_agree(given, family):
            given, family = self._full_name(given, family, a, b, frequencies)
        return given, family, swapped

    def compare(self, a: RecordEncoding, b: RecordEncoding, frequencies: Frequencies | None = None) -> Comparison:
        """Field by field; with ``frequencies``, names weigh by how common they are."""
        father_in_names = _father_named_in(a, b) or _father_named_in(b, a)
        father_only_in_names = father_in_names and _father_level(a, b, False) is Level.MISSING
        given, family, swapped = self._names(a, b, frequencies, father_in_names, father_only_in_names)
        condition = _relatedness(given.level, family.level, swapped)
        father_in_agreeing_names = father_in_names and _both_names_agree(given, family)
        fields = (
            given,
            family,
            self._field("father_name", _father_level(a, b, father_in_agreeing_names), condition),
            self._field("birth_date", _birth_level(a, b), "full_dates" if a.birth_date and b.birth_date else ""),
            self._field("place_of_birth", _place_level(a, b), condition),
            self._field("documents", _documents_level(a, b)),
            self._field("sex", _sex_level(a, b)),
            self._field("citizenship", _citizenship_level(a, b)),
            self._identified_field(a, b, frequencies),
        )
        return Comparison(fields, sum(f.weight for f in fields), swapped)

    def _identified_field(self, a: RecordEncoding, b: RecordEncoding,
                          frequencies: Frequencies | None) -> FieldComparison:
        """Identified in the same weeks, weighed by how many records were (Frequencies):
        when most were, one person's records were too, and it says nothing."""
        level = _identified_level(a, b)
        if frequencies is None or level is not Level.EXACT:
            return self._field("identification_date", level)
        m, u = self._probabilities["identification_date"][Level.EXACT]
        together = frequencies.identified_together(a, b, u)
        return FieldComparison("identification_date", level, math.log2(max(m, together) / together))

    @staticmethod
    def complete(best: Comparison, others: Iterable[Comparison]) -> Comparison:
        """``best`` with each field but the names at its strongest among ``best`` and
        ``others``: the comparisons of one record with every record of one person."""
        strongest = {compared.field: compared for compared in best.fields}
        for other in others:
            for compared in other.fields:
                current = strongest[compared.field]
                if compared.field in _COMPLETED_FIELDS and compared.level is not Level.MISSING and (
                    current.level is Level.MISSING or compared.weight > current.weight
                ):
                    strongest[compared.field] = compared
        completed = tuple(strongest[compared.field] for compared in best.fields)
        return Comparison(completed, sum(compared.weight for compared in completed), best.names_swapped)

    @staticmethod
    def contradicts(comparison: Comparison, thresholds: Thresholds) -> bool:
        """Would not link, and a field one person keeps for life disagrees, or given names
        that are not the same are born a year apart (module docstring)."""
        return bool(FellegiSunter.contradicting_fields(comparison, thresholds))

    @staticmethod
    def contradicting_fields(comparison: Comparison, thresholds: Thresholds) -> frozenset[str]:
        """The lifelong fields on which a pair contradicts (``contradicts``), if any."""
        if comparison.score >= thresholds.auto_link:
            return frozenset()
        fields = {field for field in _LIFELONG_FIELDS if comparison.level(field) is Level.DISAGREE}
        if comparison.given_names_differ and comparison.level("birth_date") is Level.NEAR:
            fields.add("given_name")
        return frozenset(fields)

    @staticmethod
    def agreeing_lifelong_fields(comparison: Comparison) -> frozenset[str]:
        """The lifelong fields that agree as one person's do: a given name that is the
        same, a father's name written alike or a letter apart (not an initial, which many
        fathers share), a whole date of birth alike or a digit apart, the same sex."""
        fields = {compared.field for compared in comparison.fields
                  if compared.level in _ANSWERS_DISAGREEMENT.get(compared.field, ())}
        same_given_name = comparison.level("given_name") in _SAME_GIVEN_NAME and not comparison.given_names_differ
        return frozenset(fields | ({"given_name"} if same_given_name else set()))

    @staticmethod
    def answered_by_chain(contradiction: Comparison, chain: Sequence[Comparison]) -> frozenset[str]:
        """The lifelong fields on which ``chain``, the comparisons that lead from one record
        of a contradicting pair to the other, shows one value written two ways: each
        comparison agreeing on it (``agreeing_lifelong_fields``), a given name as a
        spelling, not only as a part or a short form of the other (Bytyqi within "Ilirjana
        Bytyqi": a twin's family name), a father's name as its initial in one comparison
        at most (ARDU is Radu, for whom R. stands; but A. stands for Andrei and Alexandru
        alike). None across birth years a year apart, where two sisters named alike
        (Fatime, Fatmire) meet in one misspelt record."""
        if not chain or contradiction.level("birth_date") is Level.NEAR:
            return frozenset()
        initials = [compared.level("father_name") is Level.INITIAL for compared in chain]
        fields = frozenset.intersection(*(
            FellegiSunter.agreeing_lifelong_fields(compared) | ({"father_name"} if initial else frozenset())
            for compared, initial in zip(chain, initials)
        ))
        if any(compared.level("given_name") not in _CORROBORATES for compared in chain):
            fields -= {"given_name"}
        return fields - {"father_name"} if sum(initials) > 1 else fields

    @staticmethod
    def _birth_allows(comparison: Comparison, father_or_document: bool) -> bool:
        """An age a year off links only beside a father's name, a place of birth, a
        document or records written in the same weeks; two whole dates of one month more
        than a slip apart only beside a father's name or a document (module docstring)."""
        birth = comparison.level("birth_date")
        if birth is _AGE_A_YEAR_OFF:
            return any(
                compared.level in _CORROBORATES and compared.weight > 0
                for compared in comparison.fields if compared.field in _CORROBORATING_FIELDS
            )
        return father_or_document if birth is Level.MONTH else True

    @staticmethod
    def classify(comparison: Comparison, thresholds: Thresholds) -> Decision:
        documents_agree = comparison.level("documents") is Level.EXACT
        birthday_agrees = comparison.level("birth_date") in (Level.EXACT, Level.TRANSPOSED)
        given_names_allow = not comparison.given_name_initial and (
            not comparison.given_names_differ or birthday_agrees and not comparison.given_names_contradict
        )
        father_or_document = any(comparison.level(field) in _CORROBORATES for field in _FATHER_OR_DOCUMENT)
        birth_allows = FellegiSunter._birth_allows(comparison, father_or_document)
        more_than_names = any(
            compared.weight > 0 for compared in comparison.fields if compared.field in _BESIDE_THE_NAMES
        )
        sexes_allow = (comparison.level("sex") is not Level.DISAGREE
                       or comparison.level("given_name") is Level.EXACT)
        place_allows = comparison.level("place_of_birth") is not Level.DISAGREE or birthday_agrees or father_or_document
        father_allows = comparison.level("father_name") is not Level.DISAGREE or birthday_agrees or documents_agree
        if (comparison.score >= thresholds.auto_link and birth_allows and more_than_names
                and place_allows and father_allows
                and (documents_agree or given_names_allow and sexes_allow)):
            return Decision.LINK
        if comparison.score >= thresholds.review:
            return Decision.REVIEW
        return Decision.DISTINCT
