"""The shape of the package: imports go one way (core -> faces never), and no module cycles.

Faces are the ways in from outside: the command line, the REPL, the server and the original
library's API. The core (text, ngram, unbounded, training, decoding, the LanguageModel) must work
without any of them, so it never imports them, not even inside a function. Imports between
modules must not form a cycle, not even through an import hidden inside a function (only
imports for type checkers, under `if TYPE_CHECKING:`, are exempt).
"""

import ast
from pathlib import Path

import next_token

ROOT = Path(next_token.__file__).parent
FACES = ("next_token.cli", "next_token.server", "next_token.repl", "next_token.original_api",
         "next_token.image.cli", "next_token.image.original_api")


def _module_name(path: Path) -> str:
    parts = ["next_token", *path.relative_to(ROOT).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, module: str) -> tuple[set[str], set[str]]:
    """(module-level imports, all imports that run) of a source file, as absolute module names."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    top, every = set(), set()
    typing_only = {id(n) for node in ast.walk(tree) if isinstance(node, ast.If)
                   and getattr(node.test, "id", None) == "TYPE_CHECKING" for n in ast.walk(node)}
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue  # imports for type checkers never run
        names = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")
            if node.level:
                base = base[: len(base) - node.level + 1]
                stem = ".".join(base + ([node.module] if node.module else []))
            else:
                stem = node.module or ""
            names = [stem] + [f"{stem}.{a.name}" for a in node.names]
        names = [n for n in names if n.startswith("next_token")]
        every.update(names)
        if node in tree.body or (isinstance(node, (ast.Import, ast.ImportFrom)) and node.col_offset == 0):
            top.update(names)
    return top, every


def _graph():
    modules = {_module_name(p): p for p in ROOT.rglob("*.py")}
    edges = {}
    for name, path in modules.items():
        top, every = _imports(path, name)
        edges[name] = ({m for m in top if m in modules and m != name}, {m for m in every if m in modules})
    return modules, edges


def _is_face(name: str) -> bool:
    return any(name == f or name.startswith(f + ".") for f in FACES)


def test_the_core_never_imports_a_face():
    modules, edges = _graph()
    core = [m for m in modules if not _is_face(m) and m != "next_token" and not m.startswith("next_token.image")]
    bad = {m: sorted(d for d in edges[m][1] if _is_face(d)) for m in core}
    assert not {m: d for m, d in bad.items() if d}


def test_no_import_cycles_between_modules():
    modules, edges = _graph()
    state: dict[str, int] = {}
    cycle: list[str] = []

    def visit(m, path):
        state[m] = 1
        for d in sorted(edges[m][1]):
            if d.startswith(m + ".") or m.startswith(d + "."):
                continue  # a package and its own modules (__init__ re-exports)
            if state.get(d) == 1:
                cycle.extend(path[path.index(d):] + [d] if d in path else [m, d])
                return True
            if d not in state and visit(d, path + [d]):
                return True
        state[m] = 2
        return False

    for m in sorted(modules):
        if m not in state and visit(m, [m]):
            break
    assert not cycle, " -> ".join(cycle)
