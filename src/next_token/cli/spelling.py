"""`ntp spell` and `ntp correct`: spelling checked and corrected in context."""

from __future__ import annotations

import re
from dataclasses import asdict

import click

from ..errors import NtpError
from .options import emit_json, json_option, load_model, model_option, read_text, styled

PIECE_CHARS = 1 << 20  # files are checked in pieces of about this many characters, cut at line ends


class CheckFailed(click.ClickException):
    """`ntp spell` could not check (a missing or binary file, a model without spelling): exit
    status 2, so that 1 keeps meaning "misspellings found", as grep and linters do."""

    exit_code = 2


@click.command()
@click.argument("files", nargs=-1, required=True)
@click.option("--min-confidence", default=0.5, show_default=True, type=click.FloatRange(0, 1),
              help="Report only corrections the model is at least this sure of (0-1).")
@model_option
@json_option
def spell(files, min_confidence, model_path, as_json):
    """Check the spelling of FILES in context, like a linter: one line per likely misspelling,
    FILE:LINE:COLUMN: word -> suggestion (confidence). FILES may be - (standard input),
    folders or globs.

    Words are judged in context by the model, so "form" for "from" is found too; names, numbers
    and code-like words are left alone, and so is code quoted as Markdown writes it (`inline`
    and fenced blocks). Lines and columns count from 1, columns in characters.
    Exit status: 0 if nothing was found, 1 if something was, 2 if the check could not run.

    \b
    Example:
      ntp spell README.md docs/ -m books.ntp
      git diff --name-only | xargs ntp spell --min-confidence 0.9
      cat draft.txt | ntp spell - --json
    """
    try:
        found, checked = _check(files, min_confidence, model_path, as_json)
    except BrokenPipeError:
        raise  # `ntp spell ... | head`: the group leaves quietly
    except (NtpError, OSError) as e:
        what = f"{e.strerror}: {e.filename}" if isinstance(e, OSError) and e.strerror and e.filename else str(e)
        raise CheckFailed(what) from None
    if as_json:
        emit_json(found)
    else:
        n, files_with = len(found), len({f["file"] for f in found})
        where = _files(checked) if files_with == checked else f"{files_with} of {_files(checked)}"
        click.echo(f"{n} possible misspelling{'' if n == 1 else 's'} in {where}"
                   if n else f"No misspellings found in {_files(checked)}", err=True)
    if found:
        click.get_current_context().exit(1)


def _files(n: int) -> str:
    return f"{n} file{'' if n == 1 else 's'}"


def _check(files, min_confidence, model_path, as_json) -> tuple[list[dict], int]:
    """Correct every document piece by piece (pieces end at line ends, so a file of any size is
    checked in bounded memory) and list the edits sure enough, printing each as found."""
    from ..text.corpus import iter_documents

    lm = load_model(model_path, quiet=as_json)
    found, checked = [], 0
    for doc in iter_documents(list(files)):
        checked += 1
        line_base, col_base = 0, 0  # lines and columns before this piece
        in_fence = False
        for piece in doc.pieces(PIECE_CHARS):
            prose, in_fence = _without_code(piece, in_fence)
            edits = [e for e in lm.correct(prose).edits if e.confidence >= min_confidence]
            for e, (line, col) in zip(edits, _line_columns(piece, [e.start for e in edits])):
                row = {"file": doc.name, "line": line_base + line + 1,
                       "column": (col_base if line == 0 else 0) + col + 1,
                       "word": e.original, "suggestion": e.replacement, "confidence": round(e.confidence, 4)}
                found.append(row)
                if not as_json:
                    click.echo(f"{row['file']}:{row['line']}:{row['column']}: {row['word']} -> "
                               f"{styled(row['suggestion'], bold=True)} (confidence {e.confidence:.2f})")
            newlines = piece.count("\n")
            col_base = (col_base if newlines == 0 else 0) + len(piece) - (piece.rfind("\n") + 1)
            line_base += newlines
    return found, checked


def _without_code(text: str, in_fence: bool) -> tuple[str, bool]:
    """`text` with Markdown code blanked out (fenced blocks, and `inline` spans within a line),
    every character kept in place so lines and columns still point into the file; and whether a
    fence is still open at its end (pieces end at line ends, so a block may span two)."""
    lines = text.split("\n")
    for i, line in enumerate(lines):
        fence = line.lstrip().startswith(("```", "~~~"))
        if in_fence or fence:
            lines[i] = " " * len(line)
            in_fence ^= fence
        else:
            lines[i] = _CODE_SPAN.sub(lambda m: " " * len(m.group()), line)
    return "\n".join(lines), in_fence


_CODE_SPAN = re.compile(r"(`+)[^`].*?\1")


def _line_columns(text: str, offsets: list[int]) -> list[tuple[int, int]]:
    """(line, column), both from 0, of each of the increasing character `offsets` into `text`."""
    out, line, last, line_start = [], 0, 0, 0
    for off in offsets:
        line += text.count("\n", last, off)
        nl = text.rfind("\n", last, off)
        if nl >= 0:
            line_start = nl + 1
        out.append((line, off - line_start))
        last = off
    return out


@click.command()
@click.argument("file", required=False)
@click.option("--text", default=None, help="Correct this text instead of a file.")
@click.option("--segment", is_flag=True,
              help="Instead, split run-together words line by line (\"thequickbrownfox\" -> \"the quick brown fox\").")
@model_option
@json_option
def correct(file, text, segment, model_path, as_json):
    """Correct the spelling of FILE (- for standard input) or --text, in context.

    Prints the text exactly as given but for the corrected words (--text gets a final newline
    if it has none); Markdown code (`inline` and fenced) is left as it is. --json lists the
    edits with their character offsets and confidence.
    To review the corrections before taking them, see `ntp spell`.

    \b
    Example:
      ntp correct draft.txt -m books.ntp > fixed.txt
      ntp correct --text "This modle is imported form the library."
      ntp correct --text thequickbrownfox --segment
    """
    body = read_text(file, text, "text to correct")
    lm = load_model(model_path, quiet=as_json)
    if segment:
        out, words = _segment(lm, body)
        if as_json:
            emit_json({"text": out, "words": words})
        else:
            click.echo(out, nl=text is not None and not out.endswith("\n"))
        return
    edits = lm.correct(_without_code(body, False)[0]).edits  # offsets hold: code is blanked in place
    if as_json:
        emit_json({"text": _apply(body, edits), "edits": [asdict(e) for e in edits]})
        return
    # the corrected words bold on a terminal (click drops the style elsewhere)
    click.echo(_apply(body, edits, lambda w: styled(w, bold=True)), nl=text is not None and not body.endswith("\n"))


def _apply(body: str, edits, style=lambda w: w) -> str:
    out, last = [], 0
    for e in edits:
        out += [body[last:e.start], style(e.replacement)]
        last = e.end
    out.append(body[last:])
    return "".join(out)


def _segment(lm, body: str) -> tuple[str, list[str]]:
    """Each line of `body` split into words and written with the model's spacing; blank lines kept."""
    lines, words = [], []
    for line in body.split("\n"):
        if not line.strip():
            lines.append(line)
            continue
        seg = lm.segment(line)
        lines.append(lm.tokenizer.detokenize(list(seg.words)))
        words += seg.words
    return "\n".join(lines), words
