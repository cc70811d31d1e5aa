"""`ivdb provision`: ivdb's AWS resources and branch keys, from infra/template.py.

Against an emulator (LocalStack by default, or any ``--aws-endpoint``) it creates what the
template defines and is missing, then the branch keys of the access policy's readers and
of every institution in the registry. Against a deployed stack (``--deployed``, plain AWS
credentials) CloudFormation owns the resources: they are only looked up, by the names and
key aliases the template gives them, and only the missing branch keys are created. Either
way it prints the functions' environment as JSON. ``--write-template`` writes the merge
template for `chalice package` instead.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from ivdb import paths
from ivdb.local.backends import Backend, LocalStackBackend, StackError
from ivdb.local.provision import MissingResource, Provisioner, branch_key_readers, create_branch_keys
from ivdb.local.stack import AwsResources, load_institutions, reader_keys


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "provision", help="create ivdb's tables, keys, queues, roles and branch keys on an AWS endpoint")
    target = parser.add_mutually_exclusive_group()
    target.add_argument("--aws-endpoint", metavar="URL",
                        help="an emulator's endpoint (default: LocalStack, as localstack-client configures it)")
    target.add_argument("--deployed", action="store_true",
                        help="the stack `aws cloudformation deploy` created, with the default credentials: "
                             "look its resources up and create only the missing branch keys")
    target.add_argument("--write-template", metavar="FILE", type=Path,
                        help="write the merge template for `chalice package --merge-template` and exit")
    parser.add_argument("--registry", default=str(paths.DEMO_INSTITUTIONS),
                        help="the institution registry whose branch keys to create (default: the demo institutions)")
    parser.add_argument("--prefix", default="ivdb",
                        help="the prefix of every resource name; the same as the merge template's (default ivdb)")
    parser.add_argument("--region", help="with --deployed: the stack's region (default: the AWS configuration's)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        if args.write_template:
            write_merge_template(args.write_template, args.prefix)
            return 0
        institutions = load_institutions(args.registry)
        if args.deployed:
            environment, created = provision_deployed(institutions, args.prefix, args.region)
        else:
            resources = AwsResources.provision(emulator(args.aws_endpoint), institutions, args.prefix)
            environment, created = resources.environment, resources.branch_keys_created
    except (StackError, MissingResource) as e:
        print(f"ivdb provision: {e}", file=sys.stderr)
        return 1
    except (BotoCoreError, ClientError) as e:
        print(f"ivdb provision: AWS refused: {e}", file=sys.stderr)
        return 1
    print(f"branch keys created: {', '.join(created) or 'none (all existed)'}", file=sys.stderr)
    print(json.dumps(environment, indent=2, sort_keys=True))
    return 0


def emulator(endpoint: str | None) -> Backend:
    return Backend("endpoint", endpoint) if endpoint else LocalStackBackend()


def write_merge_template(path: Path, prefix: str) -> None:
    """Overrides only the functions the app has, so that the package holds no resource without a type."""
    from infra.template import build_template, chalice_function_ids

    template = build_template(reader_keys(), prefix, functions=chalice_function_ids(paths.FUNCTIONS))
    path.write_text(json.dumps(template, indent=2) + "\n", encoding="utf-8")


def provision_deployed(institutions: list[dict[str, str]], prefix: str,
                       region: str | None) -> tuple[dict[str, Any], list[str]]:
    from infra.template import build_template, function_environment

    region = region or boto3.session.Session().region_name
    if not region:
        raise StackError("no AWS region: pass --region or configure one (AWS_REGION, ~/.aws/config)")
    readers = reader_keys()
    provisioner = Provisioner(None, region, create=False)
    provisioner.provision(build_template(readers, prefix, functions=frozenset()))
    environment = provisioner.resolve(function_environment(readers))
    created = create_branch_keys(environment, branch_key_readers(environment, institutions),
                                 dynamodb=provisioner.client("dynamodb"), kms=provisioner.client("kms"))
    return environment, created
