"""The LocalStack compose file and its init hook, run against moto's server (no Docker here)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml

from ivdb import paths
from ivdb.local.stack import REGION

COMPOSE_FILE = paths.REPOSITORY / "localstack" / "docker-compose.yml"
READY_HOOKS = "/etc/localstack/init/ready.d/"


@pytest.fixture(scope="module")
def localstack_service() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))["services"]["localstack"]


def mounted_hooks(service: dict[str, Any]) -> list[Path]:
    """The repository's files that the compose file mounts as LocalStack ready hooks."""
    hooks = []
    for volume in service["volumes"]:
        source, target = volume.split(":")[:2]
        if target.startswith(READY_HOOKS):
            hooks.append((COMPOSE_FILE.parent / source).resolve())
    return hooks


def test_localstack_runs_the_provisioning_hook_when_ready(localstack_service: dict[str, Any]) -> None:
    hooks = mounted_hooks(localstack_service)
    assert [hook.relative_to(paths.REPOSITORY).as_posix() for hook in hooks] == [
        "localstack/init/ready.d/provision-ivdb.sh"]
    assert all(os.access(hook, os.X_OK) for hook in hooks)


def test_localstack_emulates_the_services_ivdb_uses_and_no_lambda(localstack_service: dict[str, Any]) -> None:
    services = set(localstack_service["environment"]["SERVICES"].split(","))
    assert services == {"dynamodb", "kms", "sqs", "sts", "iam"}


def test_the_hook_provisions_an_endpoint_and_can_run_again(
        localstack_service: dict[str, Any], aws_endpoint: str, tmp_path: Path) -> None:
    # GIVEN the hook, with this virtualenv (which has ivdb) instead of one it would install
    hook = mounted_hooks(localstack_service)[0]
    environment = {**os.environ, "IVDB_REPOSITORY": str(paths.REPOSITORY), "IVDB_HOME": str(tmp_path),
                   "IVDB_VENV": sys.prefix, "IVDB_AWS_ENDPOINT": aws_endpoint}
    # WHEN it runs twice, as on two LocalStack starts against kept state
    runs = [subprocess.run(["sh", str(hook)], env=environment, capture_output=True, text=True, timeout=300)
            for _ in range(2)]
    # THEN both succeed, the first provisions and the second finds everything in place
    assert [run.returncode for run in runs] == [0, 0], [run.stderr[-2000:] for run in runs]
    assert "institution:kp-dthb" in runs[0].stderr
    assert "none (all existed)" in runs[1].stderr
    tables = boto3.client("dynamodb", endpoint_url=aws_endpoint, region_name=REGION).list_tables()["TableNames"]
    assert "ivdb-records" in tables
