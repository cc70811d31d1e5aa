"""`ivdb stats`: its arguments, and the table it prints from the API's answer."""

from ivdb import cli
from ivdb.commands.stats import render_table, run_rebuild, run_table


def test_the_table_and_rebuild_are_one_command_with_a_subcommand():
    table = cli.parser().parse_args(["stats", "--group-by", "sex,age_band", "--from", "2025-01", "--format", "csv"])
    rebuild = cli.parser().parse_args(["stats", "rebuild", "--port", "8010"])

    assert (table.func, table.group_by, table.date_from, table.format) == (run_table, "sex,age_band", "2025-01", "csv")
    assert (rebuild.func, rebuild.port) == (run_rebuild, 8010)


def test_the_table_aligns_its_columns_marks_suppressed_counts_and_ends_with_the_total():
    answer = {"total": 41, "threshold": 5, "multi_valued": [],
              "cells": [{"sex": "female", "age_band": "12-17", "count": 23},
                        {"sex": "male", "age_band": "12-17", "count": None, "suppressed": True}]}

    lines = render_table(answer).splitlines()

    assert lines[:4] == ["sex     age_band  persons",
                         "female  12-17     23",
                         "male    12-17     x",
                         "total   total     41"]
    assert "1 to 5 persons" in lines[-1]


def test_without_a_group_the_table_is_the_total():
    assert render_table({"total": None, "threshold": 5, "multi_valued": [], "cells": []}).splitlines()[:2] \
        == ["persons", "x"]
