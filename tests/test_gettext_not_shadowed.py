"""A function that assigns ``_`` (``obj, _ = get_or_create(...)``) makes ``_`` local to all of it, so a
``_("message")`` anywhere in it raises TypeError instead of translating: a 500 on the error path it was written for
(it happened: a change's payment with the bank down)."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OWN_SCOPES = (
    ast.FunctionDef,
    ast.AsyncFunctionDef,
    ast.Lambda,
    ast.ListComp,
    ast.SetComp,
    ast.DictComp,
    ast.GeneratorExp,
    ast.ClassDef,
)


def _scope_nodes(function):
    """The nodes of ``function``'s own scope (not those of nested functions, classes or comprehensions)."""
    todo = list(ast.iter_child_nodes(function))
    while todo:
        node = todo.pop()
        yield node
        if not isinstance(node, OWN_SCOPES):
            todo.extend(ast.iter_child_nodes(node))


def _shadowing_functions():
    for path in sorted(ROOT.glob("*/**/*.py")):
        if path.parts[len(ROOT.parts)] in (".venv", "var", "tests", "node_modules"):
            continue
        for function in ast.walk(ast.parse(path.read_text())):
            if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            nodes = list(_scope_nodes(function))
            assigns = any(isinstance(n, ast.Name) and n.id == "_" and isinstance(n.ctx, ast.Store) for n in nodes)
            calls = any(isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "_" for n in nodes)
            if assigns and calls:
                yield f"{path.relative_to(ROOT)}:{function.lineno} {function.name}"


def test_no_function_both_assigns_and_calls_gettext_underscore():
    assert list(_shadowing_functions()) == []
