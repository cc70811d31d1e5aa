"""The record and policy code imports no AWS, persistence or web framework: it runs anywhere, tests need no I/O."""

import ast
from pathlib import Path

import pytest

DOMAIN = Path(__file__).resolve().parents[3] / "functions" / "chalicelib" / "domain"
FORBIDDEN = {"boto3", "botocore", "pynamodb", "chalice", "aws_encryption_sdk"}


@pytest.mark.parametrize("module", ["errors.py", "policy.py", "record.py"])
def test_module_imports_no_infrastructure(module):
    tree = ast.parse((DOMAIN / module).read_text(encoding="utf-8"))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module.split(".")[0])

    assert imported.isdisjoint(FORBIDDEN)
