"""Provisions an AWS endpoint from infra/template.py, the document a deployment uses.

Each CloudFormation resource type the template holds has one small finder and one small
creator here; the intrinsic functions the template uses (Ref, Fn::GetAtt, Fn::Sub,
Fn::Join) are resolved against what was found or created. A resource type without them
is an error, so the template cannot grow a resource the local stack silently lacks.

Provisioning can run again: a table, queue or role of the template's name, and a KMS key
behind the template's alias, are reused as they are, and so are existing branch keys.
That lets `ivdb local --backend localstack` use a LocalStack its init hook provisioned,
and lets `ivdb provision --deployed` look up what CloudFormation created (``create=False``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import boto3
from botocore.exceptions import ClientError

from ivdb.local.backends import Backend

Attributes = dict[str, str]
Handler = Callable[[str, dict[str, Any]], Attributes | None]

PSEUDO_PARAMETERS = {"AWS::Partition": "aws"}
SUB_VARIABLE = re.compile(r"\$\{([^}]+)\}")

NOT_FOUND = {"ResourceNotFoundException", "NotFoundException", "NoSuchEntity",
             "AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist"}
ALREADY_EXISTS = {"ResourceInUseException", "AlreadyExistsException", "EntityAlreadyExists",
                  "QueueAlreadyExists", "QueueNameExists"}
ACTIVE_BRANCH_KEY = "branch:ACTIVE"
"""The key store's item type of a branch key's active version (the MPL's table layout)."""
ABANDONED_KEY_DAYS = 7


class MissingResource(Exception):
    """A resource the template defines does not exist where it should have been created."""


def error_code(error: ClientError) -> str:
    return error.response.get("Error", {}).get("Code", "")


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


def _found(lookup: Callable[[], Attributes]) -> Attributes | None:
    """What ``lookup`` describes, or None when the service says it does not exist."""
    try:
        return lookup()
    except ClientError as e:
        if error_code(e) in NOT_FOUND:
            return None
        raise


class Provisioner:
    """Finds or creates the template's resources on one AWS endpoint.

    ``backend`` None means AWS itself, through the default credentials; with ``create`` False
    nothing is created and a missing resource raises MissingResource.
    """

    def __init__(self, backend: Backend | None, region: str, *, create: bool = True) -> None:
        self._backend = backend
        self._region = region
        self._create = create
        self.created: dict[str, Attributes] = {}
        self._key_aliases: dict[str, str] = {}
        self._account = self.client("sts").get_caller_identity()["Account"]
        self._handlers: dict[str, tuple[Handler, Handler]] = {
            "AWS::DynamoDB::Table": (self._find_table, self._create_table),
            "AWS::KMS::Key": (self._find_kms_key, self._create_kms_key),
            "AWS::KMS::Alias": (self._find_alias, self._create_alias),
            "AWS::SQS::Queue": (self._find_queue, self._create_queue),
            "AWS::IAM::Role": (self._find_role, self._create_role),
        }

    def client(self, service: str) -> Any:
        endpoint = self._backend.endpoint(service) if self._backend is not None else None
        return boto3.client(service, endpoint_url=endpoint, region_name=self._region)

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
        """Finds or creates every resource of the template, each after those it refers to."""
        pending = {logical_id: resource for logical_id, resource in template["Resources"].items()
                   if "Type" in resource}
        unknown = sorted({resource["Type"] for resource in pending.values()} - set(self._handlers))
        if unknown:
            raise ValueError(f"the local stack cannot provision {', '.join(unknown)}")
        self._key_aliases = {resource["Properties"]["TargetKeyId"]["Ref"]: resource["Properties"]["AliasName"]
                             for resource in pending.values() if resource["Type"] == "AWS::KMS::Alias"}
        while pending:
            ready = [logical_id for logical_id, resource in pending.items()
                     if references(resource.get("Properties", {})) <= set(self.created)]
            if not ready:
                raise ValueError(f"circular references among {sorted(pending)}")
            for logical_id in sorted(ready):
                resource = pending.pop(logical_id)
                properties = self.resolve(resource.get("Properties", {}))
                self.created[logical_id] = self._find_or_create(logical_id, resource["Type"], properties)
        return self.created

    def _find_or_create(self, logical_id: str, resource_type: str, properties: dict[str, Any]) -> Attributes:
        find, create = self._handlers[resource_type]
        attributes = find(logical_id, properties)
        if attributes is not None:
            return attributes
        if not self._create:
            raise MissingResource(f"{logical_id} ({resource_type}) does not exist: deploy the stack first")
        try:
            attributes = create(logical_id, properties)
        except ClientError as e:
            if error_code(e) not in ALREADY_EXISTS:
                raise
            attributes = find(logical_id, properties)
        if attributes is None:
            raise MissingResource(f"{logical_id} ({resource_type}) was neither found nor created")
        return attributes

    def _find_table(self, logical_id: str, properties: dict[str, Any]) -> Attributes | None:
        dynamodb = self.client("dynamodb")
        table = _found(lambda: _table_attributes(dynamodb.describe_table(TableName=properties["TableName"])["Table"]))
        if table is not None:
            _wait_until_active(dynamodb, properties["TableName"])
        return table

    def _create_table(self, logical_id: str, properties: dict[str, Any]) -> Attributes:
        dynamodb = self.client("dynamodb")
        arguments: dict[str, Any] = {key: properties[key] for key in
                                     ("TableName", "AttributeDefinitions", "KeySchema", "BillingMode")}
        if "StreamSpecification" in properties:
            arguments["StreamSpecification"] = {"StreamEnabled": True, **properties["StreamSpecification"]}
        if "SSESpecification" in properties:
            arguments["SSESpecification"] = {"Enabled": properties["SSESpecification"]["SSEEnabled"]}
        description = dynamodb.create_table(**arguments)["TableDescription"]
        _wait_until_active(dynamodb, properties["TableName"])
        return _table_attributes(description)

    def _find_kms_key(self, logical_id: str, properties: dict[str, Any]) -> Attributes | None:
        """A key is found by its alias; a key the template gives no alias is always new."""
        alias = self._key_aliases.get(logical_id)
        if alias is None:
            return None
        kms = self.client("kms")
        return _found(lambda: _key_attributes(kms.describe_key(KeyId=alias)["KeyMetadata"]))

    def _create_kms_key(self, logical_id: str, properties: dict[str, Any]) -> Attributes:
        """The alias is set at once, so that an interrupted run leaves no key it cannot find
        again; when another provisioner set it first, its key wins and this one is deleted."""
        kms = self.client("kms")
        metadata = kms.create_key(Description=properties["Description"], KeySpec=properties["KeySpec"],
                                  KeyUsage=properties["KeyUsage"],
                                  Policy=json.dumps(properties["KeyPolicy"]))["KeyMetadata"]
        if properties.get("EnableKeyRotation"):
            kms.enable_key_rotation(KeyId=metadata["KeyId"])
        alias = self._key_aliases.get(logical_id)
        if alias is not None:
            try:
                kms.create_alias(AliasName=alias, TargetKeyId=metadata["KeyId"])
            except ClientError as e:
                if error_code(e) not in ALREADY_EXISTS:
                    raise
                kms.schedule_key_deletion(KeyId=metadata["KeyId"], PendingWindowInDays=ABANDONED_KEY_DAYS)
                return _key_attributes(kms.describe_key(KeyId=alias)["KeyMetadata"])
        return _key_attributes(metadata)

    def _find_alias(self, logical_id: str, properties: dict[str, Any]) -> Attributes | None:
        kms = self.client("kms")

        def describe() -> Attributes:
            kms.describe_key(KeyId=properties["AliasName"])
            return {"Ref": properties["AliasName"]}
        return _found(describe)

    def _create_alias(self, logical_id: str, properties: dict[str, Any]) -> Attributes:
        self.client("kms").create_alias(AliasName=properties["AliasName"], TargetKeyId=properties["TargetKeyId"])
        return {"Ref": properties["AliasName"]}

    def _find_queue(self, logical_id: str, properties: dict[str, Any]) -> Attributes | None:
        sqs = self.client("sqs")
        return _found(lambda: _queue_attributes(
            sqs, sqs.get_queue_url(QueueName=properties["QueueName"])["QueueUrl"], properties["QueueName"]))

    def _create_queue(self, logical_id: str, properties: dict[str, Any]) -> Attributes:
        sqs = self.client("sqs")
        attributes = {key: (json.dumps(value) if isinstance(value, dict) else str(value).lower()
                            if isinstance(value, bool) else str(value))
                      for key, value in properties.items() if key != "QueueName"}
        url = sqs.create_queue(QueueName=properties["QueueName"], Attributes=attributes)["QueueUrl"]
        return _queue_attributes(sqs, url, properties["QueueName"])

    def _find_role(self, logical_id: str, properties: dict[str, Any]) -> Attributes | None:
        iam = self.client("iam")
        return _found(lambda: _role_attributes(iam.get_role(RoleName=properties["RoleName"])["Role"]))

    def _create_role(self, logical_id: str, properties: dict[str, Any]) -> Attributes:
        iam = self.client("iam")
        role = iam.create_role(RoleName=properties["RoleName"],
                               AssumeRolePolicyDocument=json.dumps(properties["AssumeRolePolicyDocument"]))["Role"]
        for policy_arn in properties.get("ManagedPolicyArns", []):
            iam.attach_role_policy(RoleName=role["RoleName"], PolicyArn=policy_arn)
        for policy in properties.get("Policies", []):
            iam.put_role_policy(RoleName=role["RoleName"], PolicyName=policy["PolicyName"],
                                PolicyDocument=json.dumps(policy["PolicyDocument"]))
        return _role_attributes(role)


def _wait_until_active(dynamodb: Any, table_name: str) -> None:
    dynamodb.get_waiter("table_exists").wait(TableName=table_name, WaiterConfig={"Delay": 0.2, "MaxAttempts": 50})


def _table_attributes(description: dict[str, Any]) -> Attributes:
    attributes = {"Ref": description["TableName"], "Arn": description["TableArn"]}
    if "LatestStreamArn" in description:
        attributes["StreamArn"] = description["LatestStreamArn"]
    return attributes


def _key_attributes(metadata: dict[str, Any]) -> Attributes:
    return {"Ref": metadata["KeyId"], "Arn": metadata["Arn"]}


def _queue_attributes(sqs: Any, url: str, name: str) -> Attributes:
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return {"Ref": url, "Arn": arn, "QueueName": name}


def _role_attributes(role: dict[str, Any]) -> Attributes:
    return {"Ref": role["RoleName"], "Arn": role["Arn"]}


def branch_key_readers(environment: Mapping[str, str], institutions: Iterable[Mapping[str, str]]) -> list[str]:
    """Every reader that needs a branch key: the access policy's type and service readers
    (named in the functions' environment) and each institution of the registry."""
    from chalicelib.domain.policy import institution_reader_key
    from chalicelib.settings import RESOURCE_ENVIRONMENT, parse_reader_keys

    kms_key_arns = parse_reader_keys(environment[RESOURCE_ENVIRONMENT["reader_keys"]])
    readers = sorted(reader for reader in kms_key_arns if not reader.endswith("*"))
    return readers + [institution_reader_key(institution["id"]) for institution in institutions]


def create_branch_keys(environment: Mapping[str, str], readers: Iterable[str], *,
                       dynamodb: Any, kms: Any) -> list[str]:
    """Creates the branch key of each reader that has none yet and returns those readers.
    Creating a key needs kms:GenerateDataKeyWithoutPlaintext and kms:ReEncrypt* on its KMS
    key, never kms:Decrypt: the key policies grant those to the account's administrators."""
    from chalicelib.adapters.section_cipher import KeyStores
    from chalicelib.settings import RESOURCE_ENVIRONMENT, parse_reader_keys

    table_name = environment[RESOURCE_ENVIRONMENT["key_store_table"]]
    key_stores = KeyStores(table_name=table_name,
                           kms_key_arns=parse_reader_keys(environment[RESOURCE_ENVIRONMENT["reader_keys"]]),
                           dynamodb=dynamodb, kms=kms)
    created = []
    for reader in readers:
        if _has_branch_key(dynamodb, table_name, reader):
            continue
        try:
            key_stores.create_branch_key(reader)
        except Exception:
            if _has_branch_key(dynamodb, table_name, reader):
                continue  # another provisioner created it since the check
            raise
        created.append(reader)
    return created


def _has_branch_key(dynamodb: Any, table_name: str, reader: str) -> bool:
    item = dynamodb.get_item(TableName=table_name, ConsistentRead=True,
                             Key={"branch-key-id": {"S": reader}, "type": {"S": ACTIVE_BRANCH_KEY}})
    return "Item" in item
