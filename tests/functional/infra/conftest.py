import os
from collections.abc import Iterator

import pytest
import requests
from moto.server import ThreadedMotoServer

from tests.ports import free_port

EMULATOR_ENVIRONMENT = {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
                        "AWS_DEFAULT_REGION": "eu-central-1", "MOTO_IAM_LOAD_MANAGED_POLICIES": "true"}


@pytest.fixture(scope="session")
def moto_server() -> Iterator[str]:
    """moto's server on a free port, standing in for LocalStack and for AWS."""
    previous = {name: os.environ.get(name) for name in EMULATOR_ENVIRONMENT}
    os.environ.update(EMULATOR_ENVIRONMENT)
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()
    for name, value in previous.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


@pytest.fixture
def aws_endpoint(moto_server: str) -> str:
    """An empty emulator for each test."""
    requests.post(f"{moto_server}/moto-api/reset", timeout=10).raise_for_status()
    return moto_server
