"""Fellegi–Sunter scores: the same person across institutions scores high, relatives and
namesakes low, and the reviewer sees why."""

from chalicelib.domain.linkage import Decision, Encoder, FellegiSunter, Level, Thresholds

KEY = b"s" * 32
ARBER = {"given_name": "Arbër", "family_name": "Krasniqi", "father_name": "Ilir",
         "date_of_birth": "2007-04-12", "place_of_birth": "Prizren"}
AGED_17 = {"age_at_identification": 17, "identification_date": "2025-03-01"}


def compare(first, second, first_stats=None, second_stats=None):
    encoder = Encoder(KEY)
    return FellegiSunter().compare(
        encoder.encode(first, first_stats or {}).encoding, encoder.encode(second, second_stats or {}).encoding
    )


def decide(comparison):
    return FellegiSunter.classify(comparison, Thresholds())


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


def test_missing_values_weigh_nothing():
    comparison = compare({"given_name": "Arbër", "family_name": "Krasniqi"}, ARBER)
    for field in ("father_name", "birth_date", "place_of_birth", "documents"):
        assert comparison.level(field) is Level.MISSING
        assert next(f.weight for f in comparison.fields if f.field == field) == 0


def test_age_at_identification_agrees_with_a_full_date_of_birth():
    comparison = compare(ARBER, {"given_name": "Arber", "family_name": "Krasniqi", "father_name": "Ilir"},
                         second_stats=AGED_17)
    assert comparison.level("birth_date") is Level.YEAR_RANGE
    assert decide(comparison) is Decision.LINK


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


def test_same_names_and_an_estimated_age_alone_go_to_review():
    comparison = compare({"given_name": "Arbër", "family_name": "Krasniqi"},
                         {"given_name": "Arber", "family_name": "Krasniqi", "date_of_birth": "2007-04-12"},
                         first_stats=AGED_17)
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


def test_a_typo_in_a_short_given_name_links_when_the_whole_date_of_birth_agrees():
    typo = {"given_name": "Atbër", "family_name": "Krasniqi", "date_of_birth": "2007-04-12",
            "place_of_birth": "Prizren"}
    comparison = compare(ARBER, typo)
    assert comparison.level("given_name") is Level.PARTIAL
    assert decide(comparison) is Decision.LINK


def test_a_typo_in_the_given_name_without_a_full_date_stays_with_a_reviewer():
    sister_or_typo = {"given_name": "Atbër", "family_name": "Krasniqi", "father_name": "Ilir",
                      "birth_year": 2007, "place_of_birth": "Prizren"}
    assert decide(compare(ARBER, sister_or_typo)) is Decision.REVIEW


def test_a_person_is_weighed_by_all_of_their_records():
    model, sparse = FellegiSunter(), {"given_name": "Arber", "family_name": "Krasniqi", "place_of_birth": "Prizren"}
    encoder = Encoder(KEY)
    new = encoder.encode(sparse, AGED_17).encoding
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
                                     "place_of_birth", "documents"}
    assert report["fields"]["given_name"] == {"level": "exact", "weight": round(report["fields"]["given_name"]["weight"], 2)}
    assert report["score"] > Thresholds().auto_link


def test_comparison_is_symmetric():
    other = {"given_name": "Krasniqi", "family_name": "Drita", "father_name": "Ilir", "date_of_birth": "2007-04-12"}
    assert decide(compare(ARBER, other)) is decide(compare(other, ARBER))
    assert round(compare(ARBER, other).score, 6) == round(compare(other, ARBER).score, 6)
