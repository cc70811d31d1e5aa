"""`ivdb local`: the whole stack on this machine until Ctrl-C."""

from __future__ import annotations

import argparse
import json
import signal
import threading

from ivdb.local.backends import StackError
from ivdb.local.stack import LocalStack, load_institutions
from ivdb.local.state import remove_state, write_state


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("local", help="start the whole stack on this machine")
    parser.add_argument("--backend", choices=["embedded", "dynamodb-local", "localstack"], default="embedded",
                        help="embedded: moto's server in this process (default); dynamodb-local: Amazon's "
                             "DynamoDB Local for DynamoDB; localstack: a LocalStack already running")
    parser.add_argument("--port", type=int, default=8000, help="the API's port (default 8000)")
    parser.add_argument("--aws-port", type=int, default=4566, help="the embedded emulator's port (default 4566)")
    parser.add_argument("--dynamodb-port", type=int, default=8001, help="DynamoDB Local's port (default 8001)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    stack = LocalStack(backend=args.backend, port=args.port, aws_port=args.aws_port,
                       dynamodb_port=args.dynamodb_port, institutions=load_institutions())
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    # a process started in the background inherits SIGINT ignored; Ctrl-C must still stop it
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        stack.start()
    except StackError as e:
        print(f"ivdb local: {e}", flush=True)
        return 1
    write_state(args.port, stack.state())
    print(f"API:          {stack.api_url}", flush=True)
    print(f"AWS endpoint: {stack.aws_endpoint}  (aws --endpoint-url {stack.aws_endpoint} dynamodb list-tables)")
    dynamodb_endpoint = stack.dynamodb_endpoint
    if dynamodb_endpoint != stack.aws_endpoint:
        print(f"DynamoDB:     {dynamodb_endpoint}  (aws --endpoint-url {dynamodb_endpoint} dynamodb list-tables,"
              " with the credentials local/local)")
    print("Institutions (ivdb token --institution ID):")
    print(json.dumps(stack.institutions, indent=2, ensure_ascii=False))
    print("Ready. Ctrl-C stops everything.", flush=True)
    try:
        stopping.wait()
    except KeyboardInterrupt:
        pass
    finally:
        remove_state(args.port)
        stack.stop()
        print("Stopped.", flush=True)
    return 0
