"""`python -m next_token.cli`: the same as the `ntp` command."""

from . import main

main(prog_name="ntp")
