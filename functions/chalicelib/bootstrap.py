"""The only place that wires adapters to the domain. Everything is built lazily, once per
Lambda container: a cold start pays only for what its first request needs."""

from __future__ import annotations

import functools
import json
from typing import Any

from chalicelib.adapters.tokens import TokenVerifier
from chalicelib.settings import Settings, get_settings

__all__ = ["get_settings", "get_token_verifier", "institution_types", "get_records", "get_audit_log",
           "get_access_policy", "get_statistics"]

CLIENT_CONFIG = {"retries": {"mode": "standard", "max_attempts": 4}, "connect_timeout": 3, "read_timeout": 10}
"""Throttling and transient faults are retried with exponential backoff before a 503."""


@functools.lru_cache(maxsize=1)
def _registry_schema() -> dict[str, Any]:
    return json.loads((get_settings().schemas_dir / "institution-registry.schema.json").read_text())


@functools.lru_cache(maxsize=1)
def institution_types() -> tuple[str, ...]:
    """The institution types, from the registry schema (the one list of them)."""
    return tuple(_registry_schema()["$defs"]["institution_type"]["enum"])


@functools.lru_cache(maxsize=1)
def get_token_verifier() -> TokenVerifier:
    settings: Settings = get_settings()
    return TokenVerifier(audience=settings.jwt_audience, issuer=settings.jwt_issuer,
                         institution_types=institution_types(),
                         public_key=settings.jwt_public_key, jwks_url=settings.jwt_jwks_url)


@functools.lru_cache(maxsize=None)
def aws_client(service: str) -> Any:
    import boto3
    from botocore.config import Config

    return boto3.client(service, region_name=get_settings().region, config=Config(**CLIENT_CONFIG))


@functools.lru_cache(maxsize=1)
def get_access_policy() -> Any:
    from chalicelib.domain.policy import load_access_policy

    return load_access_policy(get_settings().access_policy_path)


@functools.lru_cache(maxsize=1)
def get_section_cipher() -> Any:
    from chalicelib.adapters.section_cipher import EncryptionSdkSectionCipher, KeyStores

    settings = get_settings()
    key_stores = KeyStores(table_name=settings.key_store_table, kms_key_arns=settings.reader_keys,
                           dynamodb=aws_client("dynamodb"), kms=aws_client("kms"))
    return EncryptionSdkSectionCipher(key_stores, settings.branch_key_cache_seconds)


@functools.lru_cache(maxsize=None)
def keyed_hash(setting: str, label: str) -> Any:
    from chalicelib.adapters.kms_secrets import KeyedHash, KmsDerivedSecret

    return KeyedHash(KmsDerivedSecret(aws_client("kms"), getattr(get_settings(), setting), label))


@functools.lru_cache(maxsize=1)
def _bound_tables() -> Any:
    """The PynamoDB connection of the records, uniques and audit tables, over the shared DynamoDB client."""
    from chalicelib.adapters.dynamodb import bind_tables

    settings = get_settings()
    return bind_tables(aws_client("dynamodb"), settings.records_table, settings.uniques_table, settings.audit_table)


@functools.lru_cache(maxsize=1)
def get_records() -> Any:
    from chalicelib.adapters.dynamodb import DynamoDBRecordStore
    from chalicelib.domain.record import load_record_schema
    from chalicelib.services.records import Records

    settings = get_settings()
    return Records(policy=get_access_policy(), schema=load_record_schema(settings.record_schema_path),
                   cipher=get_section_cipher(),
                   store=DynamoDBRecordStore(_bound_tables(), audit_mac()),
                   keyed_hash=keyed_hash("index_key", "ivdb index v1"))


@functools.lru_cache(maxsize=1)
def get_audit_log() -> Any:
    from chalicelib.adapters.dynamodb import DynamoDBAuditLog

    _bound_tables()
    return DynamoDBAuditLog()


@functools.lru_cache(maxsize=1)
def get_linkage_queue() -> Any:
    from chalicelib.adapters.queue import SqsQueue

    return SqsQueue(aws_client("sqs"), get_settings().linkage_queue)


def audit_mac() -> Any:
    """The MAC of the audit chain, for appending and for verification."""
    return keyed_hash("audit_key", "ivdb audit chain v1").mac


@functools.lru_cache(maxsize=1)
def get_statistics() -> Any:
    """The statistics service: the projection in the statistics table, persons from the linkage store."""
    from chalicelib.adapters.journal import PendingWrites
    from chalicelib.adapters.kms_secrets import KmsDerivedSecret
    from chalicelib.adapters.linkage_store import DynamoDBLinkageStore
    from chalicelib.adapters.statistics_store import DynamoDBProjection, ProjectionKeys
    from chalicelib.domain.statistics import DimensionCatalog, record_key_for
    from chalicelib.services.statistics import Statistics

    settings = get_settings()
    dynamodb, kms = aws_client("dynamodb"), aws_client("kms")
    keys = ProjectionKeys(naming=KmsDerivedSecret(kms, settings.statistics_key, "ivdb statistics names v1"),
                          sealing=KmsDerivedSecret(kms, settings.statistics_key, "ivdb statistics sealing v1"))
    record_key_secret = KmsDerivedSecret(kms, settings.statistics_key, "ivdb statistics record keys v1")
    records = get_records()
    catalog = DimensionCatalog.from_schemas(
        records.schema.schema, _registry_schema())
    return Statistics(policy=get_access_policy(), catalog=catalog,
                      store=DynamoDBProjection(dynamodb, settings.statistics_table, keys),
                      records=records,
                      directory=DynamoDBLinkageStore(PendingWrites(dynamodb, settings.linkage_table)),
                      record_key=lambda person_id: record_key_for(person_id, record_key_secret()),
                      audit=records.store.audit, threshold=settings.disclosure_threshold, clock=records.clock)


def _linkage(encoder: Any) -> Any:
    from chalicelib.adapters.journal import PendingWrites, SerialWriter
    from chalicelib.adapters.linkage_store import DynamoDBLinkageStore
    from chalicelib.adapters.person_ids import set_person_id
    from chalicelib.services.linkage import Linkage, apply_effects

    settings = get_settings()
    dynamodb = aws_client("dynamodb")
    records = get_records()
    statistics_queue = get_statistics_queue()
    writer = SerialWriter(dynamodb, settings.linkage_table, "linkage", effects=functools.partial(
        apply_effects, set_person_id=set_person_id,
        recount=lambda person_ids: statistics_queue.send([{"person_ids": person_ids}])))
    return Linkage(policy=get_access_policy(), records=records, exclusive=writer.exclusive,
                   store_over=DynamoDBLinkageStore,
                   read_only_store=lambda: DynamoDBLinkageStore(PendingWrites(dynamodb, settings.linkage_table)),
                   encoder=encoder, audit=records.store.audit, clock=records.clock)


@functools.lru_cache(maxsize=1)
def get_linkage() -> Any:
    """Linkage as the API uses it: persons and reviews, without the key of the encodings."""
    return _linkage(encoder=None)


@functools.lru_cache(maxsize=1)
def get_linking() -> Any:
    """Linkage as the linkage function uses it: with the encoder, whose key only it can derive."""
    return _linkage(encoder=linkage_encoder)


@functools.lru_cache(maxsize=1)
def linkage_encoder() -> Any:
    from chalicelib.adapters.kms_secrets import KmsDerivedSecret
    from chalicelib.domain.linkage import Encoder

    return Encoder(KmsDerivedSecret(aws_client("kms"), get_settings().pseudonymisation_key, "ivdb linkage v1")())


@functools.lru_cache(maxsize=1)
def get_statistics_queue() -> Any:
    from chalicelib.adapters.queue import SqsQueue

    return SqsQueue(aws_client("sqs"), get_settings().statistics_queue)
