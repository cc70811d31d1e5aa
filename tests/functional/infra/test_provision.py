"""Provisioning from the infra template can run again, and can look up a deployed stack."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from chalicelib.settings import RESOURCE_ENVIRONMENT
from infra.template import build_template, key_alias_name
from ivdb import cli
from ivdb.local.backends import Backend
from ivdb.local.provision import MissingResource, Provisioner
from ivdb.local.stack import REGION, AwsResources, load_institutions, reader_keys

INSTITUTIONS = [{"id": "kp-dthb", "type": "police", "name": "Police"},
                {"id": "ngo-safe-house", "type": "ngo", "name": "Safe House"}]
RESOURCE_VARIABLES = set(RESOURCE_ENVIRONMENT.values())


def client(endpoint: str, service: str) -> Any:
    return boto3.client(service, endpoint_url=endpoint, region_name=REGION)


def resource_environment(resources: AwsResources) -> dict[str, str]:
    return {name: value for name, value in resources.environment.items() if name in RESOURCE_VARIABLES}


def test_provisioning_again_reuses_every_resource_and_branch_key(aws_endpoint: str) -> None:
    # GIVEN an emulator provisioned once
    first = AwsResources.provision(Backend("moto", aws_endpoint), INSTITUTIONS)
    keys_after_first = client(aws_endpoint, "kms").list_keys()["Keys"]
    # WHEN it is provisioned again
    second = AwsResources.provision(Backend("moto", aws_endpoint), INSTITUTIONS)
    # THEN the same tables, queues and keys are used and nothing new is created
    assert resource_environment(second) == resource_environment(first)
    assert client(aws_endpoint, "kms").list_keys()["Keys"] == keys_after_first
    assert set(first.branch_keys_created) == set(reader_keys()) | {"institution:kp-dthb", "institution:ngo-safe-house"}
    assert second.branch_keys_created == []


def test_only_the_branch_keys_of_new_institutions_are_created(aws_endpoint: str) -> None:
    AwsResources.provision(Backend("moto", aws_endpoint), INSTITUTIONS)
    joined = INSTITUTIONS + [{"id": "csw-prizren", "type": "social_welfare", "name": "CSW Prizren"}]
    again = AwsResources.provision(Backend("moto", aws_endpoint), joined)
    assert again.branch_keys_created == ["institution:csw-prizren"]


def test_a_key_is_found_by_its_alias(aws_endpoint: str) -> None:
    # GIVEN an index key made earlier under the template's alias
    kms = client(aws_endpoint, "kms")
    existing = kms.create_key(KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")["KeyMetadata"]
    kms.create_alias(AliasName=key_alias_name("ivdb", "IndexKey"), TargetKeyId=existing["KeyId"])
    # WHEN the emulator is provisioned
    resources = AwsResources.provision(Backend("moto", aws_endpoint), INSTITUTIONS)
    # THEN the functions use that key
    assert resources.environment[RESOURCE_ENVIRONMENT["index_key"]] == existing["Arn"]


def test_looking_up_a_stack_that_was_not_deployed_fails(aws_endpoint: str) -> None:
    provisioner = Provisioner(Backend("moto", aws_endpoint), REGION, create=False)
    with pytest.raises(MissingResource, match="does not exist"):
        provisioner.provision(build_template(reader_keys(), functions=frozenset()))
    assert client(aws_endpoint, "dynamodb").list_tables()["TableNames"] == []


def test_a_resource_type_without_a_creator_is_refused(aws_endpoint: str) -> None:
    template = {"Resources": {"Exports": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": "exports"}}}}
    with pytest.raises(ValueError, match="AWS::S3::Bucket"):
        Provisioner(Backend("moto", aws_endpoint), REGION).provision(template)


def test_provision_deployed_looks_the_stack_up_and_creates_the_missing_branch_keys(
        aws_endpoint: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    # GIVEN a stack whose resources exist (as `aws cloudformation deploy` leaves them) with no branch keys
    provisioner = Provisioner(Backend("moto", aws_endpoint), REGION)
    provisioner.provision(build_template(reader_keys(), functions=frozenset()))
    tables = client(aws_endpoint, "dynamodb").list_tables()["TableNames"]
    # WHEN `ivdb provision --deployed` runs with plain AWS configuration
    monkeypatch.setenv("AWS_ENDPOINT_URL", aws_endpoint)
    assert cli.main(["provision", "--deployed", "--region", REGION]) == 0
    # THEN it prints the stack's environment, created the registry's branch keys and no resource
    environment = json.loads(capsys.readouterr().out)
    assert environment[RESOURCE_ENVIRONMENT["key_store_table"]] == "ivdb-key-store"
    assert client(aws_endpoint, "dynamodb").list_tables()["TableNames"] == tables
    stored = client(aws_endpoint, "dynamodb").scan(TableName="ivdb-key-store")["Items"]
    branch_keys = {item["branch-key-id"]["S"] for item in stored if item["type"]["S"] == "branch:ACTIVE"}
    demo = {f"institution:{institution['id']}" for institution in load_institutions()}
    assert branch_keys == set(reader_keys()) | demo


def test_provision_deployed_without_a_stack_says_so(
        aws_endpoint: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", aws_endpoint)
    assert cli.main(["provision", "--deployed", "--region", REGION]) == 1
    assert "deploy the stack first" in capsys.readouterr().err
