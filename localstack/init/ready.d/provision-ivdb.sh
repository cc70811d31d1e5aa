#!/bin/sh
# LocalStack runs this once its services are ready. It provisions ivdb from
# infra/template.py with `ivdb provision`, the command that provisions every other endpoint;
# running it again reuses what exists.
#
# The repository is mounted read-only, and an editable install writes build files beside
# the sources, so ivdb is installed (once, into a virtualenv kept on LocalStack's volume)
# from a copy of the checkout that is refreshed on every start.
set -eu

repository="${IVDB_REPOSITORY:-/opt/ivdb}"
home="${IVDB_HOME:-/var/lib/localstack/ivdb}"
venv="${IVDB_VENV:-$home/venv}"
endpoint="${IVDB_AWS_ENDPOINT:-http://localhost:4566}"
registry="${IVDB_REGISTRY:-$repository/schemas/examples/institutions.demo.json}"

rm -rf "$home/checkout"
mkdir -p "$home/checkout"
cp -R "$repository/pyproject.toml" "$repository/ivdb" "$repository/infra" "$repository/functions" \
      "$repository/schemas" "$home/checkout/"

if [ ! -x "$venv/bin/ivdb" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check -e "$home/checkout"
fi

"$venv/bin/ivdb" provision --aws-endpoint "$endpoint" --registry "$registry"
echo "ivdb: provisioned $endpoint"
