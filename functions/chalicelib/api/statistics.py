"""The coordinator's route: counts of persons, as JSON or CSV, with disclosure control applied."""

from __future__ import annotations

from chalice import Blueprint, Response

from chalicelib import bootstrap
from chalicelib.api.http import endpoint
from chalicelib.domain.statistics import render_csv
from chalicelib.services.statistics import output_format

statistics = Blueprint(__name__)


@endpoint(statistics, "/statistics")
def statistics_table(caller, request):
    query_parameters = request.query_params or {}
    parameters = {name: query_parameters.getlist(name) for name in query_parameters}
    answer = bootstrap.get_statistics().query(caller, parameters)
    if output_format(parameters) == "csv":
        return Response(body=render_csv(answer), status_code=200, headers={"Content-Type": "text/csv; charset=utf-8"})
    return answer.to_json()
