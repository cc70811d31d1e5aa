"""The generator of random records, used by round-trip properties elsewhere, only makes valid records."""

from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.domain.record import assemble_record, split_record
from tests.strategies import record_documents, vocabulary

SOME_DAY_AFTER_EVERY_GENERATED_DATE = date(2025, 1, 1)


@settings(max_examples=300, deadline=None)
@given(record_documents())
def test_every_generated_record_is_valid(record_schema, document):
    assert record_schema.problems(document, today=SOME_DAY_AFTER_EVERY_GENERATED_DATE) == []


@settings(max_examples=100, deadline=None)
@given(record_documents())
def test_every_generated_record_survives_splitting(document):
    assert assemble_record(split_record(document)) == document


@given(st.data())
def test_vocabularies_come_from_the_schema(record_schema, data):
    assert data.draw(vocabulary("form_of_exploitation")) in record_schema.vocabulary("form_of_exploitation")
