"""The linkage's person id, written onto a record without a new version of the record.

The version stays as it is, so the records stream's relay does not send the record to be
linked again; the condition keeps a record withdrawn meanwhile from coming back as an
item that holds nothing but a person id.
"""

from __future__ import annotations

from pynamodb.exceptions import PynamoDBException, UpdateError

from chalicelib.adapters.dynamodb import RecordModel
from chalicelib.domain.errors import Unavailable


def set_person_id(record_id: str, person_id: str | None) -> None:
    action = RecordModel.person_id.set(person_id) if person_id else RecordModel.person_id.remove()
    try:
        RecordModel(record_id).update(actions=[action], condition=RecordModel.record_id.exists())
    except UpdateError as e:
        if e.cause_response_code == "ConditionalCheckFailedException":
            return
        raise Unavailable("the database is unavailable") from e
    except PynamoDBException as e:
        raise Unavailable("the database is unavailable") from e
