"""Labelled synthetic identification records, noisy the way real ones are.

Persons of the region (Albanian, Serbian, Roma and Romanian/Moldovan names) are
identified by one to four institutions; each institution writes the person down in
its own way: Serbian Cyrillic or a Serbian adaptation of an Albanian name (a woman's
name ending -e or -ë often given the Serbian -a: Hajrije / Hajrija), Moldovan
Cyrillic or a Moldovan man's name in its Russian form (Ion / Иван), a father's name as
the Russian patronymic (Ивановна), diacritics lost, typos, given and family name
swapped, a date of birth known fully, by year only (now and then a year off) or only as
an estimated age, day and month transposed, 1 January written for a day not known, a
nickname in ``other_names`` or instead of the given name, a family name changed by
marriage (the other one now and then in ``other_names``), a
Romanian double given name (Ana-Maria) written whole or as its first name only, the
whole name written into one field, the father's name written after the given name
(Arta Ilir Berisha, Jelena (Petar) Jovanović, Мария Петровна) instead of apart, or
only its initial, apart or after the given name (P., Jelena P. Jovanović, Ion V. Popescu), a
Moldovan name as a Russian passport writes it in Latin letters (Tsurkanu).
Half of a person's later records are referrals, written within two months of an
earlier one; a sibling is often identified alongside.
Hard negatives are made on purpose: siblings (same family name, father and village),
twins, and namesakes (same given and family name, different person).

Every record carries its hidden ``true_person``; nothing here is a real person.
"""

from __future__ import annotations

import heapq
import random
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Iterator

ALBANIAN = {
    "female": ["Arbnora", "Arta", "Besa", "Blerta", "Dafina", "Donika", "Drita", "Edona", "Elira", "Erza",
               "Fatime", "Fatmire", "Flaka", "Gentiana", "Hana", "Jehona", "Kaltrina", "Labinotë", "Leonora",
               "Lirije", "Liridona", "Mimoza", "Nora", "Qëndresa", "Rina", "Rrezarta", "Shqipe", "Shpresa",
               "Teuta", "Valbona", "Vjosa", "Xhevahire", "Zana", "Zyrafete", "Ardita", "Besarta", "Egzona",
               "Albulena", "Diellza", "Njomza", "Hyrije", "Gëzime", "Ilirjana", "Mirlinda", "Florentina"],
    "male": ["Agim", "Arbër", "Ardian", "Arben", "Bashkim", "Bekim", "Besnik", "Blerim", "Burim", "Dardan",
             "Driton", "Enver", "Fatmir", "Fisnik", "Florim", "Gëzim", "Hasan", "Ilir", "Isuf", "Jeton",
             "Kujtim", "Lulzim", "Mërgim", "Naim", "Përparim", "Qazim", "Ramadan", "Rexhep", "Sabri", "Shkëlzen",
             "Skënder", "Valon", "Xhevdet", "Ylber", "Zenel", "Avni", "Bujar", "Çlirim", "Dritan", "Hajdar"],
    "family": ["Krasniqi", "Gashi", "Berisha", "Morina", "Shala", "Bytyqi", "Hoxha", "Kryeziu", "Rexhepi",
               "Hasani", "Thaçi", "Kastrati", "Ahmeti", "Osmani", "Mustafa", "Halili", "Bajrami", "Zeqiri",
               "Gjoka", "Mehmeti", "Jashari", "Sylejmani", "Xhaferi", "Llapashtica", "Dervishi", "Haxhiu",
               "Rrahmani", "Musliu", "Qerimi", "Selimi", "Demaj", "Kelmendi", "Bekteshi", "Çeku", "Dushi",
               "Hyseni", "Ibrahimi", "Maloku", "Nuhiu", "Pllana", "Ramadani", "Salihu", "Tahiri", "Ukaj",
               "Veseli", "Zymberi", "Latifi", "Gjergji", "Dauti", "Shehu"],
    "places": ["Prizren", "Prishtinë", "Pejë", "Gjakovë", "Ferizaj", "Gjilan", "Mitrovicë", "Vushtrri",
               "Podujevë", "Rahovec", "Suharekë", "Lipjan", "Skënderaj", "Drenas", "Malishevë", "Tetovë",
               "Kumanovë", "Shkodër", "Durrës", "Elbasan"],
}
SERBIAN = {
    "female": ["Ana", "Jelena", "Marija", "Milica", "Jovana", "Dragana", "Snežana", "Ivana", "Tijana",
               "Katarina", "Aleksandra", "Tamara", "Nevena", "Sanja", "Gordana", "Ljiljana", "Biljana",
               "Vesna", "Danijela", "Jasmina", "Slađana", "Nataša", "Dušica", "Mirjana", "Svetlana",
               "Zorica", "Radmila", "Teodora", "Anđela", "Kristina", "Bojana", "Jadranka", "Ljubica", "Đurđa"],
    "male": ["Aleksandar", "Nikola", "Stefan", "Marko", "Miloš", "Dušan", "Đorđe", "Jovan", "Nemanja",
             "Vladimir", "Slobodan", "Zoran", "Dragan", "Goran", "Milan", "Dejan", "Saša", "Bojan", "Predrag",
             "Ljubomir", "Miroslav", "Živojin", "Radovan", "Čedomir", "Vuk", "Lazar", "Branislav", "Nenad"],
    "family": ["Jovanović", "Petrović", "Nikolić", "Marković", "Đorđević", "Stojanović", "Ilić", "Stanković",
               "Pavlović", "Milošević", "Popović", "Đokić", "Živković", "Todorović", "Kostić", "Lukić",
               "Mitrović", "Savić", "Ristić", "Cvetković", "Kovačević", "Radosavljević", "Obradović",
               "Vasić", "Tomić", "Šarić", "Lazić", "Mihajlović", "Gajić", "Čolić", "Janković", "Vučković",
               "Zdravković", "Milovanović", "Nešić", "Ćirić", "Dimitrijević", "Bogdanović", "Mladenović"],
    "places": ["Beograd", "Niš", "Novi Sad", "Kragujevac", "Leskovac", "Vranje", "Kraljevo", "Čačak",
               "Šabac", "Smederevo", "Subotica", "Zrenjanin", "Pančevo", "Novi Pazar", "Bujanovac",
               "Preševo", "Gnjilane", "Kosovska Mitrovica"],
}
ROMA = {
    "female": ["Fatima", "Ramiza", "Selvije", "Sabina", "Elvira", "Mirela", "Sadbera", "Zumreta", "Šefika",
               "Emina", "Medina", "Behija", "Dženita", "Samira", "Ljatife", "Nermina", "Senada", "Hajrija",
               "Ajša", "Vesna", "Jasmina", "Zlata", "Remzija", "Elmaza", "Bajramša"],
    "male": ["Bajram", "Ramadan", "Šaban", "Mehmed", "Sejdo", "Muharem", "Redžep", "Safet", "Ekrem",
             "Džemail", "Ismet", "Ferat", "Šefket", "Jašar", "Rustem", "Ramiz", "Selim", "Senad", "Avdija",
             "Hamdija", "Kadrija", "Demir", "Sulejman", "Bekir"],
    "family": ["Bajramović", "Ramadani", "Salijević", "Demirović", "Mustafić", "Šaćiri", "Memedović",
               "Beriša", "Jašarević", "Osmanović", "Ibrahimović", "Kurteši", "Selimović", "Ajdari", "Durmiši",
               "Sejdić", "Ferizović", "Redžepi", "Gaši", "Mehmedović", "Alijević", "Rustemović", "Asani",
               "Hasani", "Zećiri", "Kamberi"],
    "places": ["Niš", "Leskovac", "Vranje", "Šuto Orizari", "Skopje", "Prizren", "Gjilan", "Ferizaj",
               "Fushë Kosovë", "Obiliq", "Beograd", "Novi Sad", "Kumanovo", "Tetovo"],
}
ROMANIAN = {
    "female": ["Elena", "Maria", "Ana", "Ioana", "Mariana", "Cristina", "Andreea", "Alexandra", "Irina",
               "Natalia", "Olga", "Tatiana", "Svetlana", "Victoria", "Ecaterina", "Ludmila", "Doina",
               "Aurelia", "Valentina", "Mihaela", "Nicoleta", "Daniela", "Alina", "Corina", "Larisa",
               "Veronica", "Lilia", "Diana", "Raisa", "Nadejda", "Angela", "Ștefania", "Cătălina", "Viorica"],
    "male": ["Ion", "Gheorghe", "Vasile", "Nicolae", "Mihai", "Alexandru", "Andrei", "Sergiu", "Dumitru",
             "Ștefan", "Constantin", "Vladimir", "Petru", "Tudor", "Victor", "Igor", "Oleg", "Vitalie",
             "Valeriu", "Radu", "Cristian", "Dorin", "Eugen", "Grigore", "Iurie", "Anatol", "Costel"],
    "family": ["Popescu", "Rusu", "Ceban", "Ciobanu", "Turcan", "Lungu", "Munteanu", "Cojocaru", "Rotari",
               "Sârbu", "Bălan", "Moraru", "Țurcanu", "Guțu", "Cazacu", "Roșca", "Botnaru", "Ursu", "Gârlea",
               "Chiriac", "Popa", "Ionescu", "Mocanu", "Melnic", "Bivol", "Croitoru", "Spânu", "Lupu",
               "Vrabie", "Cebotari", "Plămădeală", "Țîcu", "Straistă", "Negru", "Olaru", "Stratan"],
    "places": ["Chișinău", "Bălți", "Cahul", "Orhei", "Ungheni", "Soroca", "Comrat", "Edineț", "Hîncești",
               "Căușeni", "Iași", "Bacău", "Galați", "Constanța", "Vaslui", "Tiraspol"],
}
GROUPS = {"albanian": ALBANIAN, "serbian": SERBIAN, "roma": ROMA, "romanian": ROMANIAN}
GROUP_WEIGHTS = {"albanian": 0.4, "serbian": 0.2, "roma": 0.15, "romanian": 0.25}
CITIZENSHIP = {"albanian": ["XK", "AL", "MK"], "serbian": ["RS"], "roma": ["RS", "XK", "MK"], "romanian": ["MD", "RO"]}
NICKNAMES = {
    "Arbër": "Beri", "Valbona": "Bona", "Mimoza": "Moza", "Bekim": "Beki", "Mërgim": "Gimi",
    "Aleksandar": "Saša", "Aleksandra": "Saška", "Jovan": "Jova", "Jovana": "Joca", "Snežana": "Sneža",
    "Dragana": "Gaga", "Slobodan": "Boba", "Vladimir": "Vlada", "Milica": "Mica", "Ljubica": "Buba",
    "Katarina": "Kaća", "Jelena": "Jeca", "Marija": "Maja", "Ion": "Ionel", "Ioana": "Oana", "Elena": "Lena",
    "Gheorghe": "Gigi", "Alexandru": "Sandu", "Nicolae": "Nicu", "Ecaterina": "Cati", "Ramadan": "Dani",
    "Mehmed": "Meho", "Fatima": "Fata", "Kaltrina": "Tina", "Afërdita": "Dita",
}
# Russian forms a Russian-language record gives a Moldovan man's name. Like NICKNAMES, written
# apart from the engine's tables (normalise._RUSSIAN_FORMS, _HYPOCORISMS) on purpose: the
# evaluation must not grade the engine against its own knowledge.
RUSSIAN_FORMS = {
    "Ion": "Иван", "Gheorghe": "Георгий", "Vasile": "Василий", "Nicolae": "Николай", "Mihai": "Михаил",
    "Sergiu": "Сергей", "Dumitru": "Дмитрий", "Petru": "Пётр", "Tudor": "Фёдор", "Vitalie": "Виталий",
    "Valeriu": "Валерий", "Eugen": "Евгений", "Grigore": "Григорий", "Iurie": "Юрий", "Anatol": "Анатолий",
    "Ștefan": "Степан",
}
DOUBLE_GIVEN_NAME_SHARE = 0.2
WHOLE_NAME_IN_ONE_FIELD_SHARE = 0.02
FORMER_FAMILY_NAME_SHARE = 0.3
PATRONYMIC_SHARE = 0.3
PASSPORT_LATIN_SHARE = 0.08
FATHER_IN_NAME_SHARE = 0.1
FATHER_INITIAL_SHARE = 0.1
UNKNOWN_DAY_SHARE = 0.04
YEAR_OFF_SHARE = 0.05
REFERRAL_SHARE = 0.5
REFERRAL_DAYS = 60
IDENTIFIED_TOGETHER_SHARE = 0.5
FIRST_IDENTIFICATION, IDENTIFICATION_YEARS = date(2019, 1, 1), 6
INSTITUTIONS = ["police", "border_police", "prosecution", "social_welfare", "shelter_ngo", "ngo"]

_SERBIAN_CYRILLIC = [
    ("dž", "џ"), ("lj", "љ"), ("nj", "њ"), ("a", "а"), ("b", "б"), ("v", "в"), ("g", "г"), ("d", "д"),
    ("đ", "ђ"), ("e", "е"), ("ž", "ж"), ("z", "з"), ("i", "и"), ("j", "ј"), ("k", "к"), ("l", "л"),
    ("m", "м"), ("n", "н"), ("o", "о"), ("p", "п"), ("r", "р"), ("s", "с"), ("t", "т"), ("ć", "ћ"),
    ("u", "у"), ("f", "ф"), ("h", "х"), ("c", "ц"), ("č", "ч"), ("š", "ш"),
]
_ALBANIAN_TO_SERBIAN = [
    ("xh", "dž"), ("gj", "đ"), ("sh", "š"), ("zh", "ž"), ("dh", "d"), ("th", "t"), ("ll", "l"),
    ("rr", "r"), ("ç", "č"), ("q", "ć"), ("x", "dz"), ("y", "i"), ("ë", "e"),
]
_ALBANIAN_NAIVE = [("ë", "e"), ("ç", "c"), ("q", "k"), ("xh", "xh"), ("y", "i")]
_ROMANIAN_CYRILLIC = [
    ("che", "ке"), ("chi", "ки"), ("ghe", "ге"), ("ghi", "ги"), ("cea", "ча"), ("cio", "чо"), ("ciu", "чу"),
    ("gea", "джа"), ("gio", "джо"), ("giu", "джу"), ("ce", "че"), ("ci", "чи"), ("ge", "дже"),
    ("gi", "джи"), ("ea", "я"), ("ia", "ия"), ("iu", "ю"), ("ș", "ш"), ("ş", "ш"), ("ț", "ц"), ("ţ", "ц"),
    ("ă", "э"), ("â", "ы"), ("î", "ы"), ("j", "ж"), ("x", "кс"), ("a", "а"), ("b", "б"), ("c", "к"), ("d", "д"),
    ("e", "е"), ("f", "ф"), ("g", "г"), ("h", "х"), ("i", "и"), ("l", "л"), ("m", "м"), ("n", "н"),
    ("o", "о"), ("p", "п"), ("r", "р"), ("s", "с"), ("t", "т"), ("u", "у"), ("v", "в"), ("z", "з"),
]

# ICAO 9303, as a Russian passport (held by many in Transnistria and Gagauzia) writes
# a Cyrillic name in Latin letters.
_PASSPORT_LATIN = [
    ("а", "a"), ("б", "b"), ("в", "v"), ("г", "g"), ("д", "d"), ("е", "e"), ("ё", "e"), ("ж", "zh"),
    ("з", "z"), ("и", "i"), ("й", "i"), ("к", "k"), ("л", "l"), ("м", "m"), ("н", "n"), ("о", "o"),
    ("п", "p"), ("р", "r"), ("с", "s"), ("т", "t"), ("у", "u"), ("ф", "f"), ("х", "kh"), ("ц", "ts"),
    ("ч", "ch"), ("ш", "sh"), ("щ", "shch"), ("ъ", "ie"), ("ы", "y"), ("ь", ""), ("э", "e"), ("ю", "iu"),
    ("я", "ia"),
]
# Russian writes a Moldovan family name's final -ari as -арь: Чеботарь for Cebotari.
_FINAL_ARI = re.compile(r"ари\b")


def _rewrite(text: str, table: list[tuple[str, str]]) -> str:
    """Apply a longest-first rewriting table to a name, keeping its capitalisation."""
    out, index, lower = [], 0, text.lower()
    while index < len(text):
        for source, target in table:
            if lower.startswith(source, index):
                piece = target
                if text[index].isupper():
                    piece = target[:1].upper() + target[1:]
                out.append(piece)
                index += len(source)
                break
        else:
            out.append(text[index])
            index += 1
    return "".join(out)


_PLAIN = {"ë": "e", "ç": "c", "č": "c", "ć": "c", "š": "s", "ž": "z", "đ": "dj", "ă": "a", "â": "a",
          "î": "i", "ș": "s", "ş": "s", "ț": "t", "ţ": "t"}


_IRREGULAR_PATRONYMIC_STEMS = {"Пётр": ("Петр", "о"), "Михаил": ("Михайл", "о"), "Дмитрий": ("Дмитри", "е"),
                               "Георгий": ("Георги", "е")}


def russian_patronymic(father: str, sex: str) -> str:
    """The patronymic a Russian-language record forms from the Russian form of a father's name."""
    if father in _IRREGULAR_PATRONYMIC_STEMS:
        stem, vowel = _IRREGULAR_PATRONYMIC_STEMS[father]
    elif father.endswith("ий"):
        stem, vowel = father[:-2] + "ь", "е"
    elif father.endswith("й"):
        stem, vowel = father[:-1], "е"
    else:
        stem, vowel = father, "о"
    return f"{stem}{vowel}{'вна' if sex == 'female' else 'вич'}"


def passport_latin(cyrillic: str) -> str:
    """A Cyrillic name as a Russian passport writes it in Latin letters."""
    return _rewrite(cyrillic, _PASSPORT_LATIN)


def drop_diacritics(text: str) -> str:
    """As typed on a keyboard without the region's letters."""
    plain = []
    for char in text:
        replacement = _PLAIN.get(char.lower(), char)
        plain.append(replacement.capitalize() if char.isupper() and char.lower() in _PLAIN else replacement)
    return "".join(plain)


def to_cyrillic(text: str, group: str) -> str:
    """How a Serbian or Moldovan clerk writes the name in Cyrillic."""
    if group == "romanian":
        return _FINAL_ARI.sub("арь", _rewrite(text, _ROMANIAN_CYRILLIC))
    if group in ("albanian", "roma"):
        text = _rewrite(text, _ALBANIAN_TO_SERBIAN)
    return _rewrite(text, _SERBIAN_CYRILLIC)


def serbian_ending(name: str) -> str:
    """A final -e or -ë of an Albanian name of five letters or more, as Serbian gives it: -a."""
    if len(name) >= 5 and name[-1] in "eëEË":
        return name[:-1] + ("A" if name[-1].isupper() else "a")
    return name


# Letters Serbian Latin and Albanian write with two: an initial keeps both (Lj., Sh.). Written
# apart from the engine's list (normalise._TWO_LETTER_LETTERS), as RUSSIAN_FORMS is.
_TWO_LETTER_INITIALS = ("dž", "lj", "nj", "dh", "gj", "ll", "rr", "sh", "th", "xh", "zh")


def initial(name: str) -> str:
    """A name abbreviated to its first letter, or two when they write one letter, and a stop."""
    letters = 2 if name[:2].lower() in _TWO_LETTER_INITIALS else 1
    return name[:letters] + "."


def typo(text: str, rng: random.Random) -> str:
    """One keyboard slip: a letter dropped, doubled, swapped with its neighbour or replaced
    by a common letter of the same alphabet."""
    if len(text) < 4:
        return text
    index = rng.randrange(1, len(text) - 1)
    kind = rng.random()
    if kind < 0.3:
        return text[:index] + text[index + 1 :]
    if kind < 0.5:
        return text[:index] + text[index] + text[index:]
    if kind < 0.75:
        return text[: index - 1] + text[index] + text[index - 1] + text[index + 1 :]
    letters = "аеиоулнрстмк" if "\u0400" <= text[index] <= "\u04ff" else "aeioulnrstmk"
    return text[:index] + rng.choice(letters) + text[index + 1 :]


@dataclass
class Person:
    person_id: str
    group: str
    sex: str
    given: str
    family: str
    father: str
    birth: date
    place: str
    citizenship: str
    nickname: str | None
    passport: str | None
    married_family: str | None = None
    second_given: str | None = None
    records: int = 1
    kind: str = field(default="person")
    identifications: list[date] = field(default_factory=list)


class SyntheticPopulation:
    """Draws persons (with siblings, twins and namesakes) and their noisy records."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self._recent: list[Person] = []
        self._count = 0

    def new_person(self) -> Person:
        rng = self.rng
        group = rng.choices(list(GROUP_WEIGHTS), weights=list(GROUP_WEIGHTS.values()))[0]
        names = GROUPS[group]
        sex = "female" if rng.random() < 0.75 else "male"
        given = rng.choice(names[sex])
        birth = date(1975, 1, 1) + timedelta(days=rng.randrange(365 * 37))
        family = rng.choice(names["family"])
        father = rng.choice(names["male"])
        place = rng.choice(names["places"])
        self._count += 1
        person = Person(
            person_id=f"P{self._count:07d}", group=group, sex=sex, given=given, family=family,
            father=father, birth=birth, place=place, citizenship=rng.choice(CITIZENSHIP[group]),
            nickname=NICKNAMES.get(given) if rng.random() < 0.5 else None,
            passport=f"{rng.choice('PABKR')}{rng.randrange(10**6, 10**7)}" if rng.random() < 0.4 else None,
            married_family=rng.choice(names["family"]) if sex == "female" and rng.random() < 0.03 else None,
        )
        if group == "romanian" and rng.random() < DOUBLE_GIVEN_NAME_SHARE:
            person.second_given = rng.choice([name for name in names[sex] if name != given])
        kind = rng.random()
        if self._recent and kind < 0.15:
            self._make_sibling(person, rng.choice(self._recent), twin=kind < 0.02)
        elif self._recent and kind < 0.17:
            self._make_namesake(person, rng.choice(self._recent))
        person.records = rng.choices([1, 2, 3, 4], weights=[45, 30, 17, 8])[0]
        self._recent.append(person)
        if len(self._recent) > 2000:
            self._recent.pop(rng.randrange(len(self._recent)))
        return person

    def _make_sibling(self, person: Person, other: Person, twin: bool) -> None:
        names = GROUPS[other.group]
        person.group, person.family, person.father, person.place = other.group, other.family, other.father, other.place
        person.citizenship = other.citizenship
        person.given = self.rng.choice([n for n in names[person.sex] if n != other.given])
        person.second_given = None
        person.nickname = NICKNAMES.get(person.given) if self.rng.random() < 0.5 else None
        shift = 0 if twin else self.rng.choice([-1, 1]) * self.rng.randrange(300, 365 * 8)
        person.birth = other.birth + timedelta(days=shift)
        person.kind = "twin" if twin else "sibling"
        if self.rng.random() < IDENTIFIED_TOGETHER_SHARE:
            person.identifications = other.identifications

    def _make_namesake(self, person: Person, other: Person) -> None:
        person.group, person.given, person.family, person.sex = other.group, other.given, other.family, other.sex
        person.second_given = other.second_given
        person.nickname = other.nickname
        if self.rng.random() < 0.5:
            person.birth = date(other.birth.year, 1, 1) + timedelta(days=self.rng.randrange(365))
        person.kind = "namesake"

    def _identification_date(self, person: Person) -> date:
        """Half of a person's later records are referrals from an earlier identification,
        written within ``REFERRAL_DAYS``; the others (and a first) fall anywhere in the
        years the database covers. A sibling trafficked alongside shares the referrals."""
        rng = self.rng
        last = FIRST_IDENTIFICATION + timedelta(days=365 * IDENTIFICATION_YEARS - 1)
        if person.identifications and rng.random() < REFERRAL_SHARE:
            referred = rng.choice(person.identifications) + timedelta(days=rng.randrange(REFERRAL_DAYS + 1))
            identified = min(referred, last)
        else:
            identified = FIRST_IDENTIFICATION + timedelta(days=rng.randrange(365 * IDENTIFICATION_YEARS))
        person.identifications.append(identified)
        return identified

    def _writing_style(self, group: str, institution: str) -> str:
        """How one clerk writes all the names of one record."""
        rng = self.rng
        if institution in ("police", "prosecution", "social_welfare") and rng.random() < 0.25:
            return "cyrillic"
        if group == "romanian" and rng.random() < PASSPORT_LATIN_SHARE:
            return "passport"
        if group in ("albanian", "roma") and rng.random() < 0.2:
            return "serbian"
        if group == "albanian" and rng.random() < 0.1:
            return "naive"
        return "plain" if rng.random() < 0.3 else "native"

    def _write_name(self, name: str, group: str, style: str, upper: bool) -> str:
        if style in ("cyrillic", "serbian") and group in ("albanian", "roma") and self.rng.random() < 0.5:
            name = serbian_ending(name)
        if style in ("cyrillic", "passport"):
            russian = name in RUSSIAN_FORMS and self.rng.random() < 0.5
            name = RUSSIAN_FORMS[name] if russian else to_cyrillic(name, group)
            if style == "passport":
                name = passport_latin(name)
        elif style == "serbian":
            name = _rewrite(name, _ALBANIAN_TO_SERBIAN)
        elif style == "naive":
            name = _rewrite(name, _ALBANIAN_NAIVE)
        elif style == "plain":
            name = drop_diacritics(name)
        if self.rng.random() < 0.12:
            name = typo(name, self.rng)
        return name.upper() if upper else name

    def _given_name(self, person: Person) -> str:
        """A nickname now and then; a double given name whole, or its first name alone."""
        rng = self.rng
        if person.nickname and rng.random() < 0.06:
            return person.nickname
        if person.second_given is None or rng.random() < 0.35:
            return person.given
        return f"{person.given}{rng.choice('- ')}{person.second_given}"

    def _father_name(self, person: Person, style: str, upper: bool) -> str:
        """Now and then, in a Russian-language record, the patronymic (Ивановна); now and
        then only the initial."""
        if style == "cyrillic" and person.father in RUSSIAN_FORMS and self.rng.random() < PATRONYMIC_SHARE:
            return self._patronymic(person, upper)
        father = self._write_name(person.father, person.group, style, upper)
        return initial(father) if self.rng.random() < FATHER_INITIAL_SHARE else father

    @staticmethod
    def _patronymic(person: Person, upper: bool) -> str:
        patronymic = russian_patronymic(RUSSIAN_FORMS[person.father], person.sex)
        return patronymic.upper() if upper else patronymic

    def _father_within_name(self, person: Person, style: str, upper: bool) -> str | None:
        """The father's name as a full name in the person's language carries it after the
        given name: Arta Ilir Berisha, Jelena (Petar) Jovanović, a Russian-language
        record's Мария Петровна; now and then, and in a Romanian full name always, only its
        initial (Jelena P. Jovanović, Ion V. Popescu)."""
        russian = style == "cyrillic" and person.father in RUSSIAN_FORMS
        if person.group == "romanian" and russian:
            return self._patronymic(person, upper)
        father = self._write_name(person.father, person.group, style, upper)
        if person.group == "romanian" or self.rng.random() < FATHER_INITIAL_SHARE:
            father = initial(father)
        return f"({father})" if person.group == "serbian" and self.rng.random() < 0.5 else father

    def record(self, person: Person, number: int) -> dict:
        rng = self.rng
        institution = rng.choice(INSTITUTIONS)
        style, upper = self._writing_style(person.group, institution), rng.random() < 0.1
        given = self._given_name(person)
        family = person.married_family if person.married_family and rng.random() < 0.5 else person.family
        identity: dict = {
            "given_name": self._write_name(given, person.group, style, upper),
            "family_name": self._write_name(family, person.group, style, upper),
        }
        father_apart = rng.random() < 0.6
        if not father_apart and rng.random() < FATHER_IN_NAME_SHARE:
            father = self._father_within_name(person, style, upper)
            if father is not None:
                identity["given_name"] += " " + father
        placement = rng.random()
        if placement < 0.07:
            identity["given_name"], identity["family_name"] = identity["family_name"], identity["given_name"]
        elif placement < 0.07 + WHOLE_NAME_IN_ONE_FIELD_SHARE:
            names = [identity.pop("given_name"), identity.pop("family_name")]
            rng.shuffle(names)
            identity[rng.choice(["given_name", "given_name", "family_name"])] = " ".join(names)
        if father_apart:
            identity["father_name"] = self._father_name(person, style, upper)
        other_names = []
        if person.nickname and given != person.nickname and rng.random() < 0.5:
            other_names.append(person.nickname)
        if person.married_family and rng.random() < FORMER_FAMILY_NAME_SHARE:
            other_names.append(person.family if family == person.married_family else person.married_family)
        if other_names:
            identity["other_names"] = [self._write_name(name, person.group, style, upper) for name in other_names]
        if rng.random() < 0.65:
            identity["place_of_birth"] = self._write_name(person.place, person.group, style, upper)
        if person.passport and rng.random() < 0.5:
            identity["documents"] = [{"type": "passport", "number": person.passport, "country": person.citizenship}]

        identified = self._identification_date(person)
        age = identified.year - person.birth.year - ((identified.month, identified.day) < (person.birth.month, person.birth.day))
        statistical: dict = {"sex": person.sex, "citizenship": [person.citizenship],
                             "identification_date": identified.isoformat()}
        known = rng.random()
        if known < 0.6:
            born = person.birth
            if rng.random() < UNKNOWN_DAY_SHARE:
                identity["date_of_birth"] = f"{born.year:04d}-01-01"
            elif rng.random() < 0.04 and born.day <= 12:
                identity["date_of_birth"] = f"{born.year:04d}-{born.day:02d}-{born.month:02d}"
            elif rng.random() < 0.25:
                identity["date_of_birth"] = f"{born.day:02d}.{born.month:02d}.{born.year}"
            else:
                identity["date_of_birth"] = born.isoformat()
            statistical["age_at_identification"] = age
        elif known < 0.8:
            identity["birth_year"] = person.birth.year + (rng.choice([-1, 1]) if rng.random() < YEAR_OFF_SHARE else 0)
            statistical["age_at_identification"] = age
        elif known < 0.95:
            statistical["age_at_identification"] = age + (rng.choice([-1, 1]) if rng.random() < 0.15 else 0)
        return {"id": f"R{number:08d}", "true_person": person.person_id, "institution_type": institution,
                "identity": identity, "statistical": statistical}


def generate(records: int, seed: int = 1) -> Iterator[dict]:
    """``records`` labelled records, one person's records spread through the stream.

    A person's records are released in random order within a sliding window, as
    identifications arrive over months, without holding the whole stream in memory.
    """
    population = SyntheticPopulation(seed)
    window: list[tuple[float, int, Person]] = []
    emitted, made, tick = 0, 0, 0
    while emitted < records:
        if made < records:
            person = population.new_person()
            for _ in range(min(person.records, records - made)):
                heapq.heappush(window, (tick + population.rng.random() * 500, made, person))
                made += 1
            tick += 1
        while window and (window[0][0] <= tick or made >= records) and emitted < records:
            _, _, person = heapq.heappop(window)
            yield population.record(person, emitted)
            emitted += 1
