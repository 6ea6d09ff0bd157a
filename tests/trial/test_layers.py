"""The house's walls, checked on the source (AST, no import): arrows only downward, no import
cycle, function-local imports only where a dependency is optional or heavy, domain apps
naming no table of trial, and no write outside the actions (the write session's path).

Layers: `trial` at the bottom; the domain apps (eligibility, dosing, imaging, followup) above
it, each importing trial and never another (they reach each other through trial.registry);
the reporting apps above them (oversight, submission), which may read a domain app through
its read side only (`selectors`, `models`, `calculations`: never its actions, forms, pages or
registrations), and never each other.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BOTTOM = "trial"
DOMAIN_APPS = ("eligibility", "dosing", "imaging", "followup")
REPORTING_APPS = ("oversight", "submission")
PROJECT = (BOTTOM, *DOMAIN_APPS, *REPORTING_APPS)
# What a reporting app may read of a domain app.
READ_SIDE = ("selectors", "models", "calculations")


@dataclass(frozen=True)
class Import:
    module: str  # the importing module, dotted
    target: str  # the imported project module (or a third-party top-level name)
    line: int
    local: bool  # inside a function
    function: str  # the enclosing function's name, "" at module level
    commented: bool  # a comment on its line or just above it


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


@cache
def source_files() -> dict[str, Path]:
    found = {}
    for app in PROJECT:
        folder = ROOT / app
        if not folder.is_dir():
            continue
        for path in folder.rglob("*.py"):
            if "migrations" not in path.parts:
                found[_module_name(path)] = path
    return found


def _resolve(name: str, modules: dict[str, Path]) -> str:
    """The project module a dotted name denotes: itself, else its longest module prefix."""
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name


def _is_type_checking(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)


def _walk(node: ast.AST, function: str = "") -> Iterator[tuple[ast.AST, str]]:
    for child in ast.iter_child_nodes(node):
        if _is_type_checking(child):
            continue  # annotations only: no import at run time
        name = function
        if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
            name = child.name
        yield child, name
        yield from _walk(child, name)


def _commented(lines: list[str], line: int) -> bool:
    """A comment on the import's line, or above it (over a block of imports)."""
    if "#" in lines[line - 1]:
        return True
    above = line - 2
    while above >= 0 and lines[above].strip().startswith(("from ", "import ")):
        above -= 1
    return above >= 0 and lines[above].strip().startswith("#")


@cache
def imports() -> tuple[Import, ...]:
    modules = source_files()
    found = []
    for module, path in modules.items():
        text = path.read_text()
        lines = text.splitlines()
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        for node, function in _walk(ast.parse(text)):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")
                    anchor = anchor[: len(anchor) - node.level + 1]
                    base = ".".join([*anchor, base] if base else anchor)
                names = [f"{base}.{alias.name}" for alias in node.names] or [base]
            for name in names:
                target = _resolve(name, modules) or name.split(".")[0]
                found.append(
                    Import(
                        module,
                        target,
                        node.lineno,
                        bool(function),
                        function,
                        _commented(lines, node.lineno),
                    )
                )
    return tuple(found)


def _app(module: str) -> str:
    return module.split(".")[0]


def _project(imp: Import) -> bool:
    return _app(imp.target) in PROJECT and imp.target != _app(imp.target) + "?"


def test_arrows_point_down():
    wrong = []
    for imp in imports():
        source, target = _app(imp.module), _app(imp.target)
        if target not in PROJECT or source == target:
            continue
        if source == BOTTOM:
            wrong.append(f"{imp.module}:{imp.line} trial imports {imp.target}")
        elif source in DOMAIN_APPS and target != BOTTOM:
            wrong.append(f"{imp.module}:{imp.line} a domain app imports {imp.target}")
        elif source in REPORTING_APPS:
            if target in REPORTING_APPS:
                wrong.append(f"{imp.module}:{imp.line} a reporting app imports {imp.target}")
            elif target in DOMAIN_APPS and imp.target not in {
                f"{target}.{side}" for side in READ_SIDE
            }:
                wrong.append(f"{imp.module}:{imp.line} reads {imp.target}, not its read side")
    assert not wrong, "\n".join(wrong)


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """A cycle of the graph (its modules in order), or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_no_import_cycle():
    """Every import counts, the function-local ones too: a cycle hidden in a function is a
    cycle. A package's __init__ re-exporting its modules is an arrow from the package down;
    a module importing a sibling by its full name does not go through the package."""
    graph: dict[str, set[str]] = {}
    for imp in imports():
        if _app(imp.target) in PROJECT and imp.target != imp.module:
            graph.setdefault(imp.module, set()).add(imp.target)
    assert _cycle(graph) is None, " -> ".join(_cycle(graph) or [])


def test_function_local_imports_are_few_and_say_why():
    """Only an optional or heavy dependency is imported inside a function, with a comment
    saying why; a project module only in an AppConfig.ready(), where Django wants it."""
    wrong = []
    for imp in imports():
        if not imp.local:
            continue
        where = f"{imp.module}:{imp.line} ({imp.function})"
        if _app(imp.target) in PROJECT and not (
            imp.module.endswith(".apps") and imp.function == "ready"
        ):
            wrong.append(f"{where}: a project module imported in a function")
        elif not imp.commented:
            wrong.append(f"{where}: a function-local import without a comment saying why")
    assert not wrong, "\n".join(wrong)


def function_local_imports() -> list[Import]:
    """For the record (docs/architecture.md quotes the count)."""
    return [imp for imp in imports() if imp.local]


def _trial_tables() -> set[str]:
    """trial's table names, from its models' source: app label + lower-case class name."""
    tables = set()
    for module, path in source_files().items():
        if module.startswith("trial.models"):
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.ClassDef):
                    tables.add(f"trial_{node.name.lower()}")
    return tables


def _strings(tree: ast.AST) -> Iterator[tuple[int, str]]:
    """The string constants of a module, docstrings left out."""
    docstrings = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr):
            value = body[0].value
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                docstrings.add(id(value))
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in docstrings
        ):
            yield node.lineno, node.value


def test_domain_apps_name_no_table_of_trial():
    """A domain app reaches trial's tables through the ORM or `_meta.db_table`."""
    tables = _trial_tables()
    pattern = re.compile(r"\b(" + "|".join(sorted(tables)) + r")\b")
    wrong = [
        f"{module}:{line} {match.group(1)}"
        for module, path in source_files().items()
        if _app(module) in (*DOMAIN_APPS, *REPORTING_APPS)
        for line, text in _strings(ast.parse(path.read_text()))
        for match in [pattern.search(text)]
        if match
    ]
    assert not wrong, "\n".join(wrong)


# --- No other write path ---------------------------------------------------------------------

WRITES = {
    "save",
    "delete",
    "create",
    "update",
    "get_or_create",
    "update_or_create",
    "bulk_create",
    "bulk_update",
}
QUERYSET_STEPS = {
    "objects",
    "filter",
    "exclude",
    "all",
    "select_for_update",
    "select_related",
    "order_by",
    "forms",  # a participant's form-status rows (related manager)
}
SQL_WRITE = re.compile(r"\b(INSERT\s+INTO|DELETE\s+FROM|UPDATE\s+\S+\s+SET|TRUNCATE)\b")
# Modules that write without an action, and why.
WRITERS_ALLOWED = {
    "trial.roles": "ensure_groups: the five role groups, created after every migrate like "
    "reference data of a migration",
    "trial.guards": "installs the audit trail's database guards after migrate (DDL)",
    "trial.attach": "installs the audit context's attach function after migrate (DDL)",
    "trial.ledger": "installs the review ledger's triggers after migrate (DDL)",
    "trial.management.commands.audit_grants": "prints or runs the production role's grants",
}


def _is_action_module(module: str) -> bool:
    parts = module.split(".")
    return "actions" in parts


def _receiver_steps(node: ast.AST) -> set[str]:
    steps = set()
    while isinstance(node, ast.Attribute | ast.Call | ast.Subscript):
        if isinstance(node, ast.Attribute):
            steps.add(node.attr)
            node = node.value
        elif isinstance(node, ast.Call):
            node = node.func
        else:
            node = node.value
    return steps


def test_no_write_outside_the_actions():
    """Every write goes through an actions module (trial/actions/, <app>/actions.py), whose
    functions open a write session: a model's save or delete, a queryset's or manager's
    create, update, delete or bulk write, or SQL that writes, anywhere else fails here."""
    wrong = []
    for module, path in source_files().items():
        if _is_action_module(module) or module in WRITERS_ALLOWED:
            continue
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            method = node.func.attr
            if method not in WRITES:
                continue
            steps = _receiver_steps(node.func.value)
            if method in ("save", "delete") or steps & QUERYSET_STEPS:
                wrong.append(f"{module}:{node.lineno} .{method}()")
        for line, text in _strings(tree):
            if SQL_WRITE.search(text):
                wrong.append(f"{module}:{line} SQL that writes")
    assert not wrong, "\n".join(wrong)


def test_the_scan_sees_a_write():
    """The scan above is not blind: the writes of the actions package are found by it."""
    path = ROOT / "trial" / "actions" / "formstatus.py"
    tree = ast.parse(path.read_text())
    calls = [
        node.func.attr
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in WRITES
        and (
            node.func.attr in ("save", "delete")
            or _receiver_steps(node.func.value) & QUERYSET_STEPS
        )
    ]
    assert {"save", "bulk_create", "update"} <= set(calls)


def test_the_cycle_search_finds_a_cycle():
    """The cycle test above is not blind: a cycle through three modules is found."""
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": set()}
    assert _cycle(graph) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None
