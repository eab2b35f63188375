"""The click groups of `ntp`: library errors become one line and a non-zero exit, and optional
command groups (images) are imported only when used, so the CLI starts fast and works without them.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import os
import sys

import click

from ..errors import NtpError
from ..files import WrittenThenInterrupted

# Subcommands other parts of the package provide; imported only when used, so the CLI starts
# fast and works without their optional dependencies (it then names the extra to install).
LAZY_COMMANDS = {"image": ("next_token.image.cli", "image_group")}


class JsonError(click.ClickException):
    """An error printed as JSON on standard output (for commands run with --json)."""

    def __init__(self, message: str, kind: str, exit_code: int):
        super().__init__(message)
        self.kind, self.exit_code = kind, exit_code

    def show(self, file=None) -> None:
        click.echo(json.dumps({"error": {"message": self.message, "type": self.kind}}, ensure_ascii=False))


class ErrorReportingGroup(click.Group):
    """A click group that reports errors in one line: library and file errors with exit status 1,
    usage errors with 2; as a JSON object on standard output when the command has --json."""

    def invoke(self, ctx):
        as_json = "--json" in ctx.args
        try:
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
            except WrittenThenInterrupted as e:
                click.echo(f"Interrupted after {e.path} was written completely.", err=True)
                ctx.exit(130)
        except click.UsageError as e:
            if as_json:
                raise JsonError(e.format_message(), "usage_error", e.exit_code) from None
            raise
        except click.ClickException as e:
            if as_json and not isinstance(e, JsonError):
                raise JsonError(e.format_message(), "error", e.exit_code) from None
            raise


class NtpGroup(ErrorReportingGroup):
    """The top-level group: also lists and loads the optional command groups lazily."""

    def list_commands(self, ctx):
        return sorted(set(super().list_commands(ctx)) | set(LAZY_COMMANDS))

    def get_command(self, ctx, name):
        cmd = super().get_command(ctx, name)
        if cmd is None and name in LAZY_COMMANDS:
            mod, attr = LAZY_COMMANDS[name]
            try:
                cmd = getattr(importlib.import_module(mod), attr)
            except ImportError as e:  # an optional dependency is missing: say which extra
                cmd = _missing_extra(name, e)
        return cmd


def _missing_extra(name: str, error: ImportError) -> click.Command:
    @click.command(name, context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
                   help=f"(needs the [{name}] extra: pip install 'next-token-prediction[{name}]')")
    def missing():
        raise click.ClickException(f"`ntp {name}` needs the [{name}] extra ({error}): "
                                   f"pip install 'next-token-prediction[{name}]'")

    return missing


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
