"""Routes of the linkage: a person's records, and the reviewers' queue of uncertain pairs.

The linkage service is imported by the views that use it: it brings the linkage engine and
NumPy, which a cold start of any other route need not load.
"""

from __future__ import annotations

from chalice import Blueprint

from chalicelib import bootstrap
from chalicelib.api.http import endpoint, json_body
from chalicelib.domain.errors import InvalidInput, Problem

linkage = Blueprint(__name__)


@endpoint(linkage, "/persons/{person_id}")
def read_person(caller, request, person_id):
    return bootstrap.get_linkage().person(caller, person_id)


@endpoint(linkage, "/reviews")
def pending_reviews(caller, request):
    from chalicelib.services.linkage import REVIEWS_PAGE_LIMIT

    text = (request.query_params or {}).get("limit", str(REVIEWS_PAGE_LIMIT))
    if not text.isdigit() or not 1 <= int(text) <= REVIEWS_PAGE_LIMIT:
        raise InvalidInput([Problem("/query/limit", f"must be a whole number from 1 to {REVIEWS_PAGE_LIMIT}")])
    return bootstrap.get_linkage().pending_reviews(caller, int(text))


@endpoint(linkage, "/reviews/{review_id}", methods=("POST",))
def decide_review(caller, request, review_id):
    return bootstrap.get_linkage().decide(caller, review_id, json_body(request.raw_body))
