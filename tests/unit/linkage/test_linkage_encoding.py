"""Keyed encodings: comparable with the key, meaningless without it, never the clear value."""

import os

from chalicelib.domain.linkage.encoding import BloomFilter, Encoder, RecordEncoding

KEY = b"k" * 32
IDENTITY = {
    "given_name": "Arbër", "family_name": "Krasniqi", "father_name": "Ilir", "other_names": ["Beri"],
    "date_of_birth": "2007-04-12", "birth_year": 2007, "place_of_birth": "Prizren",
    "documents": [{"type": "passport", "number": "P1234567", "country": "XK"}],
}
STATISTICAL = {"sex": "female", "age_at_identification": 17, "identification_date": "2025-03-01"}


def bloom(encoder, name):
    return encoder.bloom(name.split())


def test_bloom_filter_is_deterministic_for_one_key():
    first, second = Encoder(KEY), Encoder(KEY)
    assert bloom(first, "krasniki") == bloom(second, "krasniki")
    assert bloom(first, "krasniki").length == len(bloom(first, "krasniki").to_bytes()) * 8 == 1024


def test_different_keys_give_unrelated_filters():
    mine, theirs = Encoder(KEY), Encoder(os.urandom(32))
    assert bloom(mine, "krasniki").dice(bloom(theirs, "krasniki")) < 0.4


def test_dice_is_high_for_similar_names_and_low_for_different_ones():
    encoder = Encoder(KEY)
    assert bloom(encoder, "krasniki").dice(bloom(encoder, "krasnik")) > 0.8
    assert bloom(encoder, "iovanovik").dice(bloom(encoder, "iovanovik")) == 1.0
    assert bloom(encoder, "krasniki").dice(bloom(encoder, "popesku")) < 0.35


def test_bloom_filter_round_trips_through_bytes():
    original = bloom(Encoder(KEY), "arber")
    assert BloomFilter.from_bytes(original.to_bytes()) == original


def test_encoding_round_trips_through_dict_and_bytes():
    encoding = Encoder(KEY).encode(IDENTITY, STATISTICAL).encoding
    assert RecordEncoding.from_dict(encoding.to_dict()) == encoding
    assert RecordEncoding.from_bytes(encoding.to_bytes()) == encoding


def test_stored_form_holds_only_bytes_lists_and_a_version():
    stored = Encoder(KEY).encode(IDENTITY, STATISTICAL).encoding.to_dict()
    for value in stored.values():
        assert isinstance(value, (bytes, int, list))
        if isinstance(value, list):
            assert all(isinstance(item, bytes) for item in value)


def test_serialised_encoding_contains_no_submitted_value():
    encoded = Encoder(KEY).encode(IDENTITY, STATISTICAL)
    packed = encoded.encoding.to_bytes() + " ".join(encoded.block_keys).encode()
    for clear in ["Arbër", "Arber", "arber", "ARBER", "Krasniqi", "krasniki", "KRSNK", "Ilir", "Beri",
                  "Prizren", "2007", "04-12", "P1234567", "1234567"]:
        for form in {clear, clear.lower(), clear.upper()}:
            assert form.encode() not in packed
            for start in range(len(form) - 3):
                assert form[start : start + 4].encode() not in packed


def test_same_record_gives_same_digest_and_a_change_gives_another():
    encoder = Encoder(KEY)
    first = encoder.encode(IDENTITY, STATISTICAL)
    assert encoder.encode(dict(IDENTITY), dict(STATISTICAL)).digest == first.digest
    assert encoder.encode({**IDENTITY, "father_name": "Agim"}, STATISTICAL).digest != first.digest


def test_missing_sections_encode_to_an_empty_encoding():
    encoded = Encoder(KEY).encode(None, None)
    assert encoded.encoding == RecordEncoding()
    assert encoded.block_keys == ()


def test_the_store_counts_the_given_family_and_full_name_spellings_whatever_the_order():
    encoder = Encoder(KEY)
    written = encoder.encode(IDENTITY, STATISTICAL).encoding
    swapped = encoder.encode({**IDENTITY, "given_name": "KRASNIQI", "family_name": "Arber"}, {}).encoding
    assert len(written.name_spellings) == 3
    assert written.name_spellings == swapped.name_spellings
    assert written.full_name_spelling == swapped.full_name_spelling
    assert encoder.encode({"given_name": "Arbër"}, {}).encoding.name_spellings == {written.given_spelling}


def test_a_typo_shares_a_spelling_one_letter_shorter_and_a_different_name_does_not():
    encoder = Encoder(KEY)
    neighbours = encoder.encode(IDENTITY, {}).encoding.family_neighbours
    assert neighbours & encoder.encode({"family_name": "Krasnqi"}, {}).encoding.family_neighbours
    assert not neighbours & encoder.encode({"family_name": "Gashi"}, {}).encoding.family_neighbours


def test_a_whole_name_written_into_one_field_round_trips_with_its_splits_and_words():
    encoding = Encoder(KEY).encode({"given_name": "Ana Maria Popescu", "date_of_birth": "1994-02-03"}, {}).encoding
    assert len(encoding.splits) == 2 and all(split.family_spelling for split in encoding.splits)
    assert len(encoding.given_words) == 3
    assert RecordEncoding.from_bytes(encoding.to_bytes()) == encoding


def test_the_words_of_a_name_that_may_hold_the_fathers_name_round_trip():
    encoding = Encoder(KEY).encode({"given_name": "Arta Ilir", "family_name": "Berisha"}, {}).encoding
    assert len(encoding.father_in_name) >= 3
    assert len(encoding.without_father) == 1 and encoding.without_father[0].family_spelling
    assert RecordEncoding.from_bytes(encoding.to_bytes()) == encoding


def test_only_names_of_more_words_than_a_given_and_a_family_name_without_a_father_apart_may_hold_one():
    encoder = Encoder(KEY)
    assert not encoder.encode({"given_name": "Arta", "family_name": "Berisha"}, {}).encoding.father_in_name
    assert not encoder.encode({"given_name": "Arta Berisha"}, {}).encoding.father_in_name
    with_father = encoder.encode({"given_name": "Arta Ilir", "family_name": "Berisha", "father_name": "Ilir"},
                                 {}).encoding
    assert not with_father.father_in_name and not with_father.without_father


def test_a_name_written_as_its_initial_is_kept_as_its_initial_alone_and_round_trips():
    encoding = Encoder(KEY).encode({"given_name": "J.", "family_name": "Jovanović", "father_name": "P."}, {}).encoding
    assert encoding.given is None and encoding.given_spelling is None and len(encoding.given_initials) == 1
    assert encoding.father is None and len(encoding.father_initials) == 1
    assert encoding.family_initials == () and encoding.family_spelling
    assert RecordEncoding.from_bytes(encoding.to_bytes()) == encoding


def test_an_initial_after_the_given_name_is_the_fathers_unless_a_father_is_given_apart():
    encoder = Encoder(KEY)
    after_given = encoder.encode({"given_name": "Jelena P.", "family_name": "Jovanović"}, {}).encoding
    assert after_given.given == encoder.encode({"given_name": "Jelena"}, {}).encoding.given
    assert after_given.father_initials and not after_given.father_in_name

    father_apart = encoder.encode({"given_name": "Jelena P.", "family_name": "Jovanović", "father_name": "Petar"},
                                  {}).encoding
    assert not father_apart.father_initials and father_apart.father_spelling


def test_an_encoding_stored_before_words_and_splits_were_added_still_reads():
    version, sex, document = b"\x00\x02", b"s" * 12, b"k" * 12 + b"n" * 12
    stored_then = (bytes([0, 0, 4]) + bytes(2) + version + bytes([11, 0, 12]) + sex
                   + bytes([23, 0, 24]) + document)

    encoding = RecordEncoding.from_bytes(stored_then)

    assert encoding.sex == sex and encoding.documents[0].number == b"n" * 12
    assert encoding.splits == () and encoding.given_words == frozenset()


def test_records_identified_within_a_month_share_a_period_and_those_two_months_apart_do_not():
    def identified(day):
        return Encoder(KEY).encode({"given_name": "Arta"}, {"identification_date": day}).encoding.identified

    first = identified("2025-03-01")
    assert len(first) == 2
    assert all(first & identified(day) for day in ("2025-03-01", "2025-03-20", "2025-03-31", "2025-02-01"))
    assert not first & identified("2025-05-01") and not first & identified("2024-03-01")
    assert identified("2025-03") == frozenset() and identified(None) == frozenset()


def test_the_store_counts_the_periods_of_identification_beside_the_name_spellings():
    encoding = Encoder(KEY).encode({"given_name": "Arta", "family_name": "Berisha"},
                                   {"identification_date": "2025-03-01"}).encoding
    assert encoding.counted_tokens == encoding.name_spellings | encoding.identified
    assert RecordEncoding.from_bytes(encoding.to_bytes()).identified == encoding.identified


def test_dates_a_digit_or_a_few_days_apart_or_on_the_first_of_their_month_share_a_slip_and_others_do_not():
    def slips(day):
        return Encoder(KEY).encode({"given_name": "Arta", "date_of_birth": day}, {}).encoding.birth_date_slips

    first = slips("2007-04-12")
    assert all(first & slips(day) for day in ("2007-04-13", "2007-04-02", "2007-04-19", "2007-04-09", "2007-04-15"))
    assert not first & slips("2007-04-28") and not first & slips("2007-04-04") and not first & slips("2008-04-12")
    assert slips("2007-04-30") & slips("2007-05-02")
    assert all(slips("2007-04-01") & slips(f"2007-04-{day:02d}") for day in range(1, 31))
    assert not slips("2007-04-01") & slips("2007-05-28")
    assert RecordEncoding.from_bytes(Encoder(KEY).encode(IDENTITY, STATISTICAL).encoding.to_bytes()).birth_date_slips
    assert Encoder(KEY).encode({"given_name": "Arta", "birth_year": 2007}, {}).encoding.birth_date_slips == frozenset()
