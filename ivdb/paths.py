"""Where the repository's parts are, for the command line (which runs from a checkout)."""

from pathlib import Path

REPOSITORY = Path(__file__).resolve().parent.parent
FUNCTIONS = REPOSITORY / "functions"
SCHEMAS = REPOSITORY / "schemas"
ACCESS_POLICY = SCHEMAS / "access-policy.json"
DEMO_INSTITUTIONS = SCHEMAS / "examples" / "institutions.demo.json"
