"""The merge template against the access policy, the settings and least privilege."""

from __future__ import annotations

import re
from typing import Any

import pytest
from chalice.cli.factory import CLIFactory
from chalice.utils import to_cfn_resource_name

from chalicelib.domain.policy import load_access_policy
from chalicelib.settings import RESOURCE_ENVIRONMENT
from infra.template import (
    FUNCTION_ROLES,
    INSTITUTION_READERS,
    build_template,
    chalice_function_ids,
    reader_key_logical_id,
)
from ivdb import paths

PREFIX = "ivdb"


@pytest.fixture(scope="module")
def policy_readers() -> frozenset[str]:
    return load_access_policy(paths.ACCESS_POLICY).all_reader_keys()


@pytest.fixture(scope="module")
def template(policy_readers: frozenset[str]) -> dict[str, Any]:
    return build_template(sorted(policy_readers), PREFIX, functions=frozenset(FUNCTION_ROLES))


def resources_of_type(template: dict[str, Any], resource_type: str) -> dict[str, dict[str, Any]]:
    return {logical_id: resource for logical_id, resource in template["Resources"].items()
            if resource.get("Type") == resource_type}


def statements(template: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """Every policy statement of the template, with the logical id of its key or role."""
    found = [(logical_id, statement)
             for logical_id, key in resources_of_type(template, "AWS::KMS::Key").items()
             for statement in key["Properties"]["KeyPolicy"]["Statement"]]
    found += [(logical_id, statement)
              for logical_id, role in resources_of_type(template, "AWS::IAM::Role").items()
              for policy in role["Properties"]["Policies"]
              for statement in policy["PolicyDocument"]["Statement"]]
    return found


def actions(statement: dict[str, Any]) -> list[str]:
    action = statement["Action"]
    return [action] if isinstance(action, str) else action


def reader_names(environment: dict[str, Any]) -> set[str]:
    """The readers named in the IVDB_READER_KEYS join (``reader=<key arn>`` pairs)."""
    pairs = environment[RESOURCE_ENVIRONMENT["reader_keys"]]["Fn::Join"][1]
    return {pair["Fn::Join"][1][0] for pair in pairs}


def references_to(value: Any, logical_id: str) -> bool:
    if isinstance(value, dict):
        if value.get("Fn::GetAtt", [None])[0] == logical_id or value.get("Ref") == logical_id:
            return True
        return any(references_to(item, logical_id) for item in value.values())
    if isinstance(value, list):
        return any(references_to(item, logical_id) for item in value)
    return False


def test_every_reader_of_the_access_policy_has_a_kms_key_and_no_other_reader_has(
        template: dict[str, Any], policy_readers: frozenset[str]) -> None:
    # GIVEN the readers the access policy may encrypt a section to
    expected = {reader_key_logical_id(reader) for reader in policy_readers | {INSTITUTION_READERS}}
    # WHEN the template's reader keys are listed
    reader_keys = {logical_id for logical_id in resources_of_type(template, "AWS::KMS::Key")
                   if logical_id.startswith("ReaderKey")}
    # THEN they are exactly the policy's, and the functions are told each one
    assert reader_keys == expected
    for function in FUNCTION_ROLES:
        environment = template["Resources"][function]["Properties"]["Environment"]["Variables"]
        assert reader_names(environment) == policy_readers | {INSTITUTION_READERS}


def test_every_function_is_given_every_resource_setting(template: dict[str, Any]) -> None:
    for function in FUNCTION_ROLES:
        variables = template["Resources"][function]["Properties"]["Environment"]["Variables"]
        assert set(RESOURCE_ENVIRONMENT.values()) <= set(variables), function


def test_every_function_runs_as_its_own_role(template: dict[str, Any]) -> None:
    for function, role in FUNCTION_ROLES.items():
        assert template["Resources"][function]["Properties"]["Role"] == {"Fn::GetAtt": [role, "Arn"]}
        assert template["Resources"][role]["Type"] == "AWS::IAM::Role"


@pytest.mark.parametrize("service", ["kms", "dynamodb", "sqs"])
def test_no_key_policy_or_role_grants_every_action_of_a_service(template: dict[str, Any], service: str) -> None:
    for logical_id, statement in statements(template):
        for action in actions(statement):
            assert action not in ("*", f"{service}:*"), f"{logical_id} grants {action}"


def test_the_pseudonymisation_key_is_usable_by_the_linkage_role_only(template: dict[str, Any]) -> None:
    # GIVEN the HMAC key that makes the linkage encodings
    key = template["Resources"]["PseudonymisationKey"]["Properties"]
    assert key["KeyUsage"] == "GENERATE_VERIFY_MAC"
    # THEN its key policy lets only the linkage role use it
    uses = [statement for statement in key["KeyPolicy"]["Statement"]
            if set(actions(statement)) & {"kms:GenerateMac", "kms:VerifyMac"}]
    assert len(uses) == 1
    allowed = uses[0]["Condition"]["ArnLike"]["aws:PrincipalArn"]
    assert [arn["Fn::Sub"].rsplit("/", 1)[-1] for arn in allowed] == [f"{PREFIX}-LinkageRole"]
    # AND no other role's policy names the key
    roles = resources_of_type(template, "AWS::IAM::Role")
    naming = {logical_id for logical_id, role in roles.items()
              if references_to(role["Properties"]["Policies"], "PseudonymisationKey")}
    assert naming == {"LinkageRole"}


def test_every_kms_key_has_one_alias_under_the_prefix(template: dict[str, Any]) -> None:
    keys = resources_of_type(template, "AWS::KMS::Key")
    aliases = resources_of_type(template, "AWS::KMS::Alias").values()
    targets = [alias["Properties"]["TargetKeyId"]["Ref"] for alias in aliases]
    assert sorted(targets) == sorted(keys)
    names = [alias["Properties"]["AliasName"] for alias in aliases]
    assert len(set(names)) == len(names)
    assert all(re.fullmatch(rf"alias/{PREFIX}/[a-z0-9]+(-[a-z0-9]+)*", name) for name in names), names
    assert template["Resources"]["ReaderKeyTypeSocialWelfareAlias"]["Properties"]["AliasName"] == \
        f"alias/{PREFIX}/reader-key-type-social-welfare"


def test_only_the_given_functions_are_overridden(policy_readers: frozenset[str]) -> None:
    # GIVEN an app with the API only
    template = build_template(sorted(policy_readers), PREFIX, functions={"APIHandler"})
    # THEN no resource without a type is merged into the package
    untyped = [logical_id for logical_id, resource in template["Resources"].items() if "Type" not in resource]
    assert untyped == ["APIHandler"]


def test_a_function_without_a_role_is_refused(policy_readers: frozenset[str]) -> None:
    with pytest.raises(ValueError, match="ExportRecords"):
        build_template(sorted(policy_readers), PREFIX, functions={"APIHandler", "ExportRecords"})


def test_function_roles_cover_every_function_of_the_app() -> None:
    # GIVEN the app's functions, named as `chalice package` names them
    app = CLIFactory(project_dir=str(paths.FUNCTIONS)).load_chalice_app()
    handlers = [source.name for source in app.event_sources] + [
        function.name for function in app.pure_lambda_functions]
    functions = {to_cfn_resource_name(name) for name in handlers}
    if app.routes:
        functions.add("APIHandler")
    # THEN each has a role, and the merge template overrides exactly these
    assert functions <= set(FUNCTION_ROLES)
    assert chalice_function_ids(paths.FUNCTIONS) == functions
