"""The access policy: who reads which section of a record, and who may call what.

Everything about access derives from one file, ``schemas/access-policy.json``: the keys a
section is encrypted to, the sections a read returns, the route checks. This module loads
that file, refuses one that is malformed or contradicts itself, and answers those
questions. An institution type it does not know is refused everything.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from jsonschema import Draft202012Validator
from referencing import Registry, Resource

from chalicelib.domain.errors import InvalidConfiguration, Problem, json_pointer

POLICY_SCHEMA_FILE = "access-policy.schema.json"
REGISTRY_SCHEMA_FILE = "institution-registry.schema.json"

ALWAYS = "always"
DURING_REVIEW = "during_review"
AGGREGATES_ONLY = "aggregates_only"


def type_reader_key(institution_type: str) -> str:
    """The key shared by every institution of one type."""
    return f"type:{institution_type}"


def service_reader_key(service: str) -> str:
    """The key of an internal function that must decrypt a section."""
    return f"service:{service}"


def institution_reader_key(institution_id: str) -> str:
    """The submitter's own key, with which it reads every section of its own records."""
    return f"institution:{institution_id}"


@dataclass(frozen=True)
class SectionAccess:
    """One section's row of the policy table."""

    always: frozenset[str]
    with_consent: Mapping[str, str]
    during_review: frozenset[str]
    services: frozenset[str]


def _consents(consent: Mapping[str, object], flag: str) -> bool:
    """Only an explicit true is consent; a missing or malformed flag is not."""
    return consent.get(flag) is True


class AccessPolicy:
    """The loaded policy. Build it with ``load_access_policy``."""

    def __init__(
        self,
        institution_types: tuple[str, ...],
        sections: Mapping[str, SectionAccess],
        capabilities: Mapping[str, frozenset[str]],
    ) -> None:
        self._institution_types = institution_types
        self._sections = dict(sections)
        self._capabilities = dict(capabilities)

    @property
    def section_names(self) -> tuple[str, ...]:
        """The sections of a record, in the policy file's order."""
        return tuple(self._sections)

    @property
    def institution_types(self) -> tuple[str, ...]:
        """Every institution type of the registry; the policy has a cell for each."""
        return self._institution_types

    def _section(self, section: str) -> SectionAccess:
        try:
            return self._sections[section]
        except KeyError:
            raise ValueError(f"the access policy has no section named {section!r}") from None

    def encryption_readers(self, section: str, consent: Mapping[str, object]) -> frozenset[str]:
        """The reader keys (type:… and service:…) a section's data key is wrapped for.

        A consent-dependent reader is included only while its flag is true, so withdrawing
        consent means re-encrypting. Review readers are always included: a review may be
        opened long after the record was written. The submitter's key is added by
        ``recipients``.
        """
        access = self._section(section)
        types = set(access.always) | set(access.during_review)
        types |= {t for t, flag in access.with_consent.items() if _consents(consent, flag)}
        return frozenset(
            {type_reader_key(t) for t in types} | {service_reader_key(s) for s in access.services}
        )

    def recipients(self, section: str, consent: Mapping[str, object], submitter_id: str) -> frozenset[str]:
        """Every key a section of this submitter's record is encrypted to."""
        return self.encryption_readers(section, consent) | {institution_reader_key(submitter_id)}

    def readable_sections(
        self,
        caller_type: str,
        *,
        is_submitter: bool,
        consent: Mapping[str, object],
        in_review: bool,
    ) -> frozenset[str]:
        """The sections of one record a caller may see.

        ``in_review`` is true only while the record is part of a pending review that the
        caller is deciding. An aggregates_only reader sees no section of any record.
        """
        if is_submitter:
            return frozenset(self._sections)
        readable = set()
        for name, access in self._sections.items():
            if caller_type in access.always:
                readable.add(name)
            elif caller_type in access.with_consent and _consents(consent, access.with_consent[caller_type]):
                readable.add(name)
            elif caller_type in access.during_review and in_review:
                readable.add(name)
        return frozenset(readable)

    def possible_readers(self, section: str) -> frozenset[str]:
        """The reader keys a section may ever be encrypted to, whatever the consent: what its KMS key policies allow."""
        access = self._section(section)
        all_consents = {flag: True for flag in access.with_consent.values()}
        return self.encryption_readers(section, all_consents)

    def all_reader_keys(self) -> frozenset[str]:
        """Every type and service key that infrastructure must create; institution keys come from the registry."""
        return frozenset().union(*(self.possible_readers(s) for s in self._sections))

    def may_use_record_routes(self, caller_type: str) -> bool:
        """May submit records and call /records and /persons."""
        return caller_type in self._capabilities["record_routes"]

    def may_query_statistics(self, caller_type: str) -> bool:
        return caller_type in self._capabilities["query_statistics"]

    def may_read_audit(self, caller_type: str) -> bool:
        return caller_type in self._capabilities["read_audit_log"]

    def may_decide_reviews(self, caller_type: str) -> bool:
        return caller_type in self._capabilities["decide_reviews"]


def load_access_policy(path: str | Path, *, schema_dir: str | Path | None = None) -> AccessPolicy:
    """Read, validate and check the policy file.

    The policy schema and the institution registry schema are read from ``schema_dir``,
    by default the policy file's own folder. Raises InvalidConfiguration listing every
    problem, so a broken policy stops the service instead of granting the wrong access.
    """
    policy_path = Path(path)
    schemas = Path(schema_dir) if schema_dir is not None else policy_path.parent
    policy_schema = _read_json(schemas / POLICY_SCHEMA_FILE)
    registry_schema = _read_json(schemas / REGISTRY_SCHEMA_FILE)
    document = _read_json(policy_path)

    registry = Registry().with_resources(
        (schema["$id"], Resource.from_contents(schema)) for schema in (policy_schema, registry_schema)
    )
    validator = Draft202012Validator(policy_schema, registry=registry)
    problems = [
        Problem(json_pointer(error.absolute_path), error.message) for error in validator.iter_errors(document)
    ]
    if problems:
        raise InvalidConfiguration(problems, "the access policy does not match its schema")

    institution_types = tuple(registry_schema["$defs"]["institution_type"]["enum"])
    sections = {name: _section_access(row) for name, row in document["sections"].items()}
    capabilities = {
        name: frozenset(types) for name, types in document["capabilities"].items() if name != "description"
    }
    problems = _contradictions(institution_types, document["sections"], capabilities)
    if problems:
        raise InvalidConfiguration(problems, "the access policy contradicts itself")
    return AccessPolicy(institution_types, sections, capabilities)


def _read_json(path: Path) -> dict:
    with path.open(encoding="utf-8") as json_file:
        return json.load(json_file)


def _section_access(row: Mapping) -> SectionAccess:
    cells = row["institution_types"]
    return SectionAccess(
        always=frozenset(t for t, cell in cells.items() if cell == ALWAYS),
        with_consent={t: cell["with_consent"] for t, cell in cells.items() if isinstance(cell, dict)},
        during_review=frozenset(t for t, cell in cells.items() if cell == DURING_REVIEW),
        services=frozenset(row["service_readers"]),
    )


def _contradictions(
    institution_types: tuple[str, ...],
    sections: Mapping[str, Mapping],
    capabilities: Mapping[str, frozenset[str]],
) -> list[Problem]:
    """Cells the schema cannot rule out: a type left out, or a read the type could never make."""
    needed_capability = {
        ALWAYS: "record_routes",
        DURING_REVIEW: "decide_reviews",
        AGGREGATES_ONLY: "query_statistics",
    }
    problems = []
    for name, row in sections.items():
        cells = row["institution_types"]
        for institution_type in institution_types:
            path = f"/sections/{name}/institution_types/{institution_type}"
            cell = cells.get(institution_type)
            if cell is None:
                problems.append(Problem(path, "every institution type needs a cell"))
                continue
            capability = "record_routes" if isinstance(cell, dict) else needed_capability.get(cell)
            if capability and institution_type not in capabilities[capability]:
                problems.append(Problem(path, f"this access needs the {capability} capability"))
    return problems
