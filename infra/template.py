"""The one definition of ivdb's AWS resources: tables, KMS keys, queues, roles.

`chalice package --merge-template` merges what `build_template` returns into the functions'
template for a deployment; the local stack provisions an emulator from the very same
document (ivdb/local/provision.py). The reader keys and their KMS key policies are derived
from schemas/access-policy.json: a reader type added there gets its key here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chalice.cli.factory import CLIFactory
from chalice.deploy.appgraph import ApplicationGraphBuilder, DependencyBuilder
from chalice.deploy.models import LambdaFunction
from chalice.utils import to_cfn_resource_name

from chalicelib.settings import RESOURCE_ENVIRONMENT

INSTITUTION_READERS = "institution:*"
"""Every submitting institution has a branch key of its own, all under one KMS key."""

ACCOUNT_ROOT = {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}

FUNCTION_ROLES = {
    "APIHandler": "ApiRole",
    "RelayRecordChanges": "RelayRole",
    "LinkRecords": "LinkageRole",
    "ReconsiderReviews": "LinkageRole",
    "UpdateStatistics": "StatisticsRole",
}
"""Chalice's logical id of each function -> the role it runs as."""

QUEUE_CONSUMERS = {"LinkRecords": "LinkageQueue", "UpdateStatistics": "StatisticsQueue"}
"""Each queue's one consumer. One instance at a time: the consumers serialise their writes
anyway (adapters/journal.py), so more would only wait for the lease."""

CHALICE_API_FUNCTION = "api_handler"
"""Chalice's resource name of the API's function, which `chalice package` calls ``APIHandler``."""


def chalice_function_ids(project_dir: str | Path, stage: str = "prod") -> frozenset[str]:
    """The logical ids `chalice package` gives the app's Lambda functions: a merge-template
    override of any other id would add a resource without a type to the package."""
    config = CLIFactory(project_dir=str(project_dir)).create_config_obj(chalice_stage_name=stage)
    application = ApplicationGraphBuilder().build(config, stage)
    return frozenset(
        "APIHandler" if resource.resource_name == CHALICE_API_FUNCTION
        else to_cfn_resource_name(resource.resource_name)
        for resource in DependencyBuilder().build_dependencies(application)
        if isinstance(resource, LambdaFunction))


@dataclass(frozen=True)
class Table:
    logical_id: str
    setting: str
    hash_key: str
    range_key: str | None = None
    range_key_type: str = "S"
    stream: bool = False

    def resource(self, prefix: str) -> dict[str, Any]:
        attributes = [{"AttributeName": self.hash_key, "AttributeType": "S"}]
        key_schema = [{"AttributeName": self.hash_key, "KeyType": "HASH"}]
        if self.range_key:
            attributes.append({"AttributeName": self.range_key, "AttributeType": self.range_key_type})
            key_schema.append({"AttributeName": self.range_key, "KeyType": "RANGE"})
        properties: dict[str, Any] = {
            "TableName": f"{prefix}-{self.setting.removesuffix('_table').replace('_', '-')}",
            "AttributeDefinitions": attributes,
            "KeySchema": key_schema,
            "BillingMode": "PAY_PER_REQUEST",
            "SSESpecification": {"SSEEnabled": True},
            "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
        }
        if self.stream:
            properties["StreamSpecification"] = {"StreamViewType": "NEW_AND_OLD_IMAGES"}
        return {"Type": "AWS::DynamoDB::Table", "DeletionPolicy": "Retain",
                "UpdateReplacePolicy": "Retain", "Properties": properties}


TABLES = (
    Table("RecordsTable", "records_table", "record_id", stream=True),
    Table("UniquesTable", "uniques_table", "constraint"),
    Table("AuditTable", "audit_table", "chain", "sequence", range_key_type="N"),
    Table("LinkageTable", "linkage_table", "pk", "sk"),
    Table("StatisticsTable", "statistics_table", "pk", "sk"),
    Table("KeyStoreTable", "key_store_table", "branch-key-id", "type"),
)

QUEUES = (("LinkageQueue", "linkage_queue"), ("StatisticsQueue", "statistics_queue"))


def reader_key_logical_id(reader: str) -> str:
    """``type:social_welfare`` -> ``ReaderKeyTypeSocialWelfare``; ``institution:*`` -> ``ReaderKeyInstitution``."""
    words = re.split(r"[^a-z0-9]+", reader.lower())
    return "ReaderKey" + "".join(word.capitalize() for word in words)


def key_alias_name(prefix: str, key_logical_id: str) -> str:
    """``ReaderKeyTypePolice`` -> ``alias/ivdb/reader-key-type-police``: the name by which a
    key is found again, since KMS keys themselves have none."""
    return f"alias/{prefix}/" + re.sub(r"(?<!^)(?=[A-Z])", "-", key_logical_id).lower()


def _key_with_alias(logical_id: str, key: dict[str, Any], prefix: str) -> dict[str, dict[str, Any]]:
    return {logical_id: key,
            f"{logical_id}Alias": {"Type": "AWS::KMS::Alias", "Properties": {
                "AliasName": key_alias_name(prefix, logical_id), "TargetKeyId": {"Ref": logical_id}}}}


def _role_arn(prefix: str, role: str) -> dict[str, str]:
    return {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/" + _role_name(prefix, role)}


def _role_name(prefix: str, role: str) -> str:
    return f"{prefix}-{role}"


def _key_policy(usage_actions: list[str], roles: Iterable[str], prefix: str) -> dict[str, Any]:
    """Administration by the account; use only by the named functions' roles. The roles are
    named by a condition, not as principals, so that keys and roles need not exist in order."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "AccountAdministers", "Effect": "Allow", "Principal": {"AWS": ACCOUNT_ROOT},
             "Action": ["kms:Create*", "kms:Describe*", "kms:Enable*", "kms:List*", "kms:Put*",
                        "kms:Update*", "kms:Revoke*", "kms:Disable*", "kms:Get*", "kms:Delete*",
                        "kms:TagResource", "kms:UntagResource", "kms:ScheduleKeyDeletion",
                        "kms:CancelKeyDeletion", "kms:GenerateDataKeyWithoutPlaintext",
                        "kms:ReEncrypt*"],
             "Resource": "*"},
            {"Sid": "FunctionsUse", "Effect": "Allow", "Principal": {"AWS": ACCOUNT_ROOT},
             "Action": usage_actions, "Resource": "*",
             "Condition": {"ArnLike": {"aws:PrincipalArn": [
                 _role_arn(prefix, role) for role in sorted(set(roles))]}}},
        ],
    }


def _symmetric_key(description: str, roles: Iterable[str], prefix: str) -> dict[str, Any]:
    return {"Type": "AWS::KMS::Key", "DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain",
            "Properties": {"Description": description, "KeySpec": "SYMMETRIC_DEFAULT",
                           "KeyUsage": "ENCRYPT_DECRYPT", "EnableKeyRotation": True,
                           "KeyPolicy": _key_policy(["kms:Decrypt"], roles, prefix)}}


def _hmac_key(description: str, roles: Iterable[str], prefix: str) -> dict[str, Any]:
    return {"Type": "AWS::KMS::Key", "DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain",
            "Properties": {"Description": description, "KeySpec": "HMAC_256",
                           "KeyUsage": "GENERATE_VERIFY_MAC",
                           "KeyPolicy": _key_policy(["kms:GenerateMac", "kms:VerifyMac"], roles, prefix)}}


def _reader_key_roles(reader: str) -> list[str]:
    """Who unwraps a reader's branch keys: the API encrypts to every reader and decrypts
    for callers; a service reader's own function decrypts what it processes."""
    roles = ["ApiRole"]
    if reader == "service:linkage":
        roles.append("LinkageRole")
    if reader == "service:statistics":
        roles.append("StatisticsRole")
    return roles


def _queue_pair(logical_id: str, name: str) -> dict[str, dict[str, Any]]:
    dead_letter = logical_id.removesuffix("Queue") + "DeadLetterQueue"
    return {
        dead_letter: {"Type": "AWS::SQS::Queue",
                      "Properties": {"QueueName": f"{name}-dead-letter",
                                     "MessageRetentionPeriod": 1209600,
                                     "SqsManagedSseEnabled": True}},
        logical_id: {"Type": "AWS::SQS::Queue",
                     "Properties": {"QueueName": name, "VisibilityTimeout": 120,
                                    "MessageRetentionPeriod": 1209600,
                                    "SqsManagedSseEnabled": True,
                                    "RedrivePolicy": {"deadLetterTargetArn": {"Fn::GetAtt": [dead_letter, "Arn"]},
                                                      "maxReceiveCount": 5}}},
    }


def _table_arns(*logical_ids: str) -> list[Any]:
    arns: list[Any] = []
    for logical_id in logical_ids:
        arns.append({"Fn::GetAtt": [logical_id, "Arn"]})
        arns.append({"Fn::Sub": "${%s.Arn}/index/*" % logical_id})
    return arns


def _statement(actions: list[str], resources: list[Any]) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": actions, "Resource": resources}


def _role(name: str, statements: list[dict[str, Any]]) -> dict[str, Any]:
    return {"Type": "AWS::IAM::Role", "Properties": {
        "RoleName": name,
        "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
            "Action": "sts:AssumeRole"}]},
        "ManagedPolicyArns": [{"Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"}],
        "Policies": [{"PolicyName": "least-privilege", "PolicyDocument": {
            "Version": "2012-10-17", "Statement": statements}}]}}


READ_WRITE = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem",
              "dynamodb:Query", "dynamodb:ConditionCheckItem", "dynamodb:BatchGetItem",
              "dynamodb:BatchWriteItem"]
READ = ["dynamodb:GetItem", "dynamodb:Query", "dynamodb:BatchGetItem"]
KEY_STORE_READ = ["dynamodb:GetItem", "dynamodb:Query"]


def _key_arns(logical_ids: Iterable[str]) -> list[Any]:
    return [{"Fn::GetAtt": [logical_id, "Arn"]} for logical_id in logical_ids]


def _roles(reader_keys: list[str], prefix: str) -> dict[str, dict[str, Any]]:
    reader_key_ids = [reader_key_logical_id(reader) for reader in reader_keys + [INSTITUTION_READERS]]
    key_store = [_statement(KEY_STORE_READ, _table_arns("KeyStoreTable"))]
    return {
        "ApiRole": _role(_role_name(prefix, "ApiRole"), key_store + [
            _statement(READ_WRITE + ["dynamodb:Scan"], _table_arns("RecordsTable", "UniquesTable", "AuditTable")),
            _statement(READ_WRITE, _table_arns("LinkageTable")),
            _statement(READ, _table_arns("StatisticsTable")),
            _statement(["kms:Decrypt"], _key_arns(reader_key_ids)),
            _statement(["kms:GenerateMac"], _key_arns(["IndexKey", "AuditKey", "StatisticsKey"])),
            _statement(["sqs:SendMessage"], _key_arns(["LinkageQueue", "StatisticsQueue"])),
        ]),
        "RelayRole": _role(_role_name(prefix, "RelayRole"), [
            _statement(["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator",
                        "dynamodb:ListStreams"], [{"Fn::GetAtt": ["RecordsTable", "StreamArn"]}]),
            _statement(["sqs:SendMessage"], _key_arns(["LinkageQueue"])),
        ]),
        "LinkageRole": _role(_role_name(prefix, "LinkageRole"), key_store + [
            _statement(READ + ["dynamodb:UpdateItem"], _table_arns("RecordsTable")),
            _statement(READ_WRITE, _table_arns("LinkageTable")),
            _statement(["kms:Decrypt"], _key_arns([reader_key_logical_id("service:linkage")])),
            _statement(["kms:GenerateMac"], _key_arns(["PseudonymisationKey"])),
            _statement(["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"],
                       _key_arns(["LinkageQueue"])),
            _statement(["sqs:SendMessage"], _key_arns(["StatisticsQueue"])),
        ]),
        "StatisticsRole": _role(_role_name(prefix, "StatisticsRole"), key_store + [
            _statement(READ, _table_arns("RecordsTable", "LinkageTable")),
            _statement(READ_WRITE, _table_arns("StatisticsTable")),
            _statement(["kms:Decrypt"], _key_arns([reader_key_logical_id("service:statistics")])),
            _statement(["kms:GenerateMac"], _key_arns(["StatisticsKey"])),
            _statement(["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"],
                       _key_arns(["StatisticsQueue"])),
        ]),
    }


def function_environment(reader_keys: list[str]) -> dict[str, Any]:
    """The variables every function reads through chalicelib.settings, as CloudFormation values."""
    values: dict[str, Any] = {table.setting: {"Ref": table.logical_id} for table in TABLES}
    values.update({setting: {"Fn::GetAtt": [logical_id, "QueueName"]} for logical_id, setting in QUEUES})
    values.update({f"{setting}_arn": {"Fn::GetAtt": [logical_id, "Arn"]} for logical_id, setting in QUEUES})
    values.update({
        "records_stream_arn": {"Fn::GetAtt": ["RecordsTable", "StreamArn"]},
        "index_key": {"Fn::GetAtt": ["IndexKey", "Arn"]},
        "audit_key": {"Fn::GetAtt": ["AuditKey", "Arn"]},
        "pseudonymisation_key": {"Fn::GetAtt": ["PseudonymisationKey", "Arn"]},
        "statistics_key": {"Fn::GetAtt": ["StatisticsKey", "Arn"]},
        "reader_keys": {"Fn::Join": [",", [
            {"Fn::Join": ["=", [reader, {"Fn::GetAtt": [reader_key_logical_id(reader), "Arn"]}]]}
            for reader in reader_keys + [INSTITUTION_READERS]]]},
    })
    return {RESOURCE_ENVIRONMENT[setting]: value for setting, value in values.items()}


def _function_overrides(reader_keys: list[str], functions: AbstractSet[str]) -> dict[str, dict[str, Any]]:
    """Role and environment of each of the app's functions; a function without a role is an
    error rather than a deployment that runs with the placeholder role of .chalice/config.json."""
    roleless = sorted(functions - set(FUNCTION_ROLES))
    if roleless:
        raise ValueError(f"no role in FUNCTION_ROLES for {', '.join(roleless)}")
    environment = function_environment(reader_keys)
    overrides: dict[str, dict[str, Any]] = {
        function: {"Properties": {"Role": {"Fn::GetAtt": [FUNCTION_ROLES[function], "Arn"]},
                                  "Environment": {"Variables": environment}}}
        for function in sorted(functions)
    }
    if "RelayRecordChanges" in overrides:
        overrides["RelayRecordChanges"]["Properties"]["Events"] = {
            "RelayRecordChangesDynamodbEventSource": {"Properties": {
                "Stream": {"Fn::GetAtt": ["RecordsTable", "StreamArn"]}}}}
    for function, queue in QUEUE_CONSUMERS.items():
        if function in overrides:
            overrides[function]["Properties"]["ReservedConcurrentExecutions"] = 1
            overrides[function]["Properties"]["Events"] = {
                f"{function}SqsEventSource": {"Properties": {"Queue": {"Fn::GetAtt": [queue, "Arn"]}}}}
    return overrides


def build_template(reader_keys: list[str], prefix: str = "ivdb", *, functions: AbstractSet[str]) -> dict[str, Any]:
    """The merge template. ``reader_keys`` come from the access policy
    (``AccessPolicy.all_reader_keys()``); every ``institution:<id>`` branch key lives under one more key.
    ``functions`` are the logical ids of the app's functions (``chalice_function_ids``), each of
    which gets its role and environment; an emulator, which runs no functions, passes none."""
    resources: dict[str, Any] = {table.logical_id: table.resource(prefix) for table in TABLES}
    for logical_id, setting in QUEUES:
        resources.update(_queue_pair(logical_id, f"{prefix}-{setting.removesuffix('_queue')}"))
    keys = {reader_key_logical_id(reader): _symmetric_key(
        f"ivdb branch keys of reader {reader}", _reader_key_roles(reader), prefix) for reader in reader_keys}
    keys[reader_key_logical_id(INSTITUTION_READERS)] = _symmetric_key(
        "ivdb branch keys of each submitting institution (its own records)", ["ApiRole"], prefix)
    keys["IndexKey"] = _hmac_key("ivdb keyed index of source references and idempotency keys", ["ApiRole"], prefix)
    keys["AuditKey"] = _hmac_key("ivdb audit chain MAC", ["ApiRole"], prefix)
    keys["PseudonymisationKey"] = _hmac_key("ivdb linkage encodings", ["LinkageRole"], prefix)
    keys["StatisticsKey"] = _hmac_key("ivdb statistics projection: keyed cell keys and their encryption",
                                      ["StatisticsRole", "ApiRole"], prefix)
    for logical_id, key in keys.items():
        resources.update(_key_with_alias(logical_id, key, prefix))
    resources.update(_roles(reader_keys, prefix))
    resources.update(_function_overrides(reader_keys, functions))
    return {"AWSTemplateFormatVersion": "2010-09-09", "Resources": resources,
            "Outputs": {"KeyStoreTableName": {"Value": {"Ref": "KeyStoreTable"}}}}
