"""The auditor's route: who read or changed which record, when, from which institution.

The audit service is imported by the view, so that a cold start of another route does not load it.
"""

from __future__ import annotations

from chalice import Blueprint

from chalicelib import bootstrap
from chalicelib.api.http import endpoint
from chalicelib.domain.errors import InvalidInput, Problem

audit = Blueprint(__name__)


def _whole_number(parameters: dict[str, str], name: str, default: int, largest: int,
                  problems: list[Problem]) -> int:
    text = parameters.get(name)
    if text is None:
        return default
    if not text.isdigit() or int(text) > largest:
        problems.append(Problem(f"/query/{name}", f"must be a whole number from 0 to {largest}"))
        return default
    return int(text)


@endpoint(audit, "/audit")
def audit_log(caller, request):
    from chalicelib.services.audit import PAGE_LIMIT, read_audit

    parameters = request.query_params or {}
    problems: list[Problem] = []
    after = _whole_number(parameters, "after", 0, 10**12, problems)
    limit = _whole_number(parameters, "limit", 100, PAGE_LIMIT, problems) or 100
    if problems:
        raise InvalidInput(problems)
    return read_audit(bootstrap.get_access_policy(), bootstrap.get_audit_log(), caller,
                      after=after, limit=limit, record_id=parameters.get("record_id"))
