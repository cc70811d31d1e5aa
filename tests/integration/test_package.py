"""`chalice package` with the merge template gives a deployable, least-privilege package.

Packaging downloads the Lambda wheels of functions/requirements.txt from PyPI: this test
needs the network and takes from about 20 seconds (pip's cache warm) to a minute or two.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

from infra.template import FUNCTION_ROLES, QUEUE_CONSUMERS
from ivdb import cli, paths

pytestmark = pytest.mark.integration

BIN = Path(sys.prefix) / "bin"
CFN_LINT_ERROR = 2
"""cfn-lint's exit status is a bit mask; this bit is set when any error was found."""


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    build = tmp_path_factory.mktemp("package")
    merge_template = build / "merge-template.json"
    assert cli.main(["provision", "--write-template", str(merge_template)]) == 0
    packaged = subprocess.run(
        [str(BIN / "chalice"), "package", "--stage", "prod", "--merge-template", str(merge_template),
         str(build / "out")],
        cwd=paths.FUNCTIONS, env={**os.environ, "AWS_DEFAULT_REGION": "eu-central-1"},
        capture_output=True, text=True, timeout=900)
    assert packaged.returncode == 0, packaged.stderr
    assert "Could not install dependencies" not in packaged.stdout + packaged.stderr, packaged.stdout
    return build / "out"


@pytest.fixture(scope="module")
def sam(package: Path) -> dict[str, Any]:
    return json.loads((package / "sam.json").read_text(encoding="utf-8"))


def functions(sam: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {logical_id: resource for logical_id, resource in sam["Resources"].items()
            if resource.get("Type") == "AWS::Serverless::Function"}


def test_the_packaged_template_passes_cfn_lint(package: Path) -> None:
    linted = subprocess.run([str(BIN / "cfn-lint"), "--format", "parseable", str(package / "sam.json")],
                            capture_output=True, text=True, timeout=300)
    assert not linted.returncode & CFN_LINT_ERROR, linted.stdout + linted.stderr


def test_every_resource_has_a_type(sam: dict[str, Any]) -> None:
    assert [logical_id for logical_id, resource in sam["Resources"].items() if "Type" not in resource] == []


def test_every_function_runs_as_its_least_privilege_role(sam: dict[str, Any]) -> None:
    packaged = functions(sam)
    assert "APIHandler" in packaged
    for logical_id, function in packaged.items():
        assert function["Properties"]["Role"] == {"Fn::GetAtt": [FUNCTION_ROLES[logical_id], "Arn"]}


def test_stream_event_sources_read_the_records_table_stream(sam: dict[str, Any]) -> None:
    streams = [event["Properties"]["Stream"]
               for function in functions(sam).values()
               for event in function["Properties"].get("Events", {}).values()
               if event["Type"] == "DynamoDB"]
    assert streams, "no function reads a DynamoDB stream"
    assert all(stream == {"Fn::GetAtt": ["RecordsTable", "StreamArn"]} for stream in streams)


def test_each_queue_is_read_by_its_one_consumer_at_a_time(sam: dict[str, Any]) -> None:
    consumers = {logical_id: (function["Properties"].get("ReservedConcurrentExecutions"),
                              [event["Properties"]["Queue"] for event in function["Properties"]["Events"].values()
                               if event["Type"] == "SQS"])
                 for logical_id, function in functions(sam).items()
                 if any(event["Type"] == "SQS" for event in function["Properties"].get("Events", {}).values())}
    assert consumers, "no function reads a queue"
    assert consumers == {function: (1, [{"Fn::GetAtt": [queue, "Arn"]}])
                         for function, queue in QUEUE_CONSUMERS.items() if function in consumers}


def test_the_package_ships_the_schemas(package: Path) -> None:
    with zipfile.ZipFile(package / "deployment.zip") as bundle:
        names = set(bundle.namelist())
    assert {"schemas/access-policy.json", "schemas/identification-record.schema.json", "app.py"} <= names
