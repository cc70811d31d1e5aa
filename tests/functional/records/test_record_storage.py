"""What DynamoDB holds: no submitted value in clear, and ciphertexts bound to their place."""

from __future__ import annotations

import base64
import binascii
import json
import re
import unicodedata
from collections.abc import Iterator
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ivdb.local.stack import load_institutions
from tests.functional.records.record_api import EXAMPLE_RECORDS, example_record, unique_reference
from tests.strategies import record_documents

SHORTEST_CHECKED_TEXT = 4
"""Shorter strings turn up by chance inside ciphertexts and hex digests."""
SHORTEST_CHECKED_NUMBER = 6
"""Digits alone turn up in the timestamps, uuids and MACs the tables rightly keep in clear."""
PUBLIC_INSTITUTION_IDS = tuple(institution["id"] for institution in load_institutions())
BASE64_TEXT = re.compile(r"[A-Za-z0-9+/=_-]{16,}")
NUMERAL_OR_HEX = re.compile(r"[0-9a-f.:/+() -]*[0-9a-f][0-9a-f.:/+() -]*")


def submitted_values(value: Any) -> Iterator[str]:
    """Every string and number of a document, dates also without their dashes."""
    if isinstance(value, dict):
        for item in value.values():
            yield from submitted_values(item)
    elif isinstance(value, list):
        for item in value:
            yield from submitted_values(item)
    elif isinstance(value, str):
        yield value
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            year, month, day = value.split("-")
            yield from (year + month + day, f"{day}.{month}.{year}", f"{day}/{month}/{year}")
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        yield str(value)


def without_marks(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))


def spellings(value: str) -> set[str]:
    """The forms a value could be stored in: lowercase, composed, decomposed, without diacritics."""
    lower = value.strip().lower()
    forms = {unicodedata.normalize("NFC", lower), unicodedata.normalize("NFD", lower), without_marks(lower)}
    return {form for form in forms
            if len(form) >= (SHORTEST_CHECKED_NUMBER if form.isdigit() else SHORTEST_CHECKED_TEXT)}


def needles(document: dict[str, Any]) -> set[str]:
    return {form for value in submitted_values(document) for form in spellings(value)}


def stored_texts(attribute: dict[str, Any]) -> Iterator[str]:
    """Every value of a raw DynamoDB attribute as lowercase text; binaries and base64 strings decoded."""
    (kind, value), = attribute.items()
    if kind in ("S", "N"):
        yield value.lower()
        if kind == "S" and BASE64_TEXT.fullmatch(value):
            try:
                yield base64.b64decode(value + "=" * (-len(value) % 4), altchars=b"-_" if "-" in value or "_" in value
                                       else None).decode("utf-8", "replace").lower()
            except (binascii.Error, ValueError):
                pass
    elif kind == "B":
        yield bytes(value).decode("utf-8", "replace").lower()
    elif kind in ("SS", "NS"):
        for item in value:
            yield from stored_texts({kind[0]: item})
    elif kind == "BS":
        for item in value:
            yield from stored_texts({"B": item})
    elif kind == "L":
        for item in value:
            yield from stored_texts(item)
    elif kind == "M":
        for item in value.values():
            yield from stored_texts(item)


def occurrence(needle: str) -> re.Pattern[str]:
    """Where a needle counts as found: anywhere, but a numeral or hex run only on its own.

    The tables rightly keep hex digests, block keys and timestamps in clear, millions of
    hex characters after a full run, so nearly every short run of hex digits (``face``,
    ``0a0a``, ``123456``) and many a short numeral (a phone ``3.10`` in ``19:32:03.104``)
    is somewhere inside one by chance. A value stored in clear still stands apart from them."""
    if NUMERAL_OR_HEX.fullmatch(needle):
        return re.compile(rf"(?<![0-9a-f]){re.escape(needle)}(?![0-9a-f])")
    return re.compile(re.escape(needle))


def values_in_clear(tables, searched: set[str]) -> set[tuple[str, str]]:
    """(table, value) for every searched value found in any table (where: ``occurrence``).

    The ids of the registry's institutions are public and stored in clear (``csw-prizren``),
    so they are taken out of the stored text before a municipality's name is looked for."""
    patterns = {needle: occurrence(needle) for needle in searched}
    found = set()
    for table_name in tables.names():
        for item in tables.scan(table_name):
            for attribute in item.values():
                for text in stored_texts(attribute):
                    for public_id in PUBLIC_INSTITUTION_IDS:
                        text = text.replace(public_id, " ")
                    found.update((table_name, needle) for needle, pattern in patterns.items() if pattern.search(text))
    return found


def test_no_value_of_the_example_records_is_stored_in_clear(api, institution_of_type, tables):
    # GIVEN every example record, submitted by institutions of every type and then updated
    documents = []
    for path, submitter_type in zip(EXAMPLE_RECORDS, ["police", "prosecution", "social_welfare", "ngo"] * 2):
        document = json.loads(path.read_text(encoding="utf-8"))
        document["source_reference"] = unique_reference(document["source_reference"])
        submitter = api.as_(institution_of_type[submitter_type])
        record_id = submitter.submit(document)
        assert submitter.patch(f"/records/{record_id}", {"status": document["status"]},
                               headers={"If-Match": "1"}).status == 200
        documents.append(document)
    searched = set().union(*(needles(document) for document in documents))
    assert {"arbër", "arber", "krasniqi", "p1234567", "20070412", "pps-123/25"} <= searched

    # WHEN every table is scanned  THEN none of their values shows, in any spelling
    assert values_in_clear(tables, searched) == set()


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(document=record_documents(), submitter_type=st.sampled_from(["police", "prosecution", "social_welfare",
                                                                    "ngo"]))
def test_no_value_of_a_generated_record_is_stored_in_clear(api, institution_of_type, tables, document,
                                                           submitter_type):
    document["source_reference"] = unique_reference(document["source_reference"][:24])
    api.as_(institution_of_type[submitter_type]).submit(document)

    assert values_in_clear(tables, needles(document)) == set()


def test_the_scan_finds_a_value_stored_in_clear(tables, aws):
    # GIVEN (to show the scan can fail) a name written in clear, decomposed, into the records table
    table_name = aws.environment["IVDB_RECORDS_TABLE"]
    leaked = {"record_id": {"S": unique_reference()}, "note": {"B": "ARBE\u0308R".encode()}}
    tables.dynamodb.put_item(TableName=table_name, Item=leaked)
    try:
        # THEN the scan reports it whatever spelling is searched for
        assert values_in_clear(tables, spellings("Arbër")) == {(table_name, "arbe\u0308r")}
    finally:
        tables.dynamodb.delete_item(TableName=table_name, Key={"record_id": leaked["record_id"]})


def test_the_scan_finds_a_numeral_or_hex_run_on_its_own_but_not_inside_a_digest_or_timestamp(tables, aws):
    # GIVEN a document number of hex digits only, written in clear, a digest that holds it by
    # chance, and a timestamp that holds a short phone number by chance
    table_name = aws.environment["IVDB_RECORDS_TABLE"]
    number, digest, phone = "0a0a1234", "9f30a0a12347c1", "3.10"
    leaked = {"record_id": {"S": unique_reference()}, "note": {"S": f"number {number.upper()};"},
              "mac": {"S": digest}, "at": {"S": "2026-11-23T19:32:03.104Z"}}
    tables.dynamodb.put_item(TableName=table_name, Item=leaked)
    try:
        # THEN the scan reports the number written in clear, not a value found only inside the digest or timestamp
        assert values_in_clear(tables, {number, digest[2:12], phone}) == {(table_name, number)}
    finally:
        tables.dynamodb.delete_item(TableName=table_name, Key={"record_id": leaked["record_id"]})


def parts_of(tables, aws, record_id: str) -> dict[str, bytes]:
    item = tables.dynamodb.get_item(TableName=aws.environment["IVDB_RECORDS_TABLE"],
                                    Key={"record_id": {"S": record_id}}, ConsistentRead=True)["Item"]
    return {name: value["B"] for name, value in item["parts"]["M"].items()}


def put_part(tables, aws, record_id: str, part: str, ciphertext: bytes) -> None:
    tables.dynamodb.update_item(TableName=aws.environment["IVDB_RECORDS_TABLE"],
                                Key={"record_id": {"S": record_id}},
                                UpdateExpression="SET parts.#part = :ciphertext",
                                ExpressionAttributeNames={"#part": part},
                                ExpressionAttributeValues={":ciphertext": {"B": ciphertext}})


def test_a_section_copied_from_another_record_does_not_decrypt(api, institution_of_type, tables, aws):
    # GIVEN two records of the same submitter, and the first one's identity ciphertext written over the second's
    police = api.as_(institution_of_type["police"])
    source = example_record("albanian")
    target = example_record("serbian-latin")
    source_id, target_id = police.submit(source), police.submit(target)
    put_part(tables, aws, target_id, "identity", parts_of(tables, aws, source_id)["identity"])

    # WHEN the submitter and the prosecution read the second record
    for reader in (police, api.as_(institution_of_type["prosecution"])):
        answer = reader.get(f"/records/{target_id}")

        # THEN the copied section is withheld, not shown with the other person's identity, and the rest reads
        assert answer.status == 200, answer.text
        assert "identity" in answer.body["withheld"]
        assert "identity" not in answer.body
        assert answer.body["statistical"] == target["statistical"]


def test_a_section_copied_into_another_section_of_the_same_record_does_not_decrypt(api, institution_of_type,
                                                                                   tables, aws):
    # GIVEN a record whose assistance ciphertext was replaced by its case ciphertext
    prosecution = api.as_(institution_of_type["prosecution"])
    record = example_record("albanian")
    record_id = prosecution.submit(record)
    put_part(tables, aws, record_id, "assistance", parts_of(tables, aws, record_id)["case"])

    # WHEN the submitter reads it
    answer = prosecution.get(f"/records/{record_id}")

    # THEN assistance is withheld and case still reads as submitted
    assert answer.status == 200, answer.text
    assert answer.body["withheld"] == ["assistance"]
    assert answer.body["case"] == record["case"]
