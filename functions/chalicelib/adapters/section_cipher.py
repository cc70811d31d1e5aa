"""Field-level encryption of record sections with the AWS Encryption SDK.

Each reader (``type:police``, ``service:linkage``, ``institution:kp-dthb``) has a branch key
in a DynamoDB key store, wrapped by the KMS key of its group. A section is one Encryption
SDK message: one data key, wrapped for every reader through a multi-keyring of
hierarchical keyrings. Decryption uses the caller's own keyring and nothing else, so a
section never encrypted to the caller cannot be read, whatever the response filter says.
Branch keys are cached for `ttl_seconds`, so KMS is called once per reader per TTL, not
once per record.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterable, Mapping
from typing import Any

import aws_encryption_sdk
from aws_cryptographic_material_providers.keystore import KeyStore
from aws_cryptographic_material_providers.keystore.config import KeyStoreConfig
from aws_cryptographic_material_providers.keystore.models import CreateKeyInput, KMSConfigurationKmsKeyArn
from aws_cryptographic_material_providers.mpl import AwsCryptographicMaterialProviders
from aws_cryptographic_material_providers.mpl.config import MaterialProvidersConfig
from aws_cryptographic_material_providers.mpl.errors import CollectionOfErrors
from aws_cryptographic_material_providers.mpl.errors import ServiceError as MaterialProvidersError
from aws_cryptographic_material_providers.mpl.models import (
    CacheTypeDefault,
    CreateAwsKmsHierarchicalKeyringInput,
    CreateDefaultCryptographicMaterialsManagerInput,
    CreateMultiKeyringInput,
    DefaultCache,
)
from aws_encryption_sdk import CommitmentPolicy
from aws_encryption_sdk.exceptions import AWSEncryptionSDKClientError
from aws_encryption_sdk.identifiers import AlgorithmSuite
from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.domain.errors import Unavailable
from chalicelib.domain.sections import SectionUnreadable

ALGORITHM = AlgorithmSuite.AES_256_GCM_HKDF_SHA512_COMMIT_KEY
"""Key-committing, without an asymmetric signature: every reader is trusted to write, and
signing would cost an ECDSA operation per section."""


def reader_group(reader: str) -> str:
    """The KMS key group of a reader: every ``institution:<id>`` shares ``institution:*``."""
    kind, _, _ = reader.partition(":")
    return "institution:*" if kind == "institution" else reader


class KeyStores:
    """One key store view per KMS key, all over the same table."""

    def __init__(self, *, table_name: str, kms_key_arns: Mapping[str, str], dynamodb: Any, kms: Any) -> None:
        self._table_name = table_name
        self._kms_key_arns = dict(kms_key_arns)
        self._dynamodb = dynamodb
        self._kms = kms

    @functools.lru_cache(maxsize=None)
    def for_reader(self, reader: str) -> KeyStore:
        group = reader_group(reader)
        if group not in self._kms_key_arns:
            raise SectionUnreadable(f"no key is configured for reader group {group}")
        return KeyStore(config=KeyStoreConfig(
            ddb_client=self._dynamodb, ddb_table_name=self._table_name,
            logical_key_store_name=self._table_name, kms_client=self._kms,
            kms_configuration=KMSConfigurationKmsKeyArn(self._kms_key_arns[group])))

    def create_branch_key(self, reader: str) -> None:
        """Provisioning only: a reader's branch key, named after the reader."""
        self.for_reader(reader).create_key(CreateKeyInput(
            branch_key_identifier=reader, encryption_context={"reader": reader}))


class EncryptionSdkSectionCipher:
    def __init__(self, key_stores: KeyStores, ttl_seconds: int) -> None:
        self._key_stores = key_stores
        self._ttl_seconds = ttl_seconds
        self._materials = AwsCryptographicMaterialProviders(config=MaterialProvidersConfig())
        self._client = aws_encryption_sdk.EncryptionSDKClient(
            commitment_policy=CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT)
        self._keyrings: dict[str, Any] = {}
        self._managers: dict[frozenset[str], Any] = {}
        """Materials managers by reader set, built once: given a keyring instead, the SDK
        builds a material providers client and a materials manager for every message."""
        self._lock = threading.Lock()

    def _keyring(self, reader: str) -> Any:
        with self._lock:
            if reader not in self._keyrings:
                self._keyrings[reader] = self._materials.create_aws_kms_hierarchical_keyring(
                    CreateAwsKmsHierarchicalKeyringInput(
                        key_store=self._key_stores.for_reader(reader), branch_key_id=reader,
                        ttl_seconds=self._ttl_seconds, cache=CacheTypeDefault(DefaultCache(entry_capacity=16))))
            return self._keyrings[reader]

    def _materials_manager(self, readers: frozenset[str]) -> Any:
        """Wraps a data key for every reader: one hierarchical keyring each, under a multi-keyring
        when there are several."""
        manager = self._managers.get(readers)
        if manager is None:
            keyrings = [self._keyring(reader) for reader in sorted(readers)]
            keyring = keyrings[0] if len(keyrings) == 1 else self._materials.create_multi_keyring(
                CreateMultiKeyringInput(generator=keyrings[0], child_keyrings=keyrings[1:]))
            manager = self._materials.create_default_cryptographic_materials_manager(
                CreateDefaultCryptographicMaterialsManagerInput(keyring=keyring))
            with self._lock:
                manager = self._managers.setdefault(readers, manager)
        return manager

    def encrypt(self, plaintext: bytes, readers: Iterable[str], context: Mapping[str, str]) -> bytes:
        reader_set = frozenset(readers)
        if not reader_set:
            raise ValueError("a section needs at least one reader")
        try:
            ciphertext, _ = self._client.encrypt(source=plaintext,
                                                 materials_manager=self._materials_manager(reader_set),
                                                 encryption_context=dict(context), algorithm=ALGORITHM)
        except (ClientError, BotoCoreError) as e:
            raise Unavailable("the key service is unavailable") from e
        except (AWSEncryptionSDKClientError, MaterialProvidersError) as e:
            # A multi-keyring reports a failing child without its cause, so a KMS or key store
            # fault cannot be told apart here: every keyring failure is treated as one.
            raise Unavailable("the key service is unavailable") from e
        return ciphertext

    def decrypt(self, ciphertext: bytes, reader: str, context: Mapping[str, str]) -> bytes:
        """The plaintext, or SectionUnreadable when the section was not encrypted to `reader`
        or was not encrypted under this context (a ciphertext moved from elsewhere)."""
        try:
            plaintext, _ = self._client.decrypt(source=ciphertext,
                                                materials_manager=self._materials_manager(frozenset({reader})),
                                                encryption_context=dict(context))
        except (ClientError, BotoCoreError) as e:
            raise Unavailable("the key service is unavailable") from e
        except (AWSEncryptionSDKClientError, MaterialProvidersError) as e:
            if _caused_by_aws(e):
                raise Unavailable("the key service is unavailable") from e
            raise SectionUnreadable("the section cannot be decrypted by this reader") from e
        return plaintext


AWS_SERVICE_ERRORS = frozenset({"ComAmazonawsKms", "ComAmazonawsDynamodb"})
"""The material providers' wrappers of a failed KMS or DynamoDB call; several modules define classes of these names."""


def _caused_by_aws(error: BaseException) -> bool:
    """True when a KMS or DynamoDB call failed underneath: the material providers report those
    as ComAmazonawsKms / ComAmazonawsDynamodb errors nested in their own, not as a __cause__."""
    pending: list[object] = [error]
    while pending:
        seen = pending.pop()
        if isinstance(seen, (ClientError, BotoCoreError)) or type(seen).__name__ in AWS_SERVICE_ERRORS:
            return True
        if isinstance(seen, BaseException):
            pending.extend(e for e in (seen.__cause__, seen.__context__) if e is not None)
        if isinstance(seen, CollectionOfErrors):
            pending.extend(seen.list)
        elif isinstance(seen, MaterialProvidersError):
            pending.append(getattr(seen, "message", None))
    return False
