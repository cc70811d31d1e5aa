"""Loading the app registers routes and handlers and nothing more: every function's cold start
pays for the app's import, so the encryption SDK, the AWS clients, the linkage engine with
NumPy and the statistics code are imported by the first request that needs them."""

import json
import subprocess
import sys

from ivdb import paths

LOADED_BY_THEIR_FIRST_USE = ("aws_encryption_sdk", "boto3", "pynamodb", "numpy",
                             "chalicelib.domain.linkage", "chalicelib.domain.statistics")


def test_importing_the_app_loads_nothing_a_request_loads_when_it_needs_it():
    # GIVEN a new interpreter, as a Lambda container starts one
    probe = (f"import json, sys; sys.path.insert(0, {str(paths.FUNCTIONS)!r}); import app; "
             f"print(json.dumps([name for name in {LOADED_BY_THEIR_FIRST_USE!r} if name in sys.modules]))")

    # WHEN it imports the app
    completed = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True,
                               cwd=paths.REPOSITORY)

    # THEN none of the heavy modules is loaded yet
    assert json.loads(completed.stdout) == []
