"""The click groups of `ntp`: library errors become one line and a non-zero exit, and optional
command groups (images) are imported only when used, so the CLI starts fast and works without them.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys

import click

from ..errors import NtpError

# Subcommands other parts of the package provide; imported only when used, and only listed when
# their module exists, so the CLI works without them (and starts fast).
LAZY_COMMANDS = {"image": ("next_token.image.cli", "image_group")}


class ErrorReportingGroup(click.Group):
    """A click group that reports library errors in one line, with exit status 1."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except NtpError as e:
            raise click.ClickException(str(e)) from None
        except OSError as e:  # e.g. an output path in a folder that does not exist
            if isinstance(e, BrokenPipeError):
                _quiet_broken_pipe()
            what = f"{e.strerror}: {e.filename}" if e.strerror and e.filename else str(e)
            raise click.ClickException(what) from None
        except MemoryError:
            raise click.ClickException("out of memory: try a smaller corpus or a lower --order") from None


class NtpGroup(ErrorReportingGroup):
    """The top-level group: also lists and loads the optional command groups lazily."""

    def list_commands(self, ctx):
        names = set(super().list_commands(ctx))
        names.update(n for n, (mod, _) in LAZY_COMMANDS.items() if module_exists(mod))
        return sorted(names)

    def get_command(self, ctx, name):
        cmd = super().get_command(ctx, name)
        if cmd is None and name in LAZY_COMMANDS:
            mod, attr = LAZY_COMMANDS[name]
            if module_exists(mod):
                cmd = getattr(importlib.import_module(mod), attr)
        return cmd


def module_exists(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def _quiet_broken_pipe():
    """`ntp generate | head` closes our stdout early: leave without a second error on exit."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
    sys.exit(1)
