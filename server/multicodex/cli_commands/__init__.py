"""The product subcommands of `multicodex`: each module parses its arguments, calls the
App (the same methods the JSON-RPC server exposes) and prints the result.

Nothing is imported here, so that `multicodex serve` can parse its options
(`parsing.add_serve_arguments`) without loading the other commands: the whole parser is
`parser.build_parser`, the commands on an App are listed in `commands`."""
