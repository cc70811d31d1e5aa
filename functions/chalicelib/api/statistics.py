"""The coordinator's route: counts of persons, as JSON or CSV, with disclosure control applied.

The statistics code is imported by the view, so that a cold start of another route does not load it.
"""

from __future__ import annotations

from chalice import Blueprint, Response

from chalicelib import bootstrap
from chalicelib.api.http import endpoint

statistics = Blueprint(__name__)


@endpoint(statistics, "/statistics")
def statistics_table(caller, request):
    from chalicelib.domain.statistics import render_csv
    from chalicelib.services.statistics import output_format

    query_parameters = request.query_params or {}
    parameters = {name: query_parameters.getlist(name) for name in query_parameters}
    answer = bootstrap.get_statistics().query(caller, parameters)
    if output_format(parameters) == "csv":
        return Response(body=render_csv(answer), status_code=200, headers={"Content-Type": "text/csv; charset=utf-8"})
    return answer.to_json()
