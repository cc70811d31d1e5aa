"""Normalisation of identity fields as this region writes them.

Names of the same person reach us in Albanian, Serbian Latin, Serbian (or Macedonian,
Russian, Moldovan) Cyrillic and Romanian, with or without diacritics, typed on keyboards
that lack them. Three layers, each built on the previous one:

``fold``
    Cyrillic to Latin, diacritics, case, punctuation, hyphens, zero-width and combining
    characters removed: plain ASCII words. "Красники" and "Krasniqi" still differ here.

``spelling_key``
    One spelling for the sounds that the region's orthographies write differently.
    Every class below gathers letters that one person's name is actually written with,
    by different clerks, keyboards or alphabets:

    ====================  ===========================================================
    class (written as)    spellings folded into it
    ====================  ===========================================================
    ``k``                 k, q (Alb.), c, č, ć, ç (Alb.), ch, tsh, tch, cz, ck —
                          Krasniqi / Krasnići / Красники / Krasnici; Romanian c = k
    ``g``                 g, gj (Alb.), đ, dj, dž, dz, xh (Alb.), gh (Rom.)
    ``ks``                x as Romanian writes it — Alexandru / Александру; Albanian
                          names rarely have an x without h
    ``s``                 s, š, ș, ş, sh (Alb.), sch, sz
    ``z``                 z, ž, zh (Alb.)
    ``d`` / ``t``         dh / th (Alb. fricatives, written d / t in Serbian)
    ``i``                 i, j, y, î, â (Rom.) — so Marija / Maria, Nikolaj / Nicolai
    ``ia``                ea (Rom.), which Moldovan Cyrillic writes я: Gârlea / Гырля
    ``v`` / ``f``         w / ph
    (dropped)             h — Hasani / Asani, Mehmeti / Memeti; kh, as a passport's
                          Latin writes х (Mikhail / Михаил)
    ====================  ===========================================================

    then doubled letters collapse (ll, rr, ss, ii …). Bloom filters are built from the
    bigrams of this key, so a different alphabet costs nothing and a typo costs little.

``skeleton``
    The first letter (any vowel as ``a``) followed by the consonants of the spelling key,
    repeats collapsed: a coarse phonetic key for blocking, which must survive vowel
    slips ("Bajram", "Bajrami" and "Бајрам" all give ``BRM``).

Some letters fold two ways, depending on keyboard and alphabet (Sârbu / Sarbu, Țurcanu /
Цуркану), and some endings depend on the language (Hajrije / Hajrija): ``name_readings``
gives a name's spelling key and its other readings, and ``one_letter_neighbours`` and
``written_neighbours`` the spellings that let a typo be recognised as one. A name may
carry initials (Jelena P. Jovanović) or be one (J.): ``without_initials`` takes them
apart, and ``initial_letters`` says which spellings an initial may abbreviate.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Iterable

_CYRILLIC = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "ђ": "đ", "е": "e", "ж": "ž",
    "з": "z", "и": "i", "ј": "j", "к": "k", "л": "l", "љ": "lj", "м": "m", "н": "n",
    "њ": "nj", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t", "ћ": "ć", "у": "u",
    "ф": "f", "х": "h", "ц": "c", "ч": "č", "џ": "dž", "ш": "š",
    # Macedonian
    "ѓ": "gj", "ќ": "kj", "ѕ": "dz",
    # Russian, Ukrainian, Bulgarian and Moldovan Cyrillic. Moldovan Cyrillic writes ă as э
    # (Bălan / Бэлан); Russian names start with it (Эдуард), where the vowel counts little.
    # я, ю, ё become ia, iu, io as Romanian writes them (Andreea / Андрея, Iurie / Юрие),
    # never a j that would make "дя" read as the Serbian dj.
    "й": "j", "ё": "io", "э": "a", "ы": "î", "ю": "iu", "я": "ia", "щ": "šč", "ъ": "",
    "ь": "", "є": "je", "і": "i", "ї": "ji", "ґ": "g",
}

_LATIN_SPECIAL = {
    "đ": "dj", "ł": "l", "ß": "ss", "æ": "ae", "œ": "oe", "ø": "o", "ı": "i", "ð": "dh",
    "þ": "th",
    # Romanian â and î write the same vowel (the spelling changed in 1993).
    "â": "î",
}

_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
_JOINING_PUNCTUATION = dict.fromkeys(map(ord, "'’ʼ`´"), None)
_NON_LETTER = re.compile(r"[^a-z]+")

_SPELLING_CLASSES = {
    "tsch": "k", "tsh": "k", "tch": "k", "dzh": "g", "sch": "s",
    "ch": "k", "cz": "k", "ck": "k", "kh": "", "xh": "g", "gj": "g", "dj": "g",
    "dz": "g", "gh": "g", "sh": "s", "sz": "s", "zh": "z", "dh": "d", "th": "t",
    "ph": "f", "ea": "ia",
    "c": "k", "q": "k", "x": "ks", "w": "v", "y": "i", "j": "i", "h": "",
}
_SPELLING_PATTERN = re.compile(
    "|".join(sorted(_SPELLING_CLASSES, key=len, reverse=True))
)
_DOUBLED = re.compile(r"(.)\1+")
_VOWELS = frozenset("aeiou")


def fold(text: str) -> str:
    """Plain lower-case ASCII words: same letters whatever the script or keyboard."""
    text = unicodedata.normalize("NFC", text).translate(_INVISIBLE).casefold()
    text = "".join(_CYRILLIC.get(char, char) for char in text)
    text = "".join(_LATIN_SPECIAL.get(char, char) for char in text)
    text = unicodedata.normalize("NFKD", text.translate(_JOINING_PUNCTUATION))
    text = "".join(char for char in text if not unicodedata.combining(char))
    return " ".join(_NON_LETTER.split(text)).strip()


_WORD = re.compile(r"[^\W\d_]+")


def _as_written(text: str) -> str:
    """A name in its own letters, composed, without the invisible characters and the
    apostrophes ``fold`` removes, so that its words split where the folded ones do."""
    return unicodedata.normalize("NFC", text).translate(_INVISIBLE).translate(_JOINING_PUNCTUATION)


def name_words(text: Any) -> list[str]:
    """The words of a name as written, in its own letters, split where ``fold`` splits
    them: for reading one word apart from the others."""
    if not isinstance(text, str):
        return []
    return _WORD.findall(_as_written(text))


_WORD_AND_STOP = re.compile(f"({_WORD.pattern})(\\.?)")
# Letters the region's alphabets write with two: Serbian Latin lj, nj, dž; Albanian dh, gj,
# ll, nj, rr, sh, th, xh, zh. Abbreviated, such a letter ends with a full stop (Sh., Dž.).
_TWO_LETTER_LETTERS = frozenset({"lj", "nj", "dž", "dh", "gj", "ll", "rr", "sh", "th", "xh", "zh"})


def without_initials(text: Any) -> tuple[Any, tuple[str, ...]]:
    """A name field without its initials, and the initials, in written order.

    Serbian, Romanian and Russian write a parent's initial between the given and the
    family name (Jelena P. Jovanović, Ion V. Popescu, Мария П. Иванова), and a clerk may
    write a whole name as its initial (J. Jovanović). An initial is a word of one letter,
    or a letter written with two and a full stop. It is no part of a name's spelling:
    "Jelena P." is Jelena. A field without initials comes back as it was written.
    """
    if not isinstance(text, str):
        return text, ()
    words: list[str] = []
    initials: list[str] = []
    for word, stop in _WORD_AND_STOP.findall(_as_written(text)):
        is_initial = len(word) == 1 or bool(stop) and word.casefold() in _TWO_LETTER_LETTERS
        (initials if is_initial else words).append(word)
    return (" ".join(words), tuple(initials)) if initials else (text, ())


# An initial stands for the names whose spelling key starts with its letter; a D also for
# Dž and Đ (Džemile, Đurđa), and a Đ for the D a plain keyboard writes for it (Dorđe); an X
# for the Albanian Xh (Xhevahire); an E for the Ye a passport writes for the Russian Е (Yelena).
_INITIAL_ALSO = {"d": "g", "x": "g", "e": "i"}


def initial_letters(initial: str) -> tuple[str, ...]:
    """The first letters of the spelling keys an initial may stand for; none for an H,
    which spelling keys leave out (Hasani / Asani)."""
    folded = fold(initial)
    key = spelling_key(folded)
    if not key:
        return ()
    as_typed = spelling_key(folded[0])[:1] if len(initial) == 1 else ""
    return tuple(dict.fromkeys(filter(None, (key[0], as_typed, _INITIAL_ALSO.get(folded[0])))))


def read_once(text: str) -> str:
    """Letters written twice or more in a row, read once: Anna is Ana, and the skeleton NN is N."""
    return _DOUBLED.sub(r"\1", text)


def spelling_key(word: str) -> str:
    """One spelling per sound class (see the module docstring) for one folded word."""
    key = _SPELLING_PATTERN.sub(lambda match: _SPELLING_CLASSES[match.group(0)], word)
    return read_once(key)


def skeleton(key: str) -> str:
    """Coarse phonetic key of one spelling key: first letter, then its consonants."""
    if not key:
        return ""
    head = "a" if key[0] in _VOWELS else key[0]
    consonants = "".join(char for char in key[1:] if char not in _VOWELS)
    return read_once(head + consonants).upper()


def name_keys(text: Any) -> tuple[str, ...]:
    """Spelling keys of every word of a name field, in written order."""
    if not isinstance(text, str):
        return ()
    return tuple(key for key in map(spelling_key, fold(text).split()) if key)


# Letters that a keyboard without them, or the other alphabet, writes in two ways: the
# Romanian central vowel (Sârbu, Sîrbu, Сырбу) typed as "a" (Sarbu); ă, which Moldovan
# Cyrillic writes э and a passport's Latin, from it, e (Bălan / Бэлан / Belan); ț, which
# Moldovan Cyrillic writes ц (Țurcanu / Цуркану) and a plain keyboard t; the ts a
# passport's Latin writes for ц (Tsurkanu, Militsa), read as written too, since it is as
# often a slip (Mutsafic for Mustafić); đ typed as "d" (Dokić); ж, which Serbian Latin
# writes ž, Romanian j and a passport's Latin zh (Надежда / Nadežda / Nadejda / Nadezhda);
# the Albanian y (ü), which Serbian writes i (Bytyqi / Bitići) or u (Sylejmani /
# Sulejmani); the soft sign that ends a Moldovan name in -ari as Russian writes it
# (Чеботарь / Cebotari, Ротарь / Rotari). Each is a pattern and its other reading.
_OTHER_READINGS = (
    ("â", "a"), ("î", "a"), ("ы", "a"), ("ă", "e"), ("э", "e"), ("ț", "c"), ("ţ", "c"), ("ц", "t"),
    ("ts", "c"), ("đ", "d"), ("ђ", "d"), ("ж", "j"), ("zh", "j"), ("y", "u"), (r"ь\b", "i"),
)
_OTHER_READING = re.compile("|".join(f"({pattern})" for pattern, _ in _OTHER_READINGS))
MAX_READINGS = 8
LETTERS_READ_TWICE = MAX_READINGS.bit_length() - 1  # each one read twice doubles the readings

# Albanian feminine names end in -e or -ë (Fatime, Hajrije, Dritë), which Serbian and
# Bosnian clerks write -a (Fatima, Hajrija); Albanian's definite form ends in -a or -ja
# (Drita, Berisha for Berishë, Shqipja for Shqipe). So a word's final e also reads a, and
# its final ia (-ja, -ija) also reads e. Words shorter than ``MIN_LETTERS_FOR_ENDINGS``
# keep their ending: the Serbian short forms Mile, Rade and Dane are men, Mila, Rada
# and Dana women (a letter apart, they compare as one letter off, scoring.py). A Moldovan
# family name's final -ari loses its i in Russian (Чеботарь, which a passport's Latin
# writes Chebotar): a final ar also reads ari. Macedonian, Bulgarian and Russian family
# names take a feminine ending (Stojanovska, Petrova, Ivanova), and a woman's record now
# and then carries the masculine form her father's documents give (Stojanovski, Petrov):
# each ending also reads as the other.
_OTHER_ENDINGS = (("e", "a"), ("ia", "e"), ("ar", "ari"), ("ska", "ski"), ("ski", "ska"),
                  ("ova", "ov"), ("eva", "ev"), ("ov", "ova"), ("ev", "eva"))
MIN_LETTERS_FOR_ENDINGS = 5


def _other_ending(key: str) -> str | None:
    if len(key) >= MIN_LETTERS_FOR_ENDINGS:
        for ending, other in _OTHER_ENDINGS:
            if key.endswith(ending):
                return key[: -len(ending)] + other
    return None


# Romanian writes the sounds of ч and дж as c and g before a silent i or e: ci and gi before
# o or u (Ciobanu, Giurgiu), ce and ge before a (Ceaușescu, Geanina), ci and gi before a at
# the start of a word (Ciachir). Moldovan Cyrillic leaves the silent vowel out (Чобану,
# Джурджу, Чаушеску, Чакир), so such a Romanian name also reads without it. Inside a word
# the i before a is often a vowel of its own (Lucia, Lucian, Лучиан) and keeps its place.
_SILENT_SOFTENING_VOWEL = re.compile(r"(?<=[cg])(?:i(?=[ou])|e(?=a))|(?<=\b[cg])i(?=a)")


# A Moldovan's given or father's name may be written in its Russian form, as Soviet-era
# passports and Russian-language records give it (Иван for Ion, Дмитрий for Dumitru):
# the Russian form also reads as the Romanian one.
_RUSSIAN_FORMS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Ion", ("Иван",)), ("Dumitru", ("Дмитрий",)), ("Petru", ("Пётр", "Петр")), ("Eugen", ("Евгений",)),
    ("Alexandru", ("Александр",)), ("Tudor", ("Фёдор", "Федор")), ("Mihai", ("Михаил",)),
    ("Gheorghe", ("Георгий",)), ("Vasile", ("Василий",)), ("Nicolae", ("Николай",)),
    ("Iurie", ("Юрий",)), ("Vitalie", ("Виталий",)), ("Anatol", ("Анатолий",)), ("Grigore", ("Григорий",)),
    ("Valeriu", ("Валерий",)), ("Sergiu", ("Сергей",)), ("Ștefan", ("Степан",)), ("Eugenia", ("Евгения",)),
)
_ROMANIAN_FORM = {
    name_keys(russian)[0]: name_keys(romanian)[0] for romanian, forms in _RUSSIAN_FORMS for russian in forms
}


def name_readings(text: Any) -> tuple[str, ...]:
    """The spelling of a name (its keys joined by spaces), then its other readings.

    Each letter of ``_OTHER_READINGS`` is read both ways, the first
    ``LETTERS_READ_TWICE`` of them at most, so that "Sârbu" also reads "sarbu", as a
    keyboard without â writes it; each reading also reads without the vowels Romanian
    writes only to soften a c or g (``_SILENT_SOFTENING_VOWEL``: Ciobanu as Чобану writes
    it). Then the Russian form of a Moldovan name also reads as its Romanian form
    (``_RUSSIAN_FORMS``), and each reading's last word with its other ending
    (``_OTHER_ENDINGS``), while there is room for ``MAX_READINGS``.
    """
    if not isinstance(text, str):
        return ()
    text = unicodedata.normalize("NFC", text).casefold()
    readings = [text]
    read_twice = list(_OTHER_READING.finditer(text))[:LETTERS_READ_TWICE]
    for match in reversed(read_twice):  # from the end, so a shorter reading moves no match still to read
        other, start, end = _OTHER_READINGS[match.lastindex - 1][1], match.start(), match.end()
        readings += [reading[:start] + other + reading[end:] for reading in readings]
    spellings = [keys for keys in map(name_keys, readings) if keys]
    for reading in readings:
        unsoftened = _SILENT_SOFTENING_VOWEL.sub("", reading)
        if unsoftened == reading:
            continue
        keys = name_keys(unsoftened)
        if keys not in spellings and len(spellings) < MAX_READINGS:
            spellings.append(keys)
    romanian = tuple(_ROMANIAN_FORM.get(key, key) for key in spellings[0]) if spellings else ()
    if romanian and romanian != spellings[0] and len(spellings) < MAX_READINGS:
        spellings.append(romanian)
    for keys in list(spellings):
        ending = _other_ending(keys[-1])
        if ending is not None and len(spellings) < MAX_READINGS:
            spellings.append(keys[:-1] + (ending,))
    return tuple(dict.fromkeys(" ".join(keys) for keys in spellings))


# A Russian-language record may give the father's name as the patronymic, the form the
# person's own full name carries it in: Ивановна / Иванович for Иван, Сергеевна for
# Сергей, Юрьевна for Юрий, Игоревна for Игорь. The patronymic also reads as the name
# it comes from: after -ovna or -ovich its stem, after -evna or -evich its stem with the
# й or ий it lost (Sergei, Iuri, Dmitri) or without (Igor). Only a father's name of one
# word is read so, and only with a stem of ``MIN_PATRONYMIC_STEM`` letters or more.
_PATRONYMIC = re.compile(r"^(?P<stem>[a-z]+?)(?:(?P<hard>ov)|(?P<soft>ev))(?:na|ich|ic|ici)$")
MIN_PATRONYMIC_STEM = 3


def father_name_readings(text: Any) -> tuple[str, ...]:
    """``name_readings`` of a father's name, then of the name its patronymic comes from."""
    readings = name_readings(text)
    words = fold(text).split() if isinstance(text, str) else []
    patronymic = _PATRONYMIC.match(words[0]) if len(words) == 1 else None
    if patronymic is None or len(patronymic["stem"]) < MIN_PATRONYMIC_STEM:
        return readings
    stem = patronymic["stem"]
    fathers = (stem,) if patronymic["hard"] else (stem + "i", stem)
    more = [reading for father in fathers for reading in name_readings(father)]
    return tuple(dict.fromkeys((*readings, *more)))[:MAX_READINGS]


def name_skeleton(keys: Iterable[str]) -> str:
    """Order-free skeleton of a (possibly multi-word) name, for blocking keys."""
    return "-".join(sorted(skeleton(key) for key in keys if key))


MIN_LETTERS_ONE_APART = 4
MAX_LETTERS_SHORTENED = 16


def one_letter_neighbours(spelling: str) -> set[str]:
    """A spelling and every spelling with one of its letters left out.

    Two spellings one substitution, insertion, deletion or swap of neighbours apart share
    one of these (letters doubled by the leaving out are read once, as spelling keys
    are). Short names are kept whole: one letter turns "Ana" into "Ena" or "Ina".
    """
    if len(spelling.replace(" ", "")) < MIN_LETTERS_ONE_APART:
        return {spelling} if spelling else set()
    neighbours = {spelling}
    for index in range(min(len(spelling), MAX_LETTERS_SHORTENED)):
        after = index + 2 if 0 < index < len(spelling) - 1 and spelling[index - 1] == spelling[index + 1] else index + 1
        neighbours.add(spelling[:index] + spelling[after:])
    return neighbours


def written_neighbours(text: Any) -> set[str]:
    """The spelling keys of a name as written with one of its letters left out.

    A typo is made on the letters as written, and the spelling classes can turn it into
    two differences: Neand for Nenad reads "niand" (ea as Romanian reads it) against
    "nenad", and Geaim for Gëzim "giaim" against "gezim"; as written, each pair shares a
    spelling one letter shorter (nead, geim). Doubled letters are read once first, and
    names whose spelling key is short are kept whole, as ``one_letter_neighbours`` keeps
    them: Anna and Nina are two names.
    """
    if not isinstance(text, str):
        return set()
    written = read_once(fold(text))
    if len("".join(map(spelling_key, written.split()))) < MIN_LETTERS_ONE_APART:
        return set()
    spellings = (" ".join(filter(None, map(spelling_key, shorter.split()))) for shorter in one_letter_neighbours(written))
    return {spelling for spelling in spellings if spelling}


def _keys_of(*names: str) -> tuple[str, ...]:
    return tuple(" ".join(name_keys(name)) for name in names)


_HYPOCORISMS: tuple[tuple[str, tuple[str, ...]], ...] = (
    # Albanian
    ("Arbër", ("Beri", "Bebi")), ("Valbona", ("Bona",)), ("Mimoza", ("Moza",)), ("Fatime", ("Fata",)),
    ("Fatmire", ("Mira",)), ("Shpresa", ("Presa",)), ("Bekim", ("Beki",)),
    ("Mërgim", ("Gimi",)), ("Drita", ("Dita",)), ("Afërdita", ("Dita", "Ditë")),
    ("Kaltrina", ("Kaltra", "Tina", "Trina")), ("Gentiana", ("Geni",)), ("Arben", ("Beni",)),
    ("Lindita", ("Dita", "Linda")), ("Mirlinda", ("Linda",)), ("Arlinda", ("Linda",)),
    ("Ermira", ("Mira",)), ("Albulena", ("Lena",)), ("Florentina", ("Tina", "Flora")),
    ("Driton", ("Toni",)), ("Faton", ("Toni",)), ("Elmedina", ("Medina",)), ("Merita", ("Meri",)),
    ("Xhevahire", ("Xheva",)), ("Besarta", ("Besa",)), ("Leonora", ("Nora",)), ("Arbnora", ("Nora",)),
    ("Luljeta", ("Leta",)), ("Blerina", ("Bleri",)), ("Nexhmije", ("Nexhi",)), ("Hajrije", ("Hajra",)),
    ("Fatbardha", ("Bardha",)), ("Lumturije", ("Lumi",)), ("Gentian", ("Geni",)), ("Fatmir", ("Miri",)),
    ("Agron", ("Goni",)), ("Muhamet", ("Meti",)), ("Skënder", ("Skendi",)), ("Rexhep", ("Xhepi",)),
    # Serbian
    ("Aleksandar", ("Saša", "Aca", "Sale", "Aco", "Ace")), ("Aleksandra", ("Saša", "Sanja", "Saška")),
    ("Jovan", ("Jova", "Joca")), ("Jovana", ("Joca",)), ("Snežana", ("Sneža", "Sneki", "Sneže")),
    ("Dragana", ("Gaga",)), ("Slobodan", ("Boba", "Boban", "Slobo", "Sloba")),
    ("Vladimir", ("Vlada", "Vlado", "Vova", "Volodea")),
    ("Milica", ("Mica",)), ("Ljubica", ("Ljuba", "Buba")), ("Nikola", ("Dzoni", "Nikica")),
    ("Katarina", ("Kaća", "Kata")), ("Jelena", ("Jeca", "Lena")), ("Marija", ("Maja", "Mara")),
    ("Stefan", ("Stefi",)), ("Tijana", ("Tijanica",)),
    ("Svetlana", ("Ceca", "Sveta")), ("Gordana", ("Goca",)), ("Slađana", ("Slađa",)),
    ("Vesna", ("Veca",)), ("Danijela", ("Daca", "Dana")), ("Biljana", ("Bilja", "Biba", "Bile")),
    ("Ljiljana", ("Lila", "Ljilja")), ("Tatjana", ("Tanja",)), ("Nataša", ("Nata", "Taša")),
    ("Mirjana", ("Mira",)), ("Radmila", ("Rada",)), ("Milena", ("Mila",)), ("Jasmina", ("Jasna",)),
    ("Teodora", ("Tea", "Dora")), ("Anđela", ("Anđa",)), ("Dušica", ("Duca",)), ("Zorica", ("Zoka",)),
    ("Kristina", ("Kiki",)), ("Slavica", ("Slava",)), ("Dragica", ("Draga",)), ("Emina", ("Mina",)),
    ("Lejla", ("Leja",)), ("Sabina", ("Bina",)), ("Senada", ("Seka",)), ("Dženana", ("Dženi",)),
    ("Mirsada", ("Mirsa",)),
    ("Dragan", ("Gaga",)), ("Zoran", ("Zoki",)), ("Predrag", ("Peđa", "Peca")), ("Nenad", ("Neša",)),
    ("Nebojša", ("Neša",)), ("Miroslav", ("Miki",)), ("Ljubomir", ("Ljuba",)), ("Đorđe", ("Đole",)),
    ("Branislav", ("Bane",)), ("Bojan", ("Boki",)), ("Bogdan", ("Boki",)), ("Petar", ("Pera",)),
    ("Čedomir", ("Čeda",)), ("Dejan", ("Deki",)), ("Lazar", ("Laza",)), ("Živojin", ("Žika",)),
    ("Srđan", ("Srki",)), ("Milorad", ("Mile",)), ("Mustafa", ("Mujo",)), ("Ismet", ("Iso",)),
    # Macedonian
    ("Katerina", ("Kate",)), ("Suzana", ("Suze",)), ("Emilija", ("Ema",)), ("Magdalena", ("Magda",)),
    ("Hristina", ("Kiki",)), ("Goran", ("Gogo",)), ("Kiril", ("Kire",)), ("Dimitar", ("Mite",)),
    ("Stojan", ("Stole",)), ("Blagoja", ("Blage",)), ("Hristijan", ("Ico",)),
    # Romanian / Moldovan, with the Russian short forms Moldovan records also use
    ("Ion", ("Ionel", "Nelu", "Ionuț", "Vanea")), ("Ioana", ("Ionela", "Oana")),
    ("Elena", ("Lena", "Ela", "Nuța", "Lenuța")),
    ("Gheorghe", ("Gigi", "Ghiță", "Gică", "Jora", "Zhora")), ("Alexandru", ("Sandu", "Alex", "Sașa")),
    ("Alexandra", ("Sandra", "Alex", "Sanda", "Sașa")), ("Mihai", ("Mihăiță", "Mișa")),
    ("Nicolae", ("Nicu", "Nicușor", "Colea")), ("Vasile", ("Vasilică", "Vasea")),
    ("Ecaterina", ("Cati", "Catinca", "Catea", "Katia")),
    ("Cristina", ("Cristi",)), ("Mariana", ("Mari",)), ("Victoria", ("Vica",)),
    ("Constantin", ("Costel", "Costică", "Costi", "Costea")), ("Dumitru", ("Mitică", "Dima")),
    ("Ștefan", ("Fane", "Fănică")), ("Petru", ("Petrică",)), ("Iurie", ("Iura",)), ("Anatol", ("Tolea",)),
    ("Valeriu", ("Valera",)), ("Eugen", ("Jenea",)), ("Grigore", ("Grișa",)),
    ("Vitalie", ("Vitalik", "Vitea")),
    ("Ana", ("Anuța",)), ("Natalia", ("Nata", "Natașa")), ("Tatiana", ("Tania", "Tanea")), ("Irina", ("Ira",)),
    ("Ludmila", ("Luda", "Lida")), ("Nadejda", ("Nadia", "Nadea")), ("Valentina", ("Valea", "Tina")),
    ("Daniela", ("Dana",)),
    ("Maria", ("Mașa", "Marușa")), ("Olga", ("Olea",)), ("Galina", ("Galea",)), ("Aurelia", ("Aura",)),
    ("Liliana", ("Lili",)), ("Gabriela", ("Gabi",)), ("Serghei", ("Serioja",)),
    ("Veaceslav", ("Slavic", "Slava")),
    # Roma (names of the Balkan Roma communities and their short forms)
    ("Ramadan", ("Dani", "Rami", "Ramo")), ("Bajram", ("Bajro",)), ("Fatima", ("Fata", "Fatma")),
    ("Mehmed", ("Meho",)), ("Šaban", ("Šabo",)), ("Ramiza", ("Rama", "Ramka")), ("Selvije", ("Selvi",)),
    ("Esmeralda", ("Esma",)), ("Džemila", ("Džema",)), ("Sevdija", ("Sevda",)), ("Šemsa", ("Šema",)),
    ("Muharem", ("Muki",)), ("Redžep", ("Redžo",)), ("Avdija", ("Avdo",)),
)


def _hypocorism_index() -> dict[str, tuple[str, ...]]:
    index: dict[str, set[str]] = {}
    for full, short_forms in _HYPOCORISMS:
        (full_key,) = _keys_of(full)
        for short_key in _keys_of(*short_forms):
            index.setdefault(short_key, set()).add(full_key)
            index.setdefault(full_key, set()).add(short_key)
    return {key: tuple(sorted(values)) for key, values in index.items()}


_HYPOCORISM_INDEX = _hypocorism_index()


def known_variants(given_keys: tuple[str, ...]) -> tuple[str, ...]:
    """Full forms of a known short given name and short forms of a full one.

    "Saša" also reads as Aleksandar/Aleksandra; they count as aliases, whose agreement
    weighs less than a given-name match (scoring.py), so an ambiguous entry costs little.
    """
    return _HYPOCORISM_INDEX.get(" ".join(given_keys), ())


_PLACES: tuple[tuple[str, ...], ...] = (
    # Kosovo: Albanian and Serbian names of the same town
    ("Prishtinë", "Priština", "Prishtina", "Pristina"), ("Prizren", "Prizreni"),
    ("Pejë", "Peć", "Peja"), ("Gjakovë", "Đakovica", "Gjakova", "Djakovica"),
    ("Ferizaj", "Uroševac"), ("Gjilan", "Gnjilane"), ("Mitrovicë", "Mitrovica"),
    ("Vushtrri", "Vučitrn"), ("Podujevë", "Podujevo"), ("Rahovec", "Orahovac"),
    ("Suharekë", "Suva Reka"), ("Lipjan", "Lipljan"), ("Skënderaj", "Srbica"),
    ("Drenas", "Glogovac"), ("Istog", "Istok"), ("Deçan", "Dečani"), ("Dragash", "Dragaš"),
    ("Malishevë", "Mališevo"), ("Kaçanik", "Kačanik"), ("Shtime", "Štimlje"),
    ("Obiliq", "Obilić"), ("Fushë Kosovë", "Kosovo Polje"), ("Klinë", "Klina"),
    ("Viti", "Vitina"), ("Kamenicë", "Kosovska Kamenica"), ("Shtërpcë", "Štrpce"),
    # North Macedonia, Albania, Montenegro
    ("Shkup", "Skopje", "Shkupi"), ("Tetovë", "Tetovo"), ("Kumanovë", "Kumanovo"),
    ("Strugë", "Struga"), ("Kërçovë", "Kičevo"), ("Dibër", "Debar"), ("Shkodër", "Skadar", "Shkodra"),
    ("Durrës", "Drač", "Durrësi"), ("Tiranë", "Tirana"), ("Ulqin", "Ulcinj"), ("Tivar", "Bar"),
    # Moldova and Romania
    ("Chișinău", "Kišinjev", "Kishinev", "Кишинёв"), ("Bălți", "Бельцы", "Beltsy"),
    ("Tiraspol", "Тирасполь"), ("Iași", "Jaši", "Jassy"),
)


def _place_index() -> dict[str, str]:
    index: dict[str, str] = {}
    for variants in _PLACES:
        keys = _keys_of(*variants)
        for key in keys:
            index[key] = keys[0]
    return index


_PLACE_INDEX = _place_index()


def place_key(text: Any) -> str:
    """One key per place, whatever language or script names it ("Peć" = "Pejë")."""
    key = " ".join(name_keys(text))
    return _PLACE_INDEX.get(key, key)


_DOCUMENT_NUMBER = re.compile(r"[^0-9A-Z]")
MIN_DOCUMENT_NUMBER_LENGTH = 5


def document_number(text: Any) -> str | None:
    """Upper-case alphanumerics of a document number; too short to identify is None."""
    if not isinstance(text, (str, int)) or isinstance(text, bool):
        return None
    plain = unicodedata.normalize("NFKD", str(text).translate(_INVISIBLE)).upper()
    number = _DOCUMENT_NUMBER.sub("", plain)
    return number if len(number) >= MIN_DOCUMENT_NUMBER_LENGTH else None


ESTIMATED_AGE_ERROR = 1
PLACEHOLDER_DAY = (1, 1)
NEAR_YEARS = 1
_SEXES = frozenset({"female", "male"})
_COUNTRY = re.compile(r"[A-Z]{2}")
MAX_COUNTRIES = 5


def sex(value: Any) -> str | None:
    """Female or male; any other value says nothing a match could rest on."""
    return value if value in _SEXES else None


def countries(values: Any) -> tuple[str, ...]:
    """Two-letter country codes of a citizenship list, deduplicated."""
    found = [v.strip().upper() for v in (values if isinstance(values, list) else [values]) if isinstance(v, str)]
    return tuple(dict.fromkeys(code for code in found if _COUNTRY.fullmatch(code)))[:MAX_COUNTRIES]


@dataclass(frozen=True)
class BirthDate:
    """What is known of a date of birth: a full date, or an interval of possible years.

    ``first_year``..``last_year`` is one year when the year is written, two when it is
    derived from an age at identification (the birthday may fall either side of the
    identification date). An age with no date or year beside it is ``estimated``: such
    ages are often guessed, and a year off. ``month``/``day`` are set only for a full
    date. ``earliest`` and ``latest`` bound the possible dates as closely as the record
    allows: one day for a full date; for an age at a known identification date, the
    year before it; for a written year, that year, narrowed by an age that agrees with it.
    """

    first_year: int
    last_year: int
    month: int | None = None
    day: int | None = None
    earliest: date | None = None
    latest: date | None = None
    estimated: bool = False

    @property
    def is_full(self) -> bool:
        return self.month is not None and self.day is not None

    @property
    def years(self) -> range:
        return range(self.first_year, self.last_year + 1)

    @property
    def possible_years(self) -> range:
        """The years, one more either side of an age that was only estimated."""
        spread = ESTIMATED_AGE_ERROR if self.estimated else 0
        return range(self.first_year - spread, self.last_year + spread + 1)

    @property
    def near_years(self) -> tuple[int, ...]:
        """The ``NEAR_YEARS`` years either side of the possible years: a year written a
        year off (a clerk's slip, a year worked out from an age), an age guessed two off."""
        possible = self.possible_years
        return (*range(possible.start - NEAR_YEARS, possible.start), *range(possible.stop, possible.stop + NEAR_YEARS))

    def months(self) -> list[tuple[int, int]]:
        """Every (year, month) between ``earliest`` and ``latest``: at most thirteen."""
        if self.earliest is None or self.latest is None:
            return []
        year, month = self.earliest.year, self.earliest.month
        found = []
        while (year, month) <= (self.latest.year, self.latest.month):
            found.append((year, month))
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return found


_DATE_NUMBERS = re.compile(r"\d+")
_EARLIEST_YEAR, _LATEST_YEAR = 1900, 2100


def _plausible_year(year: Any) -> int | None:
    try:
        value = int(year)
    except (TypeError, ValueError):
        return None
    return value if _EARLIEST_YEAR <= value <= _LATEST_YEAR else None


def _parse_date(text: Any) -> tuple[int | None, int | None, int | None]:
    """Year, month, day of "2007-04-12", "12.04.2007", "12/4/2007", "20070412", "2007-04",
    "04.2007" or "2007"."""
    if not isinstance(text, str):
        return None, None, None
    numbers = _DATE_NUMBERS.findall(text)
    if len(numbers) == 1 and len(numbers[0]) == 8:
        numbers = [numbers[0][:4], numbers[0][4:6], numbers[0][6:]]
    if not numbers:
        return None, None, None
    if len(numbers[0]) == 4:
        year, rest = numbers[0], numbers[1:3]
    elif len(numbers) == 3 and len(numbers[2]) == 4:
        year, rest = numbers[2], [numbers[1], numbers[0]]
    elif len(numbers) == 2 and len(numbers[1]) == 4:
        year, rest = numbers[1], []
    else:
        return None, None, None
    parsed_year = _plausible_year(year)
    if parsed_year is None or len(rest) < 2:
        return parsed_year, None, None
    month, day = int(rest[0]), int(rest[1])
    if month > 12 >= day:
        month, day = day, month
    try:
        date(parsed_year, month, day)
    except ValueError:
        return parsed_year, None, None
    return parsed_year, month, day


def _years_before(day: date, years: int) -> date:
    """The same day ``years`` earlier (28 February for 29 February in a common year)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def _age(statistical: dict[str, Any]) -> int | None:
    age = statistical.get("age_at_identification")
    return age if isinstance(age, int) and not isinstance(age, bool) and 0 <= age <= 120 else None


def identification_date(statistical: dict[str, Any]) -> date | None:
    """The day the record's institution identified the person, when written whole."""
    year, month, day = _parse_date(statistical.get("identification_date"))
    return date(year, month, day) if day is not None else None


def _age_window(age: int, statistical: dict[str, Any]) -> tuple[date, date] | None:
    """The birth dates that give this age on the identification date."""
    identified = identification_date(statistical)
    if identified is None or _plausible_year(identified.year - age - 1) is None:
        return None
    return _years_before(identified, age + 1) + timedelta(days=1), _years_before(identified, age)


def birth_date(identity: dict[str, Any], statistical: dict[str, Any]) -> BirthDate | None:
    """Birth date from date_of_birth, else birth_year, else age at identification.

    A date of 1 January is read as its year alone: registries, border police and
    reception centres write 1 January when only the year is known (``PLACEHOLDER_DAY``),
    and a true birthday on it is one in 365.
    """
    year, month, day = _parse_date(identity.get("date_of_birth"))
    if year is not None and month is not None and (month, day) != PLACEHOLDER_DAY:
        born = date(year, month, day)
        return BirthDate(year, year, month, day, born, born)
    age = _age(statistical)
    window = _age_window(age, statistical) if age is not None else None
    if year is None:
        year = _plausible_year(identity.get("birth_year"))
    if year is not None:
        earliest, latest = date(year, 1, 1), date(year, 12, 31)
        if window is not None and window[0] <= latest and earliest <= window[1]:
            earliest, latest = max(earliest, window[0]), min(latest, window[1])
        return BirthDate(year, year, earliest=earliest, latest=latest)
    identified_year, _, _ = _parse_date(statistical.get("identification_date"))
    latest_year = _plausible_year(identified_year - age) if age is not None and identified_year else None
    if latest_year is None:
        return None
    earliest, latest = window or (None, None)
    return BirthDate(latest_year - 1, latest_year, earliest=earliest, latest=latest, estimated=True)
