"""Fellegi–Sunter scores: the same person across institutions scores high, relatives and
namesakes low, and the reviewer sees why."""

import math

import pytest

from chalicelib.domain.linkage import Decision, Encoder, FellegiSunter, Level, Frequencies, Thresholds

KEY = b"s" * 32
ARBER = {"given_name": "Arbër", "family_name": "Krasniqi", "father_name": "Ilir",
         "date_of_birth": "2007-04-12", "place_of_birth": "Prizren"}
AGED_17 = {"age_at_identification": 17, "identification_date": "2025-03-01"}
A_YEAR_OFF = {"age_at_identification": 16, "identification_date": "2025-03-01"}
AGED_18_A_YEAR_LATER = {"age_at_identification": 18, "identification_date": "2026-03-01"}


def compare(first, second, first_stats=None, second_stats=None):
    encoder = Encoder(KEY)
    return FellegiSunter().compare(
        encoder.encode(first, first_stats or {}).encoding, encoder.encode(second, second_stats or {}).encoding
    )


def decide(comparison):
    return FellegiSunter.classify(comparison, Thresholds())


def weight(comparison, field):
    return next(f.weight for f in comparison.fields if f.field == field)


def test_police_cyrillic_record_and_ngo_latin_record_link():
    police = {"given_name": "Арбер", "family_name": "Краснићи", "father_name": "Илир",
              "date_of_birth": "12.04.2007", "place_of_birth": "Призрен"}
    comparison = compare(ARBER, police)
    assert comparison.level("given_name") is Level.EXACT
    assert comparison.level("birth_date") is Level.EXACT
    assert decide(comparison) is Decision.LINK


def test_swapped_names_and_transposed_day_month_still_link():
    comparison = compare(ARBER, {"given_name": "KRASNIQI", "family_name": "ARBER", "father_name": "Ilir",
                                 "date_of_birth": "2007-12-04"})
    assert comparison.names_swapped
    assert comparison.level("birth_date") is Level.TRANSPOSED
    assert decide(comparison) is Decision.LINK


def test_nickname_in_other_names_counts_as_an_alias():
    comparison = compare({**ARBER, "other_names": ["Beri"]}, {**ARBER, "given_name": "Beri"})
    assert comparison.level("given_name") is Level.ALIAS


def test_a_nickname_with_a_rare_family_name_and_the_birth_year_links_as_most_short_forms_are_nobodys_name():
    encoder, model = Encoder(KEY), FellegiSunter()
    arber = encoder.encode({"given_name": "Arbër", "family_name": "Krasniqi", "birth_year": 2007,
                            "other_names": ["Beri"]}, {}).encoding
    beri = encoder.encode({"given_name": "Beri", "family_name": "Krasniqi", "birth_year": 2007}, {}).encoding
    rare = Frequencies(10000, dict.fromkeys(arber.name_spellings | beri.name_spellings, 1))
    comparison = model.compare(arber, beri, rare)
    assert comparison.level("given_name") is Level.ALIAS
    assert model.classify(comparison, Thresholds()) is Decision.LINK


def test_a_short_form_of_the_given_name_links_when_the_rest_of_the_identity_agrees():
    jovanovic = {"family_name": "Jovanović", "father_name": "Milan", "date_of_birth": "1994-06-02",
                 "place_of_birth": "Niš"}
    comparison = compare({**jovanovic, "given_name": "Svetlana"},
                         {"given_name": "Цеца", "family_name": "Јовановић", "father_name": "Милан",
                          "date_of_birth": "02.06.1994", "place_of_birth": "Ниш"})
    assert comparison.level("given_name") is Level.ALIAS
    assert decide(comparison) is Decision.LINK


def test_a_fathers_name_given_as_the_russian_patronymic_agrees_with_the_fathers_name():
    ceban = {"given_name": "Natalia", "family_name": "Ceban", "birth_year": 1996}
    comparison = compare({**ceban, "father_name": "Ion"}, {**ceban, "father_name": "Ивановна"})
    assert comparison.level("father_name") is Level.EXACT
    assert decide(comparison) is Decision.LINK


def test_a_record_copied_from_a_russian_passport_links_with_the_romanian_spelling():
    turcanu = {"given_name": "Nadejda", "family_name": "Țurcanu", "birth_year": 1996}
    comparison = compare(turcanu, {"given_name": "NADEZHDA", "family_name": "TSURKANU", "birth_year": 1996})
    assert comparison.level("given_name") is comparison.level("family_name") is Level.EXACT
    assert decide(comparison) is Decision.LINK


BERISHA = {"given_name": "Arta", "family_name": "Berisha", "father_name": "Ilir", "birth_year": 1998}


def test_a_fathers_name_written_between_the_given_and_family_name_agrees_with_the_fathers_name():
    for full_name in ({"given_name": "Arta Ilir", "family_name": "Berisha"}, {"given_name": "Arta Ilir Berisha"},
                      {"given_name": "Arta (Ilir)", "family_name": "Beriša"}):
        comparison = compare(BERISHA, {**full_name, "birth_year": 1998})
        assert comparison.level("father_name") is Level.EXACT
        assert decide(comparison) is Decision.LINK


def test_a_given_name_written_with_the_fathers_name_after_it_compares_without_it():
    comparison = compare(BERISHA, {"given_name": "Arta Ilir", "family_name": "Berisha", "birth_year": 1998})
    assert comparison.level("given_name") is Level.EXACT

    misspelt = compare(BERISHA, {"given_name": "Arra Ilir", "family_name": "Berisha", "birth_year": 1998})
    assert misspelt.level("given_name") in (Level.CLOSE, Level.ONE_LETTER)
    assert misspelt.level("father_name") is Level.EXACT
    assert decide(misspelt) is Decision.LINK


JOVANOVIC = {"given_name": "Jelena", "family_name": "Jovanović", "father_name": "Petar", "birth_year": 1998}


def test_a_fathers_name_written_as_its_initial_agrees_with_the_name_and_links():
    without_father = {"family_name": "Jovanović", "birth_year": 1998}
    for initial in ({**JOVANOVIC, "father_name": "P."}, {**JOVANOVIC, "father_name": "P"},
                    {**without_father, "given_name": "Jelena P."},
                    {**without_father, "given_name": "Јелена П.", "family_name": "Јовановић"}):
        comparison = compare(initial, JOVANOVIC)
        assert comparison.level("father_name") is Level.INITIAL
        assert not FellegiSunter.contradicts(comparison, Thresholds())
        assert decide(comparison) is Decision.LINK


def test_an_initial_of_another_letter_is_another_fathers_name():
    comparison = compare({**JOVANOVIC, "father_name": "M."}, JOVANOVIC)
    assert comparison.level("father_name") is Level.DISAGREE
    assert FellegiSunter.contradicts(comparison, Thresholds())


def test_an_initial_stands_for_the_letters_other_alphabets_and_keyboards_write_it_with():
    for initial, name in (("Đ.", "Dorđe"), ("D.", "Đorđe"), ("Dž.", "Xhemajl"), ("X.", "Xhemajl"), ("C.", "Kristian"),
                          ("Č.", "Čedomir"), ("Sh.", "Shaban"), ("J.", "Ivan"), ("E.", "Yevgeni")):
        assert compare({**JOVANOVIC, "father_name": initial}, {**JOVANOVIC, "father_name": name}).level(
            "father_name") is Level.INITIAL, (initial, name)


def test_a_given_name_written_as_its_initial_is_no_contradiction_but_never_links_automatically():
    twin = {**ARBER, "given_name": "Vjosa"}
    for other in (ARBER, twin):
        initial = {**other, "given_name": other["given_name"][0] + "."}
        comparison = compare(initial, other)
        assert comparison.level("given_name") is Level.INITIAL
        assert not FellegiSunter.contradicts(comparison, Thresholds())
        assert decide(comparison) is Decision.REVIEW
    assert compare({**ARBER, "given_name": "V."}, ARBER).level("given_name") is Level.DISAGREE


HAXHIU = {"given_name": "Rrezarta", "family_name": "Haxhiu", "date_of_birth": "2005-04-17"}
MISSPELT_WITH_A_WORD_AFTER = {"given_name": "Rezatra Shkëlzen", "family_name": "Hadžiu", "date_of_birth": "2005-04-17"}


def test_a_misspelt_given_name_with_a_word_after_it_is_similar_to_the_given_name_alone():
    # the word may be her father's name or a second given name: similar, not contradicting
    comparison = compare(HAXHIU, MISSPELT_WITH_A_WORD_AFTER)
    assert comparison.level("given_name") is Level.PARTIAL
    assert not FellegiSunter().contradicts(comparison, Thresholds())
    assert decide(comparison) is Decision.LINK


def test_a_given_name_with_a_word_after_it_stays_another_name_when_the_words_before_differ_or_a_father_is_given():
    sister = compare({**HAXHIU, "given_name": "Drita"}, MISSPELT_WITH_A_WORD_AFTER)
    assert sister.level("given_name") is Level.DISAGREE
    another_father = compare({**HAXHIU, "father_name": "Agim"}, MISSPELT_WITH_A_WORD_AFTER)
    assert another_father.level("given_name") is Level.DISAGREE


def test_the_russian_form_of_the_first_of_a_double_given_name_is_contained_in_it():
    comparison = compare({"given_name": "Николай", "family_name": "Стратан", "birth_year": 1990},
                         {"given_name": "Nicolae-Vasile", "family_name": "Stratan", "birth_year": 1990})
    assert comparison.level("given_name") is Level.CONTAINED


def test_a_double_given_name_is_not_read_without_its_second_name_when_no_father_is_in_it():
    comparison = compare({"given_name": "Ana Maria", "family_name": "Popescu", "birth_year": 1996},
                         {"given_name": "Ana", "family_name": "Popescu", "father_name": "Ion", "birth_year": 1996})
    assert comparison.level("given_name") is Level.CONTAINED


def test_a_russian_full_name_with_the_patronymic_agrees_with_the_fathers_name():
    ivanova = {"given_name": "Maria", "family_name": "Ivanova", "father_name": "Petru", "birth_year": 1996}
    comparison = compare(ivanova, {"given_name": "Иванова Мария Петровна", "birth_year": 1996})
    assert comparison.level("father_name") is Level.EXACT
    assert decide(comparison) is Decision.LINK


def test_a_word_of_the_names_counts_as_the_fathers_name_only_when_the_names_agree():
    sister = compare(BERISHA, {"given_name": "Drita Ilir", "family_name": "Berisha", "birth_year": 1998})
    assert sister.level("father_name") is Level.MISSING
    assert decide(sister) is Decision.DISTINCT


def test_the_fathers_name_written_within_both_names_does_not_also_make_the_names_alike():
    # Twins: Mirela's names hold her father's name, as do Mimoza's, who gives it apart too.
    born = {"date_of_birth": "2001-09-16"}
    mimoza = {**born, "given_name": "Gashi", "family_name": "Mimoza Driton", "father_name": "Driton"}
    mirela = compare({**born, "given_name": "MIRELA DRITON", "family_name": "GASHI"}, mimoza)
    assert Level.DISAGREE in (mirela.level("given_name"), mirela.level("family_name"))
    assert decide(mirela) is not Decision.LINK
    assert decide(compare({**born, "given_name": "Mimoza Driton", "family_name": "Gashi"}, mimoza)) is Decision.LINK


def test_a_record_whose_father_has_its_own_given_name_finds_no_father_in_the_other_records_names():
    comparison = compare({"given_name": "Ilir", "family_name": "Berisha", "father_name": "Ilir"},
                         {"given_name": "Ilir Agim", "family_name": "Berisha"})
    assert comparison.level("father_name") is Level.MISSING


def test_a_family_name_like_a_patronymic_is_not_read_as_one():
    comparison = compare({"given_name": "Natalia", "family_name": "Ivan"},
                         {"given_name": "Natalia", "family_name": "Ivanova"})
    assert comparison.level("family_name") is not Level.EXACT


def test_missing_values_weigh_nothing():
    comparison = compare({"given_name": "Arbër", "family_name": "Krasniqi"}, ARBER)
    for field in ("father_name", "birth_date", "place_of_birth", "documents"):
        assert comparison.level(field) is Level.MISSING
        assert next(f.weight for f in comparison.fields if f.field == field) == 0


def test_age_at_identification_agrees_with_a_full_date_of_birth():
    comparison = compare(ARBER, {"given_name": "Arber", "family_name": "Krasniqi", "father_name": "Ilir"},
                         second_stats=AGED_17)
    assert comparison.level("birth_date") is Level.AGE
    assert decide(comparison) is Decision.LINK


def test_ages_at_identifications_months_apart_place_the_birth_within_a_year():
    names = {"given_name": "Arbër", "family_name": "Krasniqi"}
    later = {"age_at_identification": 17, "identification_date": "2025-09-20"}
    assert compare(names, names, AGED_17, later).level("birth_date") is Level.AGE
    years_later = {"age_at_identification": 21, "identification_date": "2029-09-20"}
    assert compare(names, names, AGED_17, years_later).level("birth_date") is Level.AGE
    in_that_year = {**names, "birth_year": 2007}
    assert compare(in_that_year, {**names, "date_of_birth": "2007-04-12"}).level("birth_date") is Level.YEAR
    told_otherwise = {"age_at_identification": 18, "identification_date": "2025-03-01"}
    assert compare(in_that_year, in_that_year, told_otherwise, {}).level("birth_date") is Level.YEAR
    assert compare({**in_that_year, "birth_year": None, "date_of_birth": "2007-12-01"}, in_that_year, {},
                   AGED_17).level("birth_date") is Level.YEAR


def test_names_and_an_age_that_agrees_link_but_an_age_a_year_off_needs_more():
    names = {"given_name": "Arbër", "family_name": "Krasniqi"}
    agreeing = compare(ARBER, names, second_stats=AGED_17)
    assert agreeing.level("birth_date") is Level.AGE
    assert decide(agreeing) is Decision.LINK

    a_year_off = compare(ARBER, names, second_stats=A_YEAR_OFF)
    assert a_year_off.level("birth_date") is Level.YEAR_RANGE
    assert decide(a_year_off) is Decision.REVIEW
    assert decide(compare(ARBER, {**names, "place_of_birth": "Prizren", "father_name": "Ilir"},
                          second_stats=A_YEAR_OFF)) is Decision.LINK


def test_a_larger_database_asks_more_evidence_of_a_link():
    thresholds = Thresholds()
    assert thresholds.for_database(thresholds.reference_records) == thresholds
    grown = thresholds.for_database(4 * thresholds.reference_records)
    assert (grown.auto_link, grown.review) == (thresholds.auto_link + 2, thresholds.review + 2)
    national = thresholds.for_database(100 * thresholds.reference_records)
    assert national.review == pytest.approx(thresholds.review + math.log2(100))
    written = {"given_name": "Arbër", "family_name": "Krasniqi", "birth_year": 2007}
    names_and_year = compare(written, {**written, "given_name": "Arber"})
    assert FellegiSunter().classify(names_and_year, thresholds) is Decision.LINK
    assert FellegiSunter().classify(names_and_year, grown) is Decision.REVIEW


def test_a_smaller_database_asks_less_evidence_of_a_link_but_never_names_alone():
    thresholds = Thresholds()
    halved = thresholds.for_database(thresholds.reference_records // 2)
    assert (halved.auto_link, halved.review) == (thresholds.auto_link - 1, thresholds.review)
    assert thresholds.for_database(10).auto_link == thresholds.lowest_auto_link
    assert Thresholds(auto_link=14.0).for_database(10).auto_link == 14.0
    assert Thresholds(auto_link=15.5, review=15.5).for_database(10).auto_link == 15.5
    a_letter_off_and_an_age = compare({"given_name": "Arbër", "family_name": "Krasniqi"},
                                      {"given_name": "Arben", "family_name": "Krasniqi"}, AGED_17,
                                      AGED_18_A_YEAR_LATER)
    assert FellegiSunter().classify(a_letter_off_and_an_age, thresholds) is Decision.REVIEW
    assert FellegiSunter().classify(a_letter_off_and_an_age, halved) is Decision.LINK


def test_names_alone_never_link_however_rare_and_whatever_the_size_of_the_database():
    encoder, model = Encoder(KEY), FellegiSunter()
    names = {"given_name": "Arbër", "family_name": "Krasniqi"}
    statistical = {"sex": "male", "citizenship": ["XK"]}
    first, second = (encoder.encode(names, statistical).encoding for _ in "ab")
    for records in (2, 500, 2000, 4000, 5000, 6000, 8000, 10000, 40000):
        unseen_elsewhere = Frequencies(records, dict.fromkeys(spellings(encoder, names), 0))
        comparison = model.compare(first, second, unseen_elsewhere)
        assert comparison.score > model.compare(first, second).score
        assert model.classify(comparison, Thresholds().for_database(records)) is Decision.REVIEW, records


def test_an_estimated_age_a_year_off_is_weak_evidence_not_a_contradiction():
    names = {"given_name": "Arber", "family_name": "Krasniqi"}
    for age, level in ((16, Level.YEAR_RANGE), (17, Level.AGE), (18, Level.YEAR_RANGE), (15, Level.NEAR),
                       (14, Level.DISAGREE)):
        estimated = {"age_at_identification": age, "identification_date": "2025-03-01"}
        assert compare(ARBER, names, second_stats=estimated).level("birth_date") is level, age
    comparison = compare(ARBER, names, second_stats=A_YEAR_OFF)
    assert 0 < weight(comparison, "birth_date") < weight(compare(ARBER, names, second_stats=AGED_17), "birth_date")
    assert not FellegiSunter().contradicts(comparison, Thresholds())


def test_a_birth_year_written_a_year_off_weighs_a_little_against_and_keeps_no_one_apart():
    a_year_off = {**ARBER, "date_of_birth": None, "birth_year": 2006}
    near = compare(ARBER, a_year_off)
    assert near.level("birth_date") is Level.NEAR
    two_years_off = compare(ARBER, {**a_year_off, "birth_year": 2005})
    assert two_years_off.level("birth_date") is Level.DISAGREE
    assert weight(two_years_off, "birth_date") < weight(near, "birth_date") < 0
    assert decide(near) is Decision.LINK
    with_father = {"given_name": "Arbër", "family_name": "Krasniqi", "father_name": "Ilir"}
    assert decide(compare({**with_father, "birth_year": 2007}, {**with_father, "birth_year": 2006})) is Decision.LINK
    names_alone = {"given_name": "Arbër", "family_name": "Krasniqi"}
    assert not FellegiSunter().contradicts(compare(ARBER, {**names_alone, "birth_year": 2006}), Thresholds())
    assert FellegiSunter().contradicts(compare(ARBER, {**names_alone, "birth_year": 2005}), Thresholds())


def test_sisters_named_alike_born_a_year_apart_contradict():
    fatime = {"given_name": "Fatime", "family_name": "Gashi", "father_name": "Bujar", "date_of_birth": "1998-12-19"}
    fatmire = {"given_name": "Fatmire", "family_name": "Gashi", "father_name": "Bujar", "birth_year": 1997}
    comparison = compare(fatime, fatmire)
    assert comparison.level("given_name") is not Level.ALIAS
    assert comparison.level("birth_date") is Level.NEAR
    assert FellegiSunter().contradicts(comparison, Thresholds())
    assert not FellegiSunter().contradicts(compare(fatime, {**fatmire, "given_name": "Fatime"}), Thresholds())


def test_the_first_of_january_written_for_an_unknown_day_agrees_with_any_date_of_that_year():
    placeholder = {**ARBER, "date_of_birth": "2007-01-01"}
    comparison = compare(ARBER, placeholder)
    assert comparison.level("birth_date") is Level.YEAR
    assert decide(comparison) is Decision.LINK
    both_placeholders = compare(placeholder, placeholder)
    assert both_placeholders.level("birth_date") is Level.YEAR
    assert weight(both_placeholders, "birth_date") < weight(compare(ARBER, ARBER), "birth_date")


def test_two_full_dates_that_differ_weigh_more_against_than_an_age_that_does():
    dates = compare(ARBER, {**ARBER, "date_of_birth": "1995-06-30"})
    ages = compare(ARBER, {**ARBER, "date_of_birth": None}, second_stats={"age_at_identification": 30,
                                                                         "identification_date": "2025-03-01"})
    assert dates.level("birth_date") is ages.level("birth_date") is Level.DISAGREE
    assert weight(dates, "birth_date") < weight(ages, "birth_date") < 0


@pytest.mark.parametrize("slip", ["2007-04-13", "2007-04-02", "2007-04-22", "2007-04-09", "2007-04-15",
                                  "2006-04-12"])
def test_a_date_of_birth_a_digit_or_a_few_days_off_is_a_slip_that_still_links(slip):
    comparison = compare(ARBER, {**ARBER, "date_of_birth": slip, "father_name": None, "place_of_birth": None})
    assert comparison.level("birth_date") is Level.CLOSE
    assert decide(comparison) is Decision.LINK


def test_the_last_days_of_a_month_and_the_first_of_the_next_are_a_slip():
    comparison = compare({**ARBER, "date_of_birth": "2007-04-29"}, {**ARBER, "date_of_birth": "2007-05-01"})
    assert comparison.level("birth_date") is Level.CLOSE


def test_the_first_of_a_month_written_for_a_day_not_known_is_a_slip_of_any_day_of_it():
    first_of_the_month = compare(ARBER, {**ARBER, "date_of_birth": "2007-04-01", "father_name": None})
    assert first_of_the_month.level("birth_date") is Level.CLOSE
    assert decide(first_of_the_month) is Decision.LINK
    assert compare(ARBER, {**ARBER, "date_of_birth": "2007-05-01"}).level("birth_date") is Level.DISAGREE


def test_namesakes_born_weeks_apart_in_one_month_go_to_review_unless_a_father_or_document_agrees():
    names = {"given_name": "Cătălina", "family_name": "Țurcanu"}
    together = {"identification_date": "2019-06-06"}
    first, namesake = {**names, "date_of_birth": "1994-08-28"}, {**names, "date_of_birth": "06.08.1994"}
    comparison = compare(first, namesake, together, together)
    assert comparison.level("birth_date") is Level.MONTH
    assert 0 < weight(comparison, "birth_date") < weight(compare(first, {**names, "date_of_birth": "1994-08-27"}),
                                                         "birth_date")
    assert comparison.score >= Thresholds().auto_link and decide(comparison) is Decision.REVIEW
    assert not FellegiSunter.contradicts(comparison, Thresholds())
    with_father = compare({**first, "father_name": "Radu"}, {**namesake, "father_name": "Radu"}, together, together)
    assert decide(with_father) is Decision.LINK


def test_sisters_sharing_surname_father_and_village_do_not_link():
    sister = {"given_name": "Drita", "family_name": "Krasniqi", "father_name": "Ilir",
              "date_of_birth": "2009-09-03", "place_of_birth": "Prizren"}
    assert decide(compare(ARBER, sister)) is Decision.DISTINCT


def test_sisters_with_similar_names_and_close_ages_do_not_link_automatically():
    first = {"given_name": "Dritë", "family_name": "Krasniqi", "father_name": "Ilir", "place_of_birth": "Prizren"}
    second = {**first, "given_name": "Drita"}
    stats = {"age_at_identification": 17, "identification_date": "2025-03-01"}
    twin_like = {**first, "given_name": "Vjosa"}
    assert decide(compare(twin_like, first, stats, stats)) is not Decision.LINK
    assert decide(compare(first, {**second, "given_name": "Ardita"}, stats, stats)) is not Decision.LINK


def test_twins_are_never_linked_automatically():
    twin = {**ARBER, "given_name": "Vjosa"}
    assert decide(compare(ARBER, twin)) is not Decision.LINK
    assert decide(compare(twin, {**ARBER, "given_name": "Krasniqi", "family_name": "Arbër"})) is not Decision.LINK


def test_namesakes_with_another_father_and_date_do_not_link():
    namesake = {"given_name": "Arbër", "family_name": "Krasniqi", "father_name": "Bekim",
                "date_of_birth": "1995-06-30", "place_of_birth": "Ferizaj"}
    assert decide(compare(ARBER, namesake)) is Decision.DISTINCT


def test_same_names_and_a_stated_birth_year_link():
    comparison = compare({"given_name": "Arbër", "family_name": "Krasniqi", "birth_year": 2007},
                         {"given_name": "Arber", "family_name": "Krasniqi", "date_of_birth": "2007-04-12"})
    assert comparison.level("birth_date") is Level.YEAR
    assert decide(comparison) is Decision.LINK


def test_same_names_and_an_estimated_age_that_may_be_a_year_off_go_to_review():
    comparison = compare({"given_name": "Arbër", "family_name": "Krasniqi"},
                         {"given_name": "Arber", "family_name": "Krasniqi", "date_of_birth": "2007-04-12"},
                         first_stats=A_YEAR_OFF)
    assert comparison.level("birth_date") is Level.YEAR_RANGE
    assert decide(comparison) is Decision.REVIEW


def test_same_names_alone_are_a_new_person():
    assert decide(compare({"given_name": "Arbër", "family_name": "Krasniqi"}, ARBER)) is Decision.DISTINCT


def test_namesakes_sharing_a_father_name_are_told_apart_by_the_date_of_birth():
    cousin = {"given_name": "Arbër", "family_name": "Krasniqi", "father_name": "Ilir",
              "date_of_birth": "1999-01-20", "place_of_birth": "Prizren"}
    comparison = compare(ARBER, cousin)
    assert decide(comparison) is not Decision.LINK
    assert FellegiSunter().contradicts(comparison, Thresholds())


def test_a_letter_wrong_missing_added_or_swapped_in_a_short_name_is_one_letter_off():
    for typo in ("Atbër", "Abër", "Arbëre", "Abrër"):
        comparison = compare(ARBER, {**ARBER, "given_name": typo, "date_of_birth": None, "birth_year": 2007})
        assert comparison.level("given_name") in (Level.ONE_LETTER, Level.CLOSE), typo
        assert decide(comparison) is Decision.LINK
    assert compare({"given_name": "Ferat"}, {"given_name": "Freat"}).level("given_name") is Level.ONE_LETTER
    assert compare({"given_name": "Ana"}, {"given_name": "Ina"}).level("given_name") is not Level.ONE_LETTER


@pytest.mark.parametrize("typo, name", [("NEAND", "Nenad"), ("Geaim", "Gëzim"), ("Snlvije", "Selvija")])
def test_a_letter_wrong_as_written_or_in_another_reading_is_one_letter_off(typo, name):
    """Neand reads "niand" against "nenad", but as written it is Nenad with two letters
    swapped; Snlvije, read with its other ending (-ija), is Selvija with a letter wrong."""
    record = {"given_name": name, "family_name": "Milošević", "father_name": "Dušan", "date_of_birth": "1977-01-22"}
    comparison = compare(record, {**record, "given_name": typo})
    assert comparison.level("given_name") is Level.ONE_LETTER
    assert decide(comparison) is Decision.LINK


def test_a_name_written_without_the_regions_letters_is_the_same_name():
    same_names = (("Sârbu", "Sarbu"), ("Сырбу", "Sarbu"), ("Цуркану", "Turcanu"), ("Đokić", "Dokic"))
    for written, plain in same_names:
        assert compare({"family_name": written}, {"family_name": plain}).level("family_name") is Level.EXACT


def test_an_albanian_womans_name_in_its_serbian_or_definite_form_is_the_same_name():
    for albanian, other in (("Nexhmije", "Nedžmija"), ("Qamile", "Ћамила"), ("Shqipe", "Shqipja")):
        assert compare({"given_name": albanian}, {"given_name": other}).level("given_name") is Level.EXACT


def spellings(encoder, identity):
    encoding = encoder.encode(identity, {}).encoding
    return encoding.given_spelling, encoding.family_spelling, encoding.full_name_spelling


def test_a_brother_and_sister_named_alike_do_not_link_automatically_however_much_else_agrees():
    brother = {"given_name": "Aleksandar", "family_name": "Stojanovski", "father_name": "Zoran",
               "birth_year": 2001, "place_of_birth": "Kumanovo"}
    sister = {**brother, "given_name": "Aleksandra", "family_name": "Stojanovska"}
    comparison = compare(brother, sister, {"sex": "male"}, {"sex": "female"})
    assert comparison.level("family_name") is Level.EXACT
    assert comparison.level("sex") is Level.DISAGREE
    assert comparison.score >= Thresholds().auto_link
    assert decide(comparison) is Decision.REVIEW
    assert decide(compare(brother, {**brother, "given_name": "ALEKSANDAR"}, {"sex": "male"}, {"sex": "female"})) \
        is Decision.LINK


def test_names_and_a_birth_year_with_places_of_birth_that_disagree_go_to_review_unless_more_agrees():
    encoder, model = Encoder(KEY), FellegiSunter()
    names = {"given_name": "Arbër", "family_name": "Krasniqi", "birth_year": 2007}
    unseen_elsewhere = Frequencies(10000, dict.fromkeys(spellings(encoder, names), 0))

    def compared(first, second):
        return model.compare(encoder.encode(first, {}).encoding, encoder.encode(second, {}).encoding, unseen_elsewhere)

    born_elsewhere = compared({**names, "place_of_birth": "Prizren"}, {**names, "place_of_birth": "Gjakovë"})
    assert born_elsewhere.level("place_of_birth") is Level.DISAGREE
    assert born_elsewhere.score >= Thresholds().auto_link
    assert model.classify(born_elsewhere, Thresholds()) is Decision.REVIEW
    same_father = compared({**names, "place_of_birth": "Prizren", "father_name": "Ilir"},
                           {**names, "place_of_birth": "Gjakovë", "father_name": "Ilir"})
    assert model.classify(same_father, Thresholds()) is Decision.LINK


def test_names_place_and_age_with_fathers_names_that_disagree_go_to_review_unless_a_document_agrees():
    encoder, model = Encoder(KEY), FellegiSunter()
    names = {"given_name": "Arbër", "family_name": "Krasniqi", "place_of_birth": "Prizren"}
    unseen_elsewhere = Frequencies(10000, dict.fromkeys(spellings(encoder, names), 0))

    def compared(first, second):
        return model.compare(encoder.encode(first, AGED_17).encoding, encoder.encode(second, AGED_17).encoding,
                             unseen_elsewhere)

    other_father = compared({**names, "father_name": "Ilir"}, {**names, "father_name": "Bekim", "birth_year": 2007})
    assert other_father.level("father_name") is Level.DISAGREE
    assert other_father.score >= Thresholds().auto_link
    assert model.classify(other_father, Thresholds()) is Decision.REVIEW
    passport = {"documents": [{"type": "passport", "number": "P1234567", "country": "XK"}]}
    same_passport = compared({**names, **passport, "father_name": "Ilir"}, {**names, **passport, "father_name": "Bekim"})
    assert model.classify(same_passport, Thresholds()) is Decision.LINK


def test_two_established_names_a_letter_apart_are_two_names_not_a_typo():
    encoder, model = Encoder(KEY), FellegiSunter()
    brother = {"given_name": "Driton", "family_name": "Krasniqi", "father_name": "Ilir", "birth_year": 2007}
    other_brother, misspelt = {**brother, "given_name": "Dritan"}, {**brother, "given_name": "Dritom"}
    driton, dritan, dritom = (spellings(encoder, identity)[0] for identity in (brother, other_brother, misspelt))
    frequencies = Frequencies(5000, {driton: 40, dritan: 35, dritom: 2})
    first, second, typo = (encoder.encode(identity, {}).encoding for identity in (brother, other_brother, misspelt))
    assert model.compare(first, second).level("given_name") in (Level.CLOSE, Level.ONE_LETTER)
    brothers = model.compare(first, second, frequencies)
    assert brothers.level("given_name") is Level.PARTIAL
    assert decide(brothers) is not Decision.LINK
    assert decide(model.compare(first, typo, frequencies)) is Decision.LINK


def test_a_known_short_form_stays_an_alias_though_both_spellings_are_established_names():
    encoder, model = Encoder(KEY), FellegiSunter()
    full = {"given_name": "Mimoza", "family_name": "Krasniqi", "birth_year": 2007}
    short = {**full, "given_name": "Moza"}
    mimoza, moza = (spellings(encoder, identity)[0] for identity in (full, short))
    first, second = (encoder.encode(identity, {}).encoding for identity in (full, short))
    comparison = model.compare(first, second, Frequencies(5000, {mimoza: 40, moza: 30}))
    assert comparison.level("given_name") is Level.ALIAS


def test_a_short_form_is_known_whichever_alphabet_writes_the_full_name():
    short = {"given_name": "Vitea", "family_name": "Rusu", "birth_year": 2001}
    for full in ("Vitalie", "Виталий", "Vitaliy"):
        assert compare(short, {**short, "given_name": full}).level("given_name") is Level.ALIAS, full


def test_a_name_common_in_the_database_weighs_less_than_a_rare_one():
    encoder, model = Encoder(KEY), FellegiSunter()
    identity = {"given_name": "Arbër", "family_name": "Krasniqi", "birth_year": 2007}
    first, second = (encoder.encode(identity, {}).encoding for _ in "ab")
    given, family, full_name = spellings(encoder, identity)
    rare = Frequencies(20000, {given: 0, family: 0, full_name: 0})
    common = Frequencies(20000, {given: 600, family: 1000, full_name: 30})
    namesakes = Frequencies(20000, {given: 0, family: 0, full_name: 12})
    scores = [model.compare(first, second, frequencies).score for frequencies in (rare, common, namesakes)]
    assert scores[0] > model.compare(first, second).score > scores[1]
    assert scores[0] > scores[2]
    assert decide(model.compare(first, second, common)) is Decision.REVIEW


def test_a_persons_own_records_do_not_make_their_name_common():
    encoder = Encoder(KEY)
    encoding = encoder.encode(ARBER, {}).encoding
    frequencies = Frequencies(100, dict.fromkeys(spellings(encoder, ARBER), 3))
    assert frequencies.without(encoding, encoding).counts == dict.fromkeys(spellings(encoder, ARBER), 1)
    assert frequencies.without(encoding, encoding).records == 98


def test_a_different_sex_or_citizenship_weighs_against():
    brother = {"given_name": "Jovan", "family_name": "Petrović", "birth_year": 2007}
    sister = {**brother, "given_name": "Jovana"}
    comparison = compare(brother, sister, {"sex": "male"}, {"sex": "female"})
    assert comparison.level("sex") is Level.DISAGREE
    assert decide(comparison) is not Decision.LINK
    assert FellegiSunter().contradicts(comparison, Thresholds())
    kosovar, albanian = {"citizenship": ["XK"]}, {"citizenship": ["AL"]}
    assert weight(compare(ARBER, ARBER, kosovar, albanian), "citizenship") < 0
    assert weight(compare(ARBER, ARBER, kosovar, {"citizenship": ["AL", "XK"]}), "citizenship") > 0


def test_a_person_is_weighed_by_all_of_their_records():
    model, sparse = FellegiSunter(), {"given_name": "Arber", "family_name": "Krasniqi", "place_of_birth": "Prizren"}
    encoder = Encoder(KEY)
    new = encoder.encode(sparse, A_YEAR_OFF).encoding
    with_age = encoder.encode({"given_name": "Arbër", "family_name": "Krasniqi", "date_of_birth": "2007-04-12"}, {}).encoding
    with_place = encoder.encode({"given_name": "Arbër", "family_name": "Krasniqi", "place_of_birth": "Prizren"}, {}).encoding
    best, other = model.compare(new, with_age), model.compare(new, with_place)
    assert decide(best) is not Decision.LINK and decide(other) is not Decision.LINK
    whole = model.complete(best, [other])
    assert whole.level("place_of_birth") is Level.EXACT and whole.level("birth_date") is Level.YEAR_RANGE
    assert decide(whole) is Decision.LINK


def test_comparison_is_reported_field_by_field():
    report = compare(ARBER, ARBER).to_dict()
    assert set(report["fields"]) == {"given_name", "family_name", "father_name", "birth_date",
                                     "place_of_birth", "documents", "sex", "citizenship", "identification_date"}
    assert report["fields"]["given_name"] == {"level": "exact", "weight": round(report["fields"]["given_name"]["weight"], 2)}
    assert report["score"] > Thresholds().auto_link


def test_comparison_is_symmetric():
    other = {"given_name": "Krasniqi", "family_name": "Drita", "father_name": "Ilir", "date_of_birth": "2007-04-12"}
    assert decide(compare(ARBER, other)) is decide(compare(other, ARBER))
    assert round(compare(ARBER, other).score, 6) == round(compare(other, ARBER).score, 6)


ANA_MARIA = {"given_name": "Ana-Maria", "family_name": "Popescu", "father_name": "Ion", "birth_year": 1994}


def test_a_double_given_name_written_whole_and_as_its_first_name_is_the_same_name():
    comparison = compare({**ANA_MARIA, "date_of_birth": "1994-02-03"},
                         {**ANA_MARIA, "given_name": "Ana", "father_name": None, "date_of_birth": "03.02.1994"})
    assert comparison.level("given_name") is Level.CONTAINED
    assert decide(comparison) is Decision.LINK
    assert compare({**ANA_MARIA, "family_name": "Popescu Ionescu"}, ANA_MARIA).level("family_name") is Level.CONTAINED


def test_names_that_share_one_word_or_one_spelling_within_another_are_not_one_within_the_other():
    assert compare({"given_name": "Ana Maria"}, {"given_name": "Maria Elena"}).level("given_name") is not Level.CONTAINED
    assert compare({"given_name": "Mila"}, {"given_name": "Milana"}).level("given_name") is not Level.CONTAINED


def test_a_whole_name_written_into_one_field_reads_as_the_given_and_family_name():
    arta = {"given_name": "Arta", "family_name": "Berisha", "father_name": "Agim", "birth_year": 1999}
    for whole in ({"given_name": "Arta Berisha"}, {"given_name": "BERISHA ARTA"}, {"family_name": "Berisha Arta"},
                  {"given_name": "Арта Бериша"}):
        comparison = compare({**whole, "birth_year": 1999}, arta)
        assert comparison.level("given_name") is comparison.level("family_name") is Level.EXACT, whole
        assert decide(comparison) is Decision.LINK, whole
        assert round(comparison.score, 6) == round(compare(arta, {**whole, "birth_year": 1999}).score, 6)
    with_a_typo = compare({"given_name": "Berisa Atra", "birth_year": 1999}, arta)
    written_apart = compare({"given_name": "Berisa", "family_name": "Atra", "birth_year": 1999}, arta)
    assert with_a_typo.to_dict() == written_apart.to_dict()


def test_a_double_given_name_without_a_family_name_is_not_read_as_a_whole_name():
    comparison = compare({"given_name": "Ana Maria", "birth_year": 1994}, {**ANA_MARIA, "family_name": "Rusu"})
    assert comparison.level("given_name") is Level.EXACT
    assert comparison.level("family_name") is Level.MISSING


def test_a_sister_whose_whole_name_is_written_into_one_field_is_not_linked():
    sister = {"given_name": "Drita Krasniqi", "father_name": "Ilir", "date_of_birth": "2009-08-30",
              "place_of_birth": "Prizren"}
    comparison = compare(ARBER, sister)
    assert comparison.level("given_name") is Level.DISAGREE
    assert decide(comparison) is Decision.DISTINCT


def test_a_double_given_name_common_in_the_database_is_still_the_first_name_written_whole():
    encoder, model = Encoder(KEY), FellegiSunter()
    whole, first_name_alone = ANA_MARIA, {**ANA_MARIA, "given_name": "Ana"}
    ana_maria, ana = spellings(encoder, whole)[0], spellings(encoder, first_name_alone)[0]
    frequencies = Frequencies(20000, {ana_maria: 60, ana: 300})
    comparison = model.compare(encoder.encode(whole, {}).encoding, encoder.encode(first_name_alone, {}).encoding,
                               frequencies)
    assert comparison.level("given_name") is Level.CONTAINED


def test_names_and_an_age_a_year_off_link_when_the_records_were_written_within_weeks_of_each_other():
    names = {"given_name": "Arta", "family_name": "Berisha"}
    police = {"age_at_identification": 17, "identification_date": "2025-03-01"}
    referred = {"age_at_identification": 16, "identification_date": "2025-03-12"}
    identified_again = {"age_at_identification": 17, "identification_date": "2026-01-20"}
    together, apart = compare(names, names, police, referred), compare(names, names, police, identified_again)
    assert together.level("birth_date") is apart.level("birth_date") is Level.YEAR_RANGE
    assert together.level("identification_date") is Level.EXACT and weight(together, "identification_date") > 2
    assert decide(together) is Decision.LINK
    assert apart.level("identification_date") is Level.DISAGREE and weight(apart, "identification_date") == 0
    assert decide(apart) is Decision.REVIEW


def test_being_identified_in_the_same_weeks_weighs_little_when_most_records_were():
    encoder, model = Encoder(KEY), FellegiSunter()
    names = {"given_name": "Arta", "family_name": "Berisha"}
    first = encoder.encode(names, {"age_at_identification": 17, "identification_date": "2025-03-01"}).encoding
    second = encoder.encode(names, {"age_at_identification": 16, "identification_date": "2025-03-12"}).encoding
    periods = first.identified | second.identified

    def identified_weight(records_then):
        frequencies = Frequencies(5000, dict.fromkeys(periods, records_then))
        comparison = model.compare(first, second, frequencies)
        return weight(comparison, "identification_date"), model.classify(comparison, Thresholds())

    assert identified_weight(150) == (pytest.approx(math.log2(0.3 / 0.05), abs=0.2), Decision.LINK)
    busy_weeks_weight, decision = identified_weight(4000)
    assert busy_weeks_weight == 0 and decision is Decision.REVIEW
