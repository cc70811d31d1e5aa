"""Names, places and dates as this region writes them reduce to one comparable form."""

from datetime import date

import pytest

from chalicelib.domain.linkage.normalise import (
    birth_date,
    countries,
    document_number,
    father_name_readings,
    fold,
    identification_date,
    initial_letters,
    known_variants,
    name_keys,
    name_readings,
    name_skeleton,
    name_words,
    one_letter_neighbours,
    place_key,
    sex,
    without_initials,
    written_neighbours,
)


@pytest.mark.parametrize(
    "written, same_as",
    [
        ("Арбер Красники", "Arbër Krasniqi"),
        ("Краснићи", "Krasniqi"),
        ("Krasnici", "Krasniqi"),
        ("Đorđe Petrović", "Djordje Petrovic"),
        ("Ђорђе Петровић", "Đorđe Petrović"),
        ("Hoxha", "Hodža"),
        ("Xhemajli", "Џемајли"),
        ("Berisha", "Beriša"),
        ("Ștefănescu", "Ştefănescu"),
        ("Cîmpeanu", "Câmpeanu"),
        ("Marija", "Maria"),
        ("Љубица", "Ljubica"),
        ("Njomza", "Њомза"),
        ("Mehmeti", "Memeti"),
        ("Rrahmani", "Rahmani"),
        ("Llapashtica", "Lapaštica"),
        ("ARBËR", "arber"),
        ("Ar\u200bbër", "Arbër"),
        ("Arbe\u0308r", "Arbër"),
        ("Mikhail", "Михаил"),
        ("Shevchuk", "Шевчук"),
    ],
)
def test_spellings_of_one_name_share_one_key(written, same_as):
    assert name_keys(written) == name_keys(same_as)


def test_different_names_keep_different_keys():
    assert name_keys("Arbër") != name_keys("Arben")
    assert name_keys("Krasniqi") != name_keys("Kryeziu")


def test_hyphens_and_punctuation_separate_words():
    assert name_keys("Jovanović-Petrović") == name_keys("Jovanović Petrović")
    assert fold("  O'Brien,  ana-MARIA ") == "obrien ana maria"


def test_a_names_words_in_its_own_letters_split_where_its_folded_words_do():
    assert name_words("  O'Brien,  ana-MARIA ") == ["OBrien", "ana", "MARIA"]
    assert name_words("Jelena (Petar)") == ["Jelena", "Petar"]
    assert name_words("Мария Петровна") == ["Мария", "Петровна"]
    assert name_words(None) == []


def test_skeleton_ignores_word_order_and_vowel_slips():
    assert name_skeleton(name_keys("Arbër Krasniqi")) == name_skeleton(name_keys("Krasniqi Arber"))
    assert name_skeleton(name_keys("Bajram")) == name_skeleton(name_keys("Bajrami"))


@pytest.mark.parametrize("short, full", [
    ("Beri", "Arbër"), ("Saša", "Aleksandar"), ("Ceca", "Svetlana"), ("Цеца", "Svetlana"), ("Goca", "Gordana"),
    ("Peđa", "Predrag"), ("Linda", "Mirlinda"), ("Costel", "Constantin"), ("Mitică", "Dumitru"),
    ("Natașa", "Natalia"), ("Sașa", "Alexandru"), ("Vova", "Vladimir"), ("Вова", "Владимир"), ("Mite", "Dimitar"),
    ("Medina", "Elmedina"), ("Mujo", "Mustafa"), ("Ramka", "Ramiza"), ("Jora", "Gheorghe"), ("Жора", "Gheorghe"),
])
def test_the_regions_everyday_short_forms_read_as_the_full_name_and_back(short, full):
    assert name_keys(full)[0] in known_variants(name_keys(short))
    assert name_keys(short)[0] in known_variants(name_keys(full))


def test_places_in_albanian_serbian_and_cyrillic_are_one_place():
    assert place_key("Pejë") == place_key("Peć") == place_key("Пећ")
    assert place_key("Prishtinë") == place_key("Priština") == place_key("PRISHTINA")
    assert place_key("Chișinău") == place_key("Кишинёв")
    assert place_key("Prizren") != place_key("Pejë")


def test_document_numbers_lose_spaces_and_dashes():
    assert document_number("p 123-4567") == "P1234567"
    assert document_number("12") is None


@pytest.mark.parametrize("written", ["2007-04-12", "12.04.2007", "12/4/2007", "2007-4-12", "20070412"])
def test_full_dates_in_regional_formats(written):
    born = birth_date({"date_of_birth": written}, {})
    assert (born.first_year, born.month, born.day) == (2007, 4, 12)


@pytest.mark.parametrize("written", ["2007", "2007-04", "04.2007", "04/2007"])
def test_a_date_without_its_day_gives_its_year(written):
    born = birth_date({"date_of_birth": written}, {})
    assert born.years == range(2007, 2008) and not born.is_full


@pytest.mark.parametrize("written", ["2007-01-01", "01.01.2007"])
def test_the_first_of_january_is_read_as_the_year_alone_as_registries_write_it_for_an_unknown_day(written):
    born = birth_date({"date_of_birth": written}, {})
    assert born.years == range(2007, 2008) and not born.is_full


def test_impossible_month_is_read_as_transposed_day():
    born = birth_date({"date_of_birth": "2007-25-04"}, {})
    assert (born.month, born.day) == (4, 25)


def test_year_only_and_age_at_identification_give_year_intervals():
    assert birth_date({"birth_year": 2007}, {}).years == range(2007, 2008)
    from_age = birth_date({}, {"age_at_identification": 17, "identification_date": "2025-03-01"})
    assert list(from_age.years) == [2007, 2008]
    assert not from_age.is_full
    assert birth_date({}, {"age_at_identification": 17}) is None


@pytest.mark.parametrize(
    "moldovan_cyrillic, romanian",
    [("Плэмэдялэ", "Plămădeală"), ("Бэлан", "Bălan"), ("Андрея", "Andreea"), ("Гырля", "Gârlea"),
     ("Юрие", "Iurie"), ("Наталья", "Natalia")],
)
def test_moldovan_cyrillic_reads_as_romanian_latin(moldovan_cyrillic, romanian):
    assert name_keys(moldovan_cyrillic) == name_keys(romanian)


def test_cyrillic_soft_vowels_do_not_make_a_serbian_dj():
    assert name_keys("Дядя") != name_keys("Ђађа")


def test_letters_a_plain_keyboard_or_the_other_alphabet_writes_otherwise_give_other_readings():
    assert name_readings("Sârbu")[0] == name_readings("Sîrbu")[0] == name_readings("Сырбу")[0]
    assert name_readings("Sarbu")[0] in name_readings("Sârbu")
    assert set(name_readings("Țurcanu")) & set(name_readings("Цуркану"))
    assert name_readings("Dokic")[0] in name_readings("Đokić")
    assert name_readings("Nadejda")[0] in name_readings("Надежда")
    assert name_readings("Nadežda")[0] == name_readings("Надежда")[0]
    assert name_readings("Krasniqi") == (" ".join(name_keys("Krasniqi")),)
    assert name_readings(None) == ()


@pytest.mark.parametrize(
    "albanian, serbian",
    [("Hajrije", "Hajrija"), ("Xhemile", "Džemila"), ("Fatime", "Fatima"), ("Berishë", "Berisha"),
     ("Shqipe", "Shqipja"), ("Fatime", "Фатима"), ("Sylejmani", "Sulejmani"), ("Gjylje", "Đulja")],
)
def test_albanian_endings_and_y_also_read_as_serbian_writes_them(albanian, serbian):
    assert set(name_readings(albanian)) & set(name_readings(serbian))


@pytest.mark.parametrize("romanian, russian", [("Ion", "Иван"), ("Dumitru", "Дмитрий"), ("Ștefan", "Степан"),
                                               ("Iurie", "Yuriy"), ("Petru", "Пётр")])
def test_a_moldovan_name_in_its_russian_form_also_reads_as_the_romanian_one(romanian, russian):
    assert name_readings(romanian)[0] in name_readings(russian)


@pytest.mark.parametrize("romanian, moldovan_cyrillic", [("Ciobanu", "Чобану"), ("Giurgiu", "Джурджу"),
                                                         ("Ceaușescu", "Чаушеску"), ("Ciachir", "Чакир")])
def test_a_c_or_g_softened_by_a_silent_vowel_also_reads_as_moldovan_cyrillic_writes_it(romanian, moldovan_cyrillic):
    assert name_readings(moldovan_cyrillic)[0] in name_readings(romanian)


def test_an_i_sounded_after_c_keeps_its_place():
    assert name_readings("Lucian")[0] == name_readings("Лучиан")[0]
    assert not set(name_readings("Lucia")) & set(name_readings("Luca"))


@pytest.mark.parametrize("patronymic, father", [("Ивановна", "Ion"), ("Петровна", "Petru"), ("Sergeyevna", "Сергей"),
                                                ("Юрьевна", "Iurie"), ("Игоревна", "Igor"), ("Михайловна", "Mihai"),
                                                ("Дмитриевич", "Dumitru"), ("Nikolaevna", "Nicolae")])
def test_a_fathers_name_written_as_the_russian_patronymic_also_reads_as_the_fathers_name(patronymic, father):
    assert set(father_name_readings(patronymic)) & set(name_readings(father))


@pytest.mark.parametrize("feminine, masculine", [("Stojanovska", "Stojanovski"), ("Стојановска", "Stojanovski"),
                                                 ("Petrova", "Петров"), ("Dimitrieva", "Dimitriev")])
def test_a_feminine_family_name_also_reads_as_the_masculine_form_and_back(feminine, masculine):
    assert name_readings(masculine)[0] in name_readings(feminine)
    assert name_readings(feminine)[0] in name_readings(masculine)


def test_only_a_fathers_name_of_one_word_is_read_as_a_patronymic():
    assert father_name_readings("Ion Ivanovici") == name_readings("Ion Ivanovici")
    assert father_name_readings("Milan") == name_readings("Milan")


@pytest.mark.parametrize(
    "passport_latin, romanian",
    [("Nadezhda", "Nadejda"), ("KOZHOKARU", "Cojocaru"), ("Belan", "Bălan"), ("Plemedeale", "Plămădeală"),
     ("Tsurkanu", "Țurcanu"), ("Tsurkanu", "Цуркану"), ("Gutsu", "Guțu"), ("Militsa", "Milica"),
     ("Mikhail", "Mihai"), ("CHEBOTAR", "Cebotari")],
)
def test_a_name_as_a_russian_passport_writes_it_in_latin_letters_also_reads_as_the_romanian_one(
    passport_latin, romanian
):
    assert set(name_readings(passport_latin)) & set(name_readings(romanian))


@pytest.mark.parametrize("russian, romanian", [("Чеботарь", "Cebotari"), ("РОТАРЬ", "Rotari"), ("Бэлан", "Belan")])
def test_a_moldovan_name_as_russian_writes_it_also_reads_as_the_romanian_one(russian, romanian):
    assert name_readings(romanian)[0] in name_readings(russian)


def test_a_ts_typed_by_a_slip_still_reads_as_written():
    slip, written = name_readings("Mutsafic")[0], name_readings("Mustafić")[0]
    assert one_letter_neighbours(slip) & one_letter_neighbours(written)


def test_a_soft_sign_inside_a_name_is_not_read_as_an_i():
    assert name_readings("Ольга") == ("olga",)


def test_romanian_x_reads_as_moldovan_cyrillic_writes_it():
    assert name_keys("Alexandru") == name_keys("Александру")


def test_short_names_keep_their_ending():
    assert not set(name_readings("Mile")) & set(name_readings("Mila"))
    assert not set(name_readings("Rade")) & set(name_readings("Rada"))


@pytest.mark.parametrize("typo", ["krasniki", "krasnki", "krasniiki", "karsniki", "krasmiki"])
def test_spellings_one_letter_apart_share_a_spelling_one_letter_shorter(typo):
    assert one_letter_neighbours("krasniki") & one_letter_neighbours(typo)


def test_one_letter_neighbours_read_doubled_letters_once_and_keep_short_names_whole():
    assert one_letter_neighbours("zekiri") & one_letter_neighbours("zeki")
    assert one_letter_neighbours("ana") == {"ana"}
    assert not one_letter_neighbours("ana") & one_letter_neighbours("ina")
    assert one_letter_neighbours("") == set()


@pytest.mark.parametrize("typo, name", [("Neand", "Nenad"), ("SEAND", "Senad"), ("Geaim", "Gëzim")])
def test_a_typo_that_the_spelling_classes_make_two_differences_is_one_letter_off_as_written(typo, name):
    assert not one_letter_neighbours(name_readings(typo)[0]) & one_letter_neighbours(name_readings(name)[0])
    assert written_neighbours(typo) & written_neighbours(name)


def test_written_neighbours_read_doubled_letters_once_and_keep_short_names_whole():
    assert written_neighbours("Marrina") == written_neighbours("Marina")
    assert written_neighbours("Hana") == written_neighbours("Anna") == set()
    assert written_neighbours(None) == set()


def test_an_age_at_identification_bounds_the_birth_to_the_year_before_it():
    born = birth_date({}, {"age_at_identification": 17, "identification_date": "2025-03-01"})
    assert (born.earliest, born.latest) == (date(2007, 3, 2), date(2008, 3, 1))
    assert born.months()[0] == (2007, 3) and born.months()[-1] == (2008, 3) and len(born.months()) == 13
    assert born.estimated and list(born.possible_years) == [2006, 2007, 2008, 2009]


def test_a_written_year_is_narrowed_by_an_age_that_agrees_with_it():
    born = birth_date({"birth_year": 2007}, {"age_at_identification": 17, "identification_date": "2025-03-01"})
    assert (born.earliest, born.latest) == (date(2007, 3, 2), date(2007, 12, 31))
    assert not born.estimated and list(born.possible_years) == [2007]
    disagreeing = birth_date({"birth_year": 2003}, {"age_at_identification": 17, "identification_date": "2025-03-01"})
    assert (disagreeing.earliest, disagreeing.latest) == (date(2003, 1, 1), date(2003, 12, 31))
    full = birth_date({"date_of_birth": "2007-04-12"},
                      {"age_at_identification": 30, "identification_date": "2025-03-01"})
    assert full.months() == [(2007, 4)]


def test_sex_and_citizenship_keep_only_values_a_match_can_rest_on():
    assert (sex("female"), sex("male"), sex("unknown"), sex(None)) == ("female", "male", None, None)
    assert countries(["xk", "AL", "XK", "Kosovo", 7]) == ("XK", "AL")
    assert countries(None) == ()


@pytest.mark.parametrize(
    "written, name, initials",
    [
        ("Jelena P.", "Jelena", ("P",)),
        ("Ion V. Popescu", "Ion Popescu", ("V",)),
        ("Мария П.", "Мария", ("П",)),
        ("Jelena (P.)", "Jelena", ("P",)),
        ("J.", "", ("J",)),
        ("J. P.", "", ("J", "P")),
        ("Sh.", "", ("Sh",)),
        ("Dž.", "", ("Dž",)),
    ],
)
def test_a_names_initials_come_apart_from_its_words(written, name, initials):
    assert without_initials(written) == (name, initials)


def test_a_name_without_initials_comes_back_as_written():
    assert without_initials("Ana-Maria") == ("Ana-Maria", ())
    assert without_initials("Sha") == ("Sha", ())
    assert without_initials("O'Brien") == ("O'Brien", ())
    assert without_initials(None) == (None, ())


@pytest.mark.parametrize(
    "initial, letters",
    [("P", ("p",)), ("Č", ("k",)), ("C", ("k",)), ("J", ("i",)), ("Sh", ("s",)), ("Ђ", ("g", "d")),
     ("D", ("d", "g")), ("X", ("k", "g")), ("E", ("e", "i")), ("H", ())],
)
def test_an_initial_stands_for_the_first_letters_of_the_spellings_it_may_abbreviate(initial, letters):
    assert initial_letters(initial) == letters


@pytest.mark.parametrize("written, day", [
    ("2025-03-01", date(2025, 3, 1)), ("01.03.2025", date(2025, 3, 1)), ("2025-03", None), ("2025", None),
    ("", None), (None, None),
])
def test_the_day_of_identification_is_read_only_when_written_whole(written, day):
    assert identification_date({"identification_date": written}) == day
