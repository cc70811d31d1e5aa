"""Provisions an emulator from infra/template.py, the document a deployment uses.

Each CloudFormation resource type the template holds has one small creator here; the
intrinsic functions the template uses (Ref, Fn::GetAtt, Fn::Sub, Fn::Join) are resolved
against what was created. A resource type without a creator is an error, so the template
cannot grow a resource the local stack silently lacks.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import boto3

from ivdb.local.backends import Backend

Attributes = dict[str, str]

PSEUDO_PARAMETERS = {"AWS::Partition": "aws"}
SUB_VARIABLE = re.compile(r"\$\{([^}]+)\}")


def references(value: Any) -> set[str]:
    """The logical ids a template value refers to."""
    if isinstance(value, list):
        return set().union(*(references(item) for item in value)) if value else set()
    if not isinstance(value, dict):
        return set()
    if "Ref" in value:
        return set() if value["Ref"].startswith("AWS::") else {value["Ref"]}
    if "Fn::GetAtt" in value:
        return {value["Fn::GetAtt"][0]}
    if "Fn::Sub" in value:
        names = {match.split(".")[0] for match in SUB_VARIABLE.findall(value["Fn::Sub"])}
        return {name for name in names if not name.startswith("AWS::")}
    return set().union(*(references(item) for item in value.values())) if value else set()


class Provisioner:
    def __init__(self, backend: Backend, region: str) -> None:
        self._backend = backend
        self._region = region
        self.created: dict[str, Attributes] = {}
        self._account = boto3.client("sts", endpoint_url=backend.endpoint("sts"),
                                     region_name=region).get_caller_identity()["Account"]
        self._creators: dict[str, Callable[[str, dict[str, Any]], Attributes]] = {
            "AWS::DynamoDB::Table": self._table,
            "AWS::KMS::Key": self._kms_key,
            "AWS::SQS::Queue": self._queue,
            "AWS::IAM::Role": self._role,
        }

    def client(self, service: str) -> Any:
        return boto3.client(service, endpoint_url=self._backend.endpoint(service), region_name=self._region)

    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self.resolve(item) for item in value]
        if not isinstance(value, dict):
            return value
        if "Ref" in value:
            return self._pseudo(value["Ref"]) or self.created[value["Ref"]]["Ref"]
        if "Fn::GetAtt" in value:
            logical_id, attribute = value["Fn::GetAtt"]
            return self.created[logical_id][attribute]
        if "Fn::Sub" in value:
            return SUB_VARIABLE.sub(lambda match: self._sub_variable(match.group(1)), value["Fn::Sub"])
        if "Fn::Join" in value:
            separator, parts = value["Fn::Join"]
            return separator.join(self.resolve(part) for part in parts)
        return {key: self.resolve(item) for key, item in value.items()}

    def _pseudo(self, name: str) -> str | None:
        return {"AWS::AccountId": self._account, "AWS::Region": self._region, **PSEUDO_PARAMETERS}.get(name)

    def _sub_variable(self, name: str) -> str:
        pseudo = self._pseudo(name)
        if pseudo is not None:
            return pseudo
        logical_id, _, attribute = name.partition(".")
        return self.created[logical_id][attribute or "Ref"]

    def provision(self, template: dict[str, Any]) -> dict[str, Attributes]:
        """Creates every resource of the template, each after those it refers to."""
        pending = {logical_id: resource for logical_id, resource in template["Resources"].items()
                   if "Type" in resource}
        unknown = sorted({resource["Type"] for resource in pending.values()} - set(self._creators))
        if unknown:
            raise ValueError(f"the local stack cannot provision {', '.join(unknown)}")
        while pending:
            ready = [logical_id for logical_id, resource in pending.items()
                     if references(resource.get("Properties", {})) <= set(self.created)]
            if not ready:
                raise ValueError(f"circular references among {sorted(pending)}")
            for logical_id in sorted(ready):
                resource = pending.pop(logical_id)
                properties = self.resolve(resource.get("Properties", {}))
                self.created[logical_id] = self._creators[resource["Type"]](logical_id, properties)
        return self.created

    def _table(self, logical_id: str, properties: dict[str, Any]) -> Attributes:
        dynamodb = self.client("dynamodb")
        arguments: dict[str, Any] = {key: properties[key] for key in
                                     ("TableName", "AttributeDefinitions", "KeySchema", "BillingMode")}
        if "StreamSpecification" in properties:
            arguments["StreamSpecification"] = {"StreamEnabled": True, **properties["StreamSpecification"]}
        if "SSESpecification" in properties:
            arguments["SSESpecification"] = {"Enabled": properties["SSESpecification"]["SSEEnabled"]}
        description = dynamodb.create_table(**arguments)["TableDescription"]
        dynamodb.get_waiter("table_exists").wait(TableName=properties["TableName"],
                                                 WaiterConfig={"Delay": 0.2, "MaxAttempts": 50})
        attributes = {"Ref": description["TableName"], "Arn": description["TableArn"]}
        if "LatestStreamArn" in description:
            attributes["StreamArn"] = description["LatestStreamArn"]
        return attributes

    def _kms_key(self, logical_id: str, properties: dict[str, Any]) -> Attributes:
        kms = self.client("kms")
        metadata = kms.create_key(Description=properties["Description"], KeySpec=properties["KeySpec"],
                                  KeyUsage=properties["KeyUsage"],
                                  Policy=json.dumps(properties["KeyPolicy"]))["KeyMetadata"]
        if properties.get("EnableKeyRotation"):
            kms.enable_key_rotation(KeyId=metadata["KeyId"])
        return {"Ref": metadata["KeyId"], "Arn": metadata["Arn"]}

    def _queue(self, logical_id: str, properties: dict[str, Any]) -> Attributes:
        sqs = self.client("sqs")
        attributes = {key: (json.dumps(value) if isinstance(value, dict) else str(value).lower()
                            if isinstance(value, bool) else str(value))
                      for key, value in properties.items() if key != "QueueName"}
        url = sqs.create_queue(QueueName=properties["QueueName"], Attributes=attributes)["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        return {"Ref": url, "Arn": arn, "QueueName": properties["QueueName"]}

    def _role(self, logical_id: str, properties: dict[str, Any]) -> Attributes:
        iam = self.client("iam")
        role = iam.create_role(RoleName=properties["RoleName"],
                               AssumeRolePolicyDocument=json.dumps(properties["AssumeRolePolicyDocument"]))["Role"]
        for policy_arn in properties.get("ManagedPolicyArns", []):
            iam.attach_role_policy(RoleName=role["RoleName"], PolicyArn=policy_arn)
        for policy in properties.get("Policies", []):
            iam.put_role_policy(RoleName=role["RoleName"], PolicyName=policy["PolicyName"],
                                PolicyDocument=json.dumps(policy["PolicyDocument"]))
        return {"Ref": role["RoleName"], "Arn": role["Arn"]}
