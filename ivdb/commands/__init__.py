"""One module per `ivdb` sub-command, each with `register(subparsers)`."""
