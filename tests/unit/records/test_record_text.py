"""Names in any script are accepted as written; characters that hide or corrupt text are not.

Decision on invisible characters: zero-width space, word joiner, byte order mark, soft
hyphen, bidirectional controls and tag characters carry no letter and let two spellings
of one name look identical (or text read in a different order than it is stored), so they
are refused. Zero-width joiner and non-joiner stay: Persian, Kurdish and Indic names are
spelt with them.
"""

import pytest

from chalicelib.domain.errors import Problem

CONTROL_PROBLEM = "must not contain control characters, line breaks or invisible formatting characters"


def _with_given_name(record, name):
    record["identity"] = {"given_name": name}
    return record


@pytest.mark.parametrize(
    "name",
    [
        "Јована Петровић",
        "Đorđe Šćepanović",
        "Arbër Çeliku",
        "Ane\u0308",  # e + combining diaeresis: ë written decomposed
        "Dz\u030cenana",  # z + combining caron
        "O'Brien-Smith",
        "José María",
        "محمد",
        "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645",  # Persian word with a zero-width non-joiner
        "\u0915\u094d\u200d\u0937",  # Devanagari with a zero-width joiner
        "李小龍",
        "𝔄𝔯𝔟𝔢𝔯",  # outside the Basic Multilingual Plane
        " Arta ",
    ],
)
def test_names_in_any_script_are_accepted(record_schema, minimal_record, today, name):
    assert record_schema.problems(_with_given_name(minimal_record, name), today=today) == []


@pytest.mark.parametrize(
    "character",
    [
        "\u0000",  # NUL
        "\u0007",  # bell
        "\u001b",  # escape: terminal control sequences in logs
        "\u007f",  # delete
        "\u0085",  # next line (C1)
        "\t",
        "\n",
        "\r",
        "\u2028",  # line separator
        "\u2029",  # paragraph separator
        "\u200b",  # zero-width space
        "\u2060",  # word joiner
        "\ufeff",  # byte order mark
        "\u00ad",  # soft hyphen
        "\u200e",  # left-to-right mark
        "\u202e",  # right-to-left override
        "\u2067",  # right-to-left isolate
        "\U000e0041",  # tag latin capital letter A
        "\ud800",  # a lone surrogate: valid JSON escape, not encodable text
        "\uffff",  # noncharacter
    ],
    ids=lambda character: f"U+{ord(character):04X}",
)
@pytest.mark.parametrize("position", ["start", "middle", "end"])
def test_control_and_invisible_characters_are_refused_anywhere_in_a_name(
    record_schema, minimal_record, today, character, position
):
    name = {"start": character + "Arta", "middle": "Ar" + character + "ta", "end": "Arta" + character}[position]

    assert record_schema.problems(_with_given_name(minimal_record, name), today=today) == [
        Problem("/identity/given_name", CONTROL_PROBLEM)
    ]


@pytest.mark.parametrize("blank", ["", " ", "\u00a0", "\u3000 "])
def test_a_name_needs_a_visible_character(record_schema, minimal_record, today, blank):
    assert record_schema.problems(_with_given_name(minimal_record, blank), today=today) == [
        Problem("/identity/given_name", "must contain a visible character")
    ]


def test_a_narrative_may_span_lines_and_tabs(record_schema, minimal_record, today):
    minimal_record["case"] = {"narrative": "Prvi dan:\r\n\tdokumenti oduzeti.\nДруги дан: премештена."}

    assert record_schema.problems(minimal_record, today=today) == []


@pytest.mark.parametrize("character", ["\u0000", "\u000b", "\u001b", "\u200b", "\u202e", "\u2028"])
def test_a_narrative_refuses_other_control_and_invisible_characters(record_schema, minimal_record, today, character):
    minimal_record["case"] = {"narrative": "line one\n" + character + "line two"}

    assert [p.path for p in record_schema.problems(minimal_record, today=today)] == ["/case/narrative"]


@pytest.mark.parametrize("reference", ["KP-2025-00017", "ПУ-123/25", "PPS_123.25"])
def test_source_references_are_single_tokens(record_schema, minimal_record, today, reference):
    minimal_record["source_reference"] = reference

    assert record_schema.problems(minimal_record, today=today) == []


@pytest.mark.parametrize("reference", ["", "KP 2025", "KP-2025\n", "\u200bKP-2025", "K" * 65])
def test_a_source_reference_with_spaces_or_invisible_characters_is_refused(
    record_schema, minimal_record, today, reference
):
    minimal_record["source_reference"] = reference

    assert [p.path for p in record_schema.problems(minimal_record, today=today)] == ["/source_reference"]


@pytest.mark.parametrize("phone", ["+383 44 000 000", "(011) 300-4000", "044/123.456"])
def test_phone_numbers_in_local_and_international_form(record_schema, minimal_record, today, phone):
    minimal_record["identity"] = {"phone": phone}

    assert record_schema.problems(minimal_record, today=today) == []


@pytest.mark.parametrize("phone", ["call me", "+", "12", "+383 44 000 000\n", "+383 44 000 000 ext. 5"])
def test_anything_but_a_phone_number_is_refused_as_one(record_schema, minimal_record, today, phone):
    minimal_record["identity"] = {"phone": phone}

    assert {p.path for p in record_schema.problems(minimal_record, today=today)} == {"/identity/phone"}


def test_kosovo_has_a_country_code(record_schema, minimal_record, today):
    minimal_record["statistical"]["citizenship"] = ["XK", "RS", "AL"]

    assert "XK" in record_schema.vocabulary("country_code")
    assert record_schema.problems(minimal_record, today=today) == []


@pytest.mark.parametrize("code", ["xk", "KOS", "UK", "YU", "EU"])
def test_only_iso_alpha_2_country_codes_are_accepted(record_schema, minimal_record, today, code):
    minimal_record["statistical"]["citizenship"] = [code]

    assert record_schema.problems(minimal_record, today=today) == [
        Problem("/statistical/citizenship/0", "must be one of the allowed values")
    ]
