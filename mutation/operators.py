"""The mutations: small changes a bug would make, found on the module's syntax tree.

Each mutant replaces one node's source text and nothing else, so the rest of the file (and
every line number before it) stays as written. Operators:

- compare: flip a comparison (== !=, < >=, > <=, in / not in, is / is not)
- boolop: `and` <-> `or`
- negate: `not (...)` around an `if`/`while`/conditional-expression test; drop a `not`
- drop: a statement that does something (a call, an assignment, a raise) becomes `pass`
- kwarg: remove one keyword argument from a call
- const: True <-> False, None -> "" (not in signatures or annotations)
- int: n -> n + 1
"""

from __future__ import annotations

import ast
import copy
from dataclasses import dataclass

COMPARE_FLIP = {
    ast.Eq: ast.NotEq, ast.NotEq: ast.Eq, ast.Lt: ast.GtE, ast.GtE: ast.Lt, ast.Gt: ast.LtE,
    ast.LtE: ast.Gt, ast.In: ast.NotIn, ast.NotIn: ast.In, ast.Is: ast.IsNot, ast.IsNot: ast.Is,
}
# Calls whose loss no user notices (logging); not mutated, see mutation/equivalent.md.
QUIET_CALLS = {"log", "logger", "logging"}


@dataclass(frozen=True)
class Mutant:
    module: str        # path relative to the repository, e.g. "tickets/services.py"
    function: str      # enclosing qualified name, or "<module>"
    operator: str
    line: int
    original: str      # the first line of the replaced source, stripped
    replacement: str   # what replaces it (first line)
    start: tuple[int, int]
    end: tuple[int, int]
    new_text: str
    ordinal: int = 0   # the nth mutant with the same key in the same function
    target: str = ""   # the outermost function holding it ("Class.method"); "" at class/module level

    @property
    def key(self) -> str:
        """Stable across edits elsewhere in the file (no line number): used by equivalent.md."""
        suffix = f" #{self.ordinal + 1}" if self.ordinal else ""
        return f"{self.module}::{self.function}: {self.original} -> {self.replacement}{suffix}"


def _first_line(text: str) -> str:
    return " ".join(text.strip().splitlines()[0].split()) if text.strip() else text


class _Finder(ast.NodeVisitor):
    def __init__(self, module: str, source: str) -> None:
        self.module = module
        self.source = source
        self.lines = source.splitlines(keepends=True)
        self.scope: list[str] = []
        self.kinds: list[str] = []
        self.bound: list[set[str]] = [set()]  # names bound so far, per function
        self.found: list[Mutant] = []
        self._skip: set[int] = set()   # ids of nodes never mutated (annotations, defaults)

    # -- bookkeeping --------------------------------------------------------------------
    def _segment(self, node: ast.AST) -> str:
        return ast.get_source_segment(self.source, node) or ""

    def _add(self, node: ast.AST, operator: str, new_text: str, replacement: str | None = None,
             *, whole_lines: bool = False) -> None:
        original = self._segment(node)
        if not original:
            return
        self.found.append(Mutant(
            module=self.module, function=".".join(self.scope) or "<module>", operator=operator,
            line=node.lineno, original=_first_line(original),
            replacement=_first_line(replacement if replacement is not None else new_text),
            start=(node.lineno, node.col_offset), end=(node.end_lineno, node.end_col_offset),
            new_text=new_text, target=self._target()))

    def _target(self) -> str:
        if "def" not in self.kinds:
            return ""
        return ".".join(self.scope[: self.kinds.index("def") + 1])

    def _expr(self, node: ast.AST, mutated: ast.AST, operator: str) -> None:
        self._add(node, operator, f"({ast.unparse(mutated)})", ast.unparse(mutated))

    def _skip_tree(self, node: ast.AST | None) -> None:
        if node is not None:
            self._skip.update(id(n) for n in ast.walk(node))

    # -- scopes ---------------------------------------------------------------------------
    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        args = node.args
        for default in [*args.defaults, *args.kw_defaults]:
            self._skip_tree(default)
        for arg in [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]:
            if arg is not None:
                self._skip_tree(arg.annotation)
        self._skip_tree(node.returns)
        for decorator in node.decorator_list:
            self._skip_tree(decorator)
        self.scope.append(node.name)
        self.kinds.append("def")
        self.bound.append({a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs,
                                            args.vararg, args.kwarg] if a is not None})
        self._body(node.body)
        self.bound.pop()
        self.scope.pop()
        self.kinds.pop()

    visit_FunctionDef = _function
    visit_AsyncFunctionDef = _function

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        for decorator in node.decorator_list:
            self._skip_tree(decorator)
        self.scope.append(node.name)
        self.kinds.append("class")
        self._body(node.body)
        self.scope.pop()
        self.kinds.pop()

    def _body(self, body: list[ast.stmt]) -> None:
        start = 1 if body and _is_docstring(body[0]) else 0
        for stmt in body[start:]:
            self.visit(stmt)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        self._skip_tree(node.annotation)
        self._maybe_drop(node)
        self.generic_visit(node)

    def visit_JoinedStr(self, node: ast.JoinedStr) -> None:
        return  # f-strings: text, not logic

    # -- statements -----------------------------------------------------------------------
    def _maybe_drop(self, node: ast.stmt) -> None:
        self._add(node, "drop", "pass")

    def visit_Expr(self, node: ast.Expr) -> None:
        if isinstance(node.value, ast.Call) and not _quiet(node.value):
            self._maybe_drop(node)
        elif isinstance(node.value, ast.Call):
            return  # a log line: not mutated at all
        self.generic_visit(node)

    def visit_Assign(self, node: ast.Assign) -> None:
        # Dropping the first binding of a local only raises NameError, which any test
        # notices; a changed attribute, item or rebound name is what a bug would lose.
        # Module-level constants are configuration, not logic.
        names = {t.id for t in node.targets if isinstance(t, ast.Name)}
        rebinds = all(isinstance(t, ast.Name) and t.id in self.bound[-1] for t in node.targets)
        if self.scope and (rebinds or any(isinstance(t, ast.Attribute | ast.Subscript)
                                          for t in node.targets)):
            self._maybe_drop(node)
        self.bound[-1].update(names)
        self.generic_visit(node)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        self._maybe_drop(node)
        self.generic_visit(node)

    def visit_Raise(self, node: ast.Raise) -> None:
        self._maybe_drop(node)
        self.generic_visit(node)

    def visit_If(self, node: ast.If) -> None:
        self._negate(node.test)
        self.generic_visit(node)

    def visit_While(self, node: ast.While) -> None:
        self._negate(node.test)
        self.generic_visit(node)

    def visit_IfExp(self, node: ast.IfExp) -> None:
        self._negate(node.test)
        self.generic_visit(node)

    def _negate(self, test: ast.expr) -> None:
        if id(test) in self._skip or (isinstance(test, ast.Constant)):
            return
        if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
            return  # visit_UnaryOp drops the `not`
        if isinstance(test, ast.Compare) and len(test.ops) == 1 and type(test.ops[0]) in COMPARE_FLIP:
            return  # the same mutant as flipping the comparison
        self._expr(test, ast.UnaryOp(op=ast.Not(), operand=copy.deepcopy(test)), "negate")

    # -- expressions ----------------------------------------------------------------------
    def generic_visit(self, node: ast.AST) -> None:
        if id(node) in self._skip:
            return
        super().generic_visit(node)

    def visit_Compare(self, node: ast.Compare) -> None:
        if id(node) not in self._skip:
            for i, op in enumerate(node.ops):
                flipped = COMPARE_FLIP.get(type(op))
                if flipped:
                    if isinstance(node.comparators[i], ast.Constant) and node.comparators[i].value is None:
                        self._skip.add(id(node.comparators[i]))  # `is ""` would repeat the flip
                    mutated = copy.deepcopy(node)
                    mutated.ops[i] = flipped()
                    self._expr(node, mutated, "compare")
        self.generic_visit(node)

    def visit_BoolOp(self, node: ast.BoolOp) -> None:
        if id(node) not in self._skip:
            mutated = copy.deepcopy(node)
            mutated.op = ast.Or() if isinstance(node.op, ast.And) else ast.And()
            self._expr(node, mutated, "boolop")
        self.generic_visit(node)

    def visit_UnaryOp(self, node: ast.UnaryOp) -> None:
        if id(node) not in self._skip and isinstance(node.op, ast.Not):
            self._expr(node, copy.deepcopy(node.operand), "negate")
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        if _quiet(node):
            return
        if id(node) not in self._skip:
            for i, keyword in enumerate(node.keywords):
                if keyword.arg is None:
                    continue
                mutated = copy.deepcopy(node)
                del mutated.keywords[i]
                self._add(node, "kwarg", f"({ast.unparse(mutated)})", f"drop {keyword.arg}=")
        self.generic_visit(node)

    def visit_Constant(self, node: ast.Constant) -> None:
        if id(node) in self._skip or not self.scope:  # module constants are configuration
            return
        if node.value is True or node.value is False:
            self._add(node, "const", str(not node.value))
        elif node.value is None:
            self._add(node, "const", '""')
        elif type(node.value) is int:
            self._add(node, "int", str(node.value + 1))


def _is_docstring(stmt: ast.stmt) -> bool:
    return isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant) and isinstance(
        stmt.value.value, str)


def _quiet(call: ast.Call) -> bool:
    func = call.func
    while isinstance(func, ast.Attribute):
        func = func.value
    return isinstance(func, ast.Name) and func.id in QUIET_CALLS


def find_mutants(module: str, source: str) -> list[Mutant]:
    """Every mutant of `source`, in file order, each with a key unique in the module."""
    finder = _Finder(module, source)
    tree = ast.parse(source)
    for stmt in tree.body[1 if tree.body and _is_docstring(tree.body[0]) else 0:]:
        finder.visit(stmt)
    seen: dict[str, int] = {}
    result = []
    for mutant in sorted(finder.found, key=lambda m: (m.start, m.end, m.operator)):
        base = Mutant(**{**mutant.__dict__, "ordinal": 0}).key
        ordinal = seen.get(base, 0)
        seen[base] = ordinal + 1
        result.append(Mutant(**{**mutant.__dict__, "ordinal": ordinal}))
    return result


def apply(source: str, mutant: Mutant) -> str:
    """The module's source with the mutant in place; the result must still parse."""
    lines = source.splitlines(keepends=True)
    (sl, sc), (el, ec) = mutant.start, mutant.end
    # Offsets are in UTF-8 bytes.
    head = lines[sl - 1].encode()[:sc].decode()
    tail = lines[el - 1].encode()[ec:].decode()
    text = "".join(lines[: sl - 1]) + head + mutant.new_text + tail + "".join(lines[el:])
    ast.parse(text)
    return text
