"""`ntp search`, `similar`, `analogy` and `paraphrase`: looking things up in a model's corpus and
word vectors."""

from __future__ import annotations

import click

from .options import ascii_only, emit_json, human_int, json_option, load_model, model_option, styled

WIDTH = 100  # columns a line of `ntp search` aims to fit in
SHOWN = {"<s>": "(sentence start)", "</s>": "(sentence end)", "<unk>": "(unknown word)"}
CLOSING = tuple(".,;:!?)]}%")  # text that attaches to the word before it


@click.command()
@click.argument("phrase")
@click.option("-i", "--ignore-case", is_flag=True, help="Match any case (\"opera\" finds \"Opera\" and \"OPERA\").")
@click.option("-n", "--limit", default=10, show_default=True, type=click.IntRange(0, 1000),
              help="Show at most this many occurrences (0: only count them).")
@click.option("--offset", default=0, show_default=True, type=click.IntRange(0),
              help="Skip this many occurrences first (to page through them).")
@click.option("--context", default=12, show_default=True, type=click.IntRange(0, 200),
              help="Tokens of text shown either side of each occurrence.")
@model_option
@json_option
def search(phrase, ignore_case, limit, offset, context, model_path, as_json):
    """Find PHRASE in the model's training text: how often, in which file and line, and the
    words seen most often before and after it.

    Needs the corpus index a model keeps unless trained with --no-index or --memory.
    Finding nothing is not an error (exit status 0).

    \b
    Example:
      ntp search "the ghost" -m books.ntp
      ntp search "opera ghost" -i -n 50 -m books.ntp
      ntp search "import" --offset 10 --json
    """
    lm = load_model(model_path, quiet=as_json)
    found = lm.search(phrase, ignore_case=ignore_case, offset=offset, limit=limit, context=context)
    if as_json:
        emit_json(found.to_dict())
        return
    click.echo(_headline(lm, found, phrase, ignore_case, offset))
    for hit in found.hits:
        click.echo(_hit_line(hit))
    if found.count:
        for name, tokens in (("before", found.before), ("after", found.after)):
            click.echo(_neighbours_line(f"{name}:", tokens))


def _headline(lm, found, phrase, ignore_case, offset) -> str:
    n = found.count
    head = f"{human_int(n)} occurrence{'' if n == 1 else 's'} of \"{phrase}\""
    if ignore_case:
        head += " (ignoring case)"
    if n == 0 and not ignore_case:
        folded = lm.search(phrase, ignore_case=True, limit=0, neighbours=0).count
        if folded:
            head += f" ({human_int(folded)} ignoring case: add -i)"
    elif n and found.hits and (offset or len(found.hits) < n):
        last = offset + len(found.hits)
        more = f"; --offset {last} for more" if last < n else ""
        shown = human_int(last) if last == offset + 1 else f"{human_int(offset + 1)}-{human_int(last)}"
        head += f", showing {shown}{more}"
    elif n and offset >= n:
        head += f", none after --offset {human_int(offset)}"
    return head


def _hit_line(hit) -> str:
    """`source:line: ...before [match] after...`, trimmed at word boundaries to about WIDTH columns."""
    where = f"{hit.source}:{hit.line}: " if hit.source is not None else f"token {human_int(hit.position)}: "
    room = max(WIDTH - len(where) - len(hit.match) - 4, 30)  # 4: the brackets and two spaces
    left_room = max(room // 2, room - len(hit.after))
    before = _tail(hit.before, left_room)
    after = _head(hit.after, room - len(before))
    match = "[" + styled(hit.match, bold=True) + "]"
    left = f"{before} " if before else ""
    right = "" if not after else after if after.startswith(CLOSING) else f" {after}"
    return f"{where}{left}{match}{right}"


def _tail(text: str, room: int) -> str:
    """The end of `text` in at most `room` characters, cut at a space, marked with "..."."""
    if len(text) <= room:
        return text
    cut = text[len(text) - max(room - 3, 0):]
    space = cut.find(" ")
    return "..." + (cut[space + 1:] if 0 <= space < len(cut) - 1 else cut)


def _head(text: str, room: int) -> str:
    """The start of `text` in at most `room` characters, cut at a space, marked with "..."."""
    if len(text) <= room:
        return text
    cut = text[: max(room - 3, 0)]
    space = cut.rfind(" ")
    return (cut[:space] if space > 0 else cut) + "..."


def _neighbours_line(label: str, tokens) -> str:
    """`before: "the" 12, (sentence start) 3, ...`, as many as fit in WIDTH columns."""
    if not tokens:
        return f"{label:<7} (nothing)"
    line = f"{label:<7}"
    for i, (token, count) in enumerate(tokens):
        item = f"{SHOWN.get(token, repr_token(token))} {human_int(count)}"
        if i and len(line) + len(item) + 2 > WIDTH:
            break
        line += (", " if i else " ") + item
    return line


def repr_token(token: str) -> str:
    return '"' + token.replace('"', '\\"') + '"'


@click.command()
@click.argument("word")
@click.option("-k", default=10, show_default=True, type=click.IntRange(1, 1000), help="How many words.")
@model_option
@json_option
def similar(word, k, model_path, as_json):
    """Words used like WORD in the training text: the k nearest word vectors, by cosine.

    Needs a model trained with --vectors. For analogies (a is to b as c is to ?) see
    `ntp analogy`.

    \b
    Example:
      ntp similar ghost -m books.ntp
      ntp similar Paris -k 5 --json -m books.ntp
    """
    lm = load_model(model_path, quiet=as_json)
    near = lm.similar(word, k)
    if as_json:
        emit_json({"word": word, "similar": [{"word": n.word, "cosine": n.score} for n in near]})
        return
    click.echo(f"words used like \"{word}\" (cosine of their vectors):")
    for row in _bars(near, top=1.0):
        click.echo(row)


@click.command()
@click.argument("a")
@click.argument("b")
@click.argument("c")
@click.option("-k", default=5, show_default=True, type=click.IntRange(1, 1000), help="How many answers.")
@model_option
@json_option
def analogy(a, b, c, k, model_path, as_json):
    """A is to B as C is to ...? The k best answers from the word vectors (3CosMul).

    Needs a model trained with --vectors. The score is 3CosMul's objective: higher is better,
    comparable only among the answers of one question.

    \b
    Example:
      ntp analogy Paris France London -m news.ntp      (-> England?)
      ntp analogy cat kitten dog -k 3 --json -m books.ntp
    """
    lm = load_model(model_path, quiet=as_json)
    answers = lm.analogy(a, b, c, k)
    if as_json:
        emit_json({"a": a, "b": b, "c": c, "answers": [{"word": n.word, "score": n.score} for n in answers]})
        return
    click.echo(f"{a} : {b} :: {c} : ?")
    for row in _bars(answers, top=max((n.score for n in answers), default=1.0)):
        click.echo(row)


def _bars(neighbours, top: float, width: int = 20) -> list[str]:
    """One line per neighbour: the word, a bar of its score (scaled to `top`), the score."""
    if not neighbours:
        return ["  (none)"]
    full, parts = ("#", " ") if ascii_only() else ("█", " ▏▎▍▌▋▊▉")
    tw = min(max(len(n.word) for n in neighbours), 24)
    lines = []
    for n in neighbours:
        cells = max(n.score, 0.0) / (top or 1.0) * width
        whole = min(int(cells), width)
        frac = int((cells - whole) * len(parts)) if whole < width else 0
        bar = full * whole + parts[frac].strip()
        lines.append(f"  {n.word:<{tw}}  {bar:<{width}}  {n.score:.3f}")
    return lines


@click.command()
@click.argument("sentence")
@click.option("-n", default=None, type=click.IntRange(1, 50), help="How many paraphrases.  [default: 3]")
@click.option("--word", default=None, metavar="WORD_OR_NUMBER",
              help="Instead, list substitutes for this word of SENTENCE (or its token number, counting from 1; "
                   "punctuation counts as a token).")
@click.option("-k", default=None, type=click.IntRange(1, 100), help="With --word: how many substitutes.  [default: 5]")
@model_option
@json_option
def paraphrase(sentence, n, word, k, model_path, as_json):
    """Reword SENTENCE: one or two words replaced by words used like them, ranked by how fluent
    the model finds the new sentence and how close the words are.

    With --word: the best substitutes for one word, with their fluency (log10 of how much more
    likely the sentence becomes), similarity (cosine of the two words' vectors) and the score
    they are ranked by, which combines the two.
    Needs a model trained with --vectors.

    \b
    Example:
      ntp paraphrase "The ghost spoke to Christine in the dark." -m books.ntp
      ntp paraphrase "The ghost spoke to Christine." --word ghost -k 10 -m books.ntp
      ntp paraphrase "The ghost spoke to Christine." --word 2 --json -m books.ntp
    """
    if word is None and k is not None:
        raise click.UsageError("-k is the number of substitutes for --word; paraphrases are counted with -n")
    if word is not None and n is not None:
        raise click.UsageError("-n counts paraphrases; with --word, give the number of substitutes with -k")
    lm = load_model(model_path, quiet=as_json)
    if word is not None:
        _substitutes(lm, sentence, word, k or 5, as_json)
        return
    found = lm.paraphrase(sentence, n or 3)
    if as_json:
        emit_json({"sentence": sentence, "paraphrases": [
            {"text": p.text, "score": p.score, "changes": [{"original": a, "substitute": b} for a, b in p.changes]}
            for p in found]})
        return
    if not found:
        click.echo("no paraphrase: no word has a substitute that the model finds fluent enough here")
        return
    for i, p in enumerate(found, 1):
        click.echo(f"{i}. {p.text}")
        changes = ", ".join(f"{a} -> {b}" for a, b in p.changes)
        click.echo(f"   {changes}   (score {p.score:+.2f})")


def _substitutes(lm, sentence, word, k, as_json):
    position = word
    if word.isdigit() and word not in lm.tokenizer.tokenize(sentence):
        if int(word) < 1:
            raise click.BadParameter("token numbers count from 1", param_hint="--word")
        position = int(word) - 1
    subs = lm.substitutes(sentence, position, k)
    if as_json:
        emit_json({"sentence": sentence, "word": word, "substitutes": [
            {"word": s.word, "text": s.text, "fluency": s.fluency, "similarity": s.similarity, "score": s.score}
            for s in subs]})
        return
    if not subs:
        click.echo(f"no substitute for \"{word}\": no word with a vector like it is in the vocabulary")
        return
    ww = max(4, min(max(len(s.word) for s in subs), 24))
    click.echo(f"  {'word':<{ww}}  fluency  similarity  score  sentence")
    for s in subs:
        click.echo(f"  {s.word:<{ww}}  {s.fluency:+7.2f}  {s.similarity:10.3f}  {s.score:+5.2f}  {s.text}")
