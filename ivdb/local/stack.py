"""The whole stack in one process: emulator, provisioned resources, the API, the event loop."""

from __future__ import annotations

import importlib
import json
import os
import threading
from dataclasses import dataclass, field
from typing import Any

from ivdb import paths
from ivdb.local import tokens
from ivdb.local.backends import Backend, ensure_port_free, make_backend
from ivdb.local.events import EventLoop
from ivdb.local.provision import Provisioner

REGION = "eu-central-1"
EMULATOR_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local"}


def load_institutions(path: os.PathLike[str] | str = paths.DEMO_INSTITUTIONS) -> list[dict[str, str]]:
    return json.loads(open(path, encoding="utf-8").read())["institutions"]


def reader_keys() -> list[str]:
    """The type and service readers of the access policy, each of which gets a KMS key."""
    from chalicelib.domain.policy import load_access_policy

    policy = load_access_policy(paths.ACCESS_POLICY)
    return sorted(reader for reader in policy.all_reader_keys() if not reader.startswith("institution:"))


@dataclass
class AwsResources:
    """An emulator provisioned from the infra template, with the functions' environment.

    Provisioning again is harmless: what the emulator already holds (from an earlier run or
    LocalStack's init hook) is reused, and ``branch_keys_created`` names only the new keys."""

    backend: Backend
    environment: dict[str, str] = field(default_factory=dict)
    branch_keys_created: list[str] = field(default_factory=list)

    @classmethod
    def provision(cls, backend: Backend, institutions: list[dict[str, str]],
                  prefix: str = "ivdb") -> "AwsResources":
        from infra.template import build_template, function_environment
        from ivdb.local.provision import branch_key_readers, create_branch_keys

        for name, value in EMULATOR_CREDENTIALS.items():
            os.environ.setdefault(name, value)
        os.environ.setdefault("AWS_DEFAULT_REGION", REGION)
        backend.start()
        try:
            readers = reader_keys()
            provisioner = Provisioner(backend, REGION)
            provisioner.provision(build_template(readers, prefix, functions=frozenset()))
            environment = provisioner.resolve(function_environment(readers))
            created = create_branch_keys(environment, branch_key_readers(environment, institutions),
                                         dynamodb=provisioner.client("dynamodb"), kms=provisioner.client("kms"))
        except Exception:
            backend.stop()
            raise
        environment.update(backend.environment())
        environment["AWS_REGION"] = REGION
        return cls(backend, environment, created)

    def stop(self) -> None:
        self.backend.stop()


def handler_for(handler_string: str) -> Any:
    """The handler Lambda would call for `module.function`: blueprints' handlers live in their modules."""
    module, _, function = handler_string.rpartition(".")
    return getattr(importlib.import_module(module), function)


class LocalStack:
    def __init__(self, *, backend: str, port: int, aws_port: int, dynamodb_port: int,
                 institutions: list[dict[str, str]]) -> None:
        self.port = port
        self.institutions = institutions
        self._backend = make_backend(backend, aws_port, dynamodb_port)
        self._resources: AwsResources | None = None
        self._server: Any = None
        self._server_thread: threading.Thread | None = None
        self._event_loop: EventLoop | None = None
        self.private_key, self.public_key = tokens.new_signing_key()

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def aws_endpoint(self) -> str:
        return self._backend.default

    @property
    def dynamodb_endpoint(self) -> str:
        return self._backend.endpoint("dynamodb")

    def start(self) -> None:
        ensure_port_free(self.port, "API")
        self._resources = AwsResources.provision(self._backend, self.institutions)
        try:
            os.environ.update(self._resources.environment)
            os.environ.update({"IVDB_STAGE": "local", "IVDB_JWT_PUBLIC_KEY": self.public_key,
                               "IVDB_JWT_ISSUER": tokens.ISSUER, "IVDB_JWT_AUDIENCE": tokens.AUDIENCE})
            self._serve()
        except Exception:
            self.stop()
            raise

    def _serve(self) -> None:
        from chalice.cli.factory import CLIFactory
        from chalice.local import LocalDevServer

        factory = CLIFactory(project_dir=str(paths.FUNCTIONS), environ=os.environ)
        app = factory.load_chalice_app()
        config = factory.create_config_obj(chalice_stage_name="local")
        self._server = LocalDevServer(app, config, "127.0.0.1", self.port)
        handlers = {source.name: handler_for(source.handler_string) for source in app.event_sources}
        self._event_loop = EventLoop(app, handlers, self._backend.endpoint, REGION)
        self._event_loop.start()
        self._server_thread = threading.Thread(target=self._server.server.serve_forever, name="api", daemon=True)
        self._server_thread.start()

    def state(self) -> dict[str, Any]:
        """What the other commands need: `ivdb token` the signing key, `ivdb audit verify` the
        functions' environment (endpoints, tables, keys) and the emulator's credentials."""
        if self._resources is None:
            raise RuntimeError("the stack has not started")
        return {"pid": os.getpid(), "api_url": self.api_url, "aws_endpoint": self.aws_endpoint,
                "backend": self._backend.name, "institutions": self.institutions,
                "signing_key": self.private_key, "issuer": tokens.ISSUER, "audience": tokens.AUDIENCE,
                "environment": {**EMULATOR_CREDENTIALS, "AWS_DEFAULT_REGION": REGION,
                                **self._resources.environment}}

    def stop(self) -> None:
        if self._server is not None:
            if self._server_thread is not None:
                self._server.shutdown()
            self._server.server.server_close()
            self._server = None
        if self._event_loop is not None:
            self._event_loop.stop()
            self._event_loop = None
        if self._resources is not None:
            self._resources.stop()
            self._resources = None
