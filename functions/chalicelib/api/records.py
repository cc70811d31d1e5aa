"""Routes of identification records."""

from __future__ import annotations

import re

from chalice import Blueprint, Response

from chalicelib import bootstrap
from chalicelib.api.http import endpoint, json_body
from chalicelib.domain.errors import InvalidInput, Problem

records = Blueprint(__name__)

IDEMPOTENCY_KEY = re.compile(r"[\x21-\x7e]{1,200}")
VERSION_TAG = re.compile(r'(?:W/)?"?([0-9]{1,9})"?')


def idempotency_key(headers) -> str | None:
    key = headers.get("idempotency-key")
    if key is not None and not IDEMPOTENCY_KEY.fullmatch(key):
        raise InvalidInput([Problem("/headers/Idempotency-Key", "must be 1 to 200 visible ASCII characters")])
    return key


def if_match_version(headers) -> int:
    tag = VERSION_TAG.fullmatch((headers.get("if-match") or "").strip())
    if tag is None:
        raise InvalidInput([Problem("/headers/If-Match", "the record version being changed is required")])
    return int(tag.group(1))


@endpoint(records, "/records", methods=("POST",), status=201)
def submit_record(caller, request):
    return bootstrap.get_records().submit(caller, json_body(request.raw_body), idempotency_key(request.headers))


@endpoint(records, "/records/{record_id}")
def read_record(caller, request, record_id):
    record = bootstrap.get_records().read(caller, record_id)
    return Response(body=record, status_code=200,
                    headers={"Content-Type": "application/json", "ETag": f'"{record["version"]}"'})


@endpoint(records, "/records/{record_id}", methods=("PATCH",))
def update_record(caller, request, record_id):
    return bootstrap.get_records().update(caller, record_id, json_body(request.raw_body),
                                          if_match_version(request.headers))


@endpoint(records, "/records/{record_id}", methods=("DELETE",))
def withdraw_record(caller, request, record_id):
    bootstrap.get_records().withdraw(caller, record_id)
    return Response(body="", status_code=204)
