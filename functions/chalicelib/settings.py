"""Configuration, read from the environment once, with typed defaults.

The names of tables, queues and keys are set by the deployment (infra/template.py writes
them into every function's environment) and by the local stack, which provisions from the
same template. Nothing else in chalicelib reads os.environ.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from pathlib import Path

RESOURCE_ENVIRONMENT = {
    "records_table": "IVDB_RECORDS_TABLE",
    "uniques_table": "IVDB_UNIQUES_TABLE",
    "audit_table": "IVDB_AUDIT_TABLE",
    "linkage_table": "IVDB_LINKAGE_TABLE",
    "statistics_table": "IVDB_STATISTICS_TABLE",
    "key_store_table": "IVDB_KEY_STORE_TABLE",
    "linkage_queue": "IVDB_LINKAGE_QUEUE",
    "statistics_queue": "IVDB_STATISTICS_QUEUE",
    "linkage_queue_arn": "IVDB_LINKAGE_QUEUE_ARN",
    "statistics_queue_arn": "IVDB_STATISTICS_QUEUE_ARN",
    "records_stream_arn": "IVDB_RECORDS_STREAM_ARN",
    "index_key": "IVDB_INDEX_KEY",
    "audit_key": "IVDB_AUDIT_KEY",
    "pseudonymisation_key": "IVDB_PSEUDONYMISATION_KEY",
    "statistics_key": "IVDB_STATISTICS_KEY",
    "reader_keys": "IVDB_READER_KEYS",
}
"""Setting name -> environment variable. infra/template.py sets every one of these."""


PACKAGING_PLACEHOLDER = "replaced-by-infra-template"
"""What an event source names while `chalice package` runs without a deployment's
environment; infra/template.py replaces every such event source with the real resource."""


def event_source_arn(arn: str) -> str:
    return arn or PACKAGING_PLACEHOLDER


def _app_root() -> Path:
    return Path(__file__).resolve().parent.parent


def _schemas_dir() -> Path:
    """Lambda packages vendor/ at the root of the bundle; the repository keeps it under vendor/."""
    for candidate in (_app_root() / "schemas", _app_root() / "vendor" / "schemas"):
        if candidate.is_dir():
            return candidate
    raise RuntimeError("the schemas directory is missing from the deployment package")


@dataclass(frozen=True)
class Settings:
    stage: str
    region: str
    records_table: str
    uniques_table: str
    audit_table: str
    linkage_table: str
    statistics_table: str
    key_store_table: str
    linkage_queue: str
    statistics_queue: str
    linkage_queue_arn: str
    statistics_queue_arn: str
    records_stream_arn: str
    index_key: str
    audit_key: str
    pseudonymisation_key: str
    statistics_key: str
    reader_keys: dict[str, str]
    """Reader key name (e.g. ``type:police``) -> KMS key id protecting its branch keys."""
    jwt_audience: str
    jwt_issuer: str
    jwt_public_key: str | None
    jwt_jwks_url: str | None
    disclosure_threshold: int
    max_body_bytes: int
    branch_key_cache_seconds: int
    schemas_dir: Path

    @property
    def access_policy_path(self) -> Path:
        return self.schemas_dir / "access-policy.json"

    @property
    def record_schema_path(self) -> Path:
        return self.schemas_dir / "identification-record.schema.json"


def parse_reader_keys(text: str) -> dict[str, str]:
    """``type:police=key-id,service:linkage=key-id`` -> mapping; a compact form fits a Lambda variable."""
    pairs = (entry.split("=", 1) for entry in text.split(",") if entry)
    return {name: key_id for name, key_id in pairs}


@functools.lru_cache(maxsize=1)
def get_settings() -> Settings:
    env = os.environ
    named = {name: env.get(variable, "") for name, variable in RESOURCE_ENVIRONMENT.items()}
    named["reader_keys"] = parse_reader_keys(named["reader_keys"])
    return Settings(
        stage=env.get("IVDB_STAGE", "local"),
        region=env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "eu-central-1",
        jwt_audience=env.get("IVDB_JWT_AUDIENCE", "ivdb"),
        jwt_issuer=env.get("IVDB_JWT_ISSUER", "ivdb-local"),
        jwt_public_key=env.get("IVDB_JWT_PUBLIC_KEY") or None,
        jwt_jwks_url=env.get("IVDB_JWT_JWKS_URL") or None,
        disclosure_threshold=int(env.get("IVDB_DISCLOSURE_THRESHOLD", "5")),
        max_body_bytes=int(env.get("IVDB_MAX_BODY_BYTES", str(64 * 1024))),
        branch_key_cache_seconds=int(env.get("IVDB_BRANCH_KEY_CACHE_SECONDS", "600")),
        schemas_dir=_schemas_dir(),
        **named,
    )
