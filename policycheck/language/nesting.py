"""How deeply conditions nest: the documented limit, and the depth of a condition through groups.

A chain of `and` (or of `or`) is one flat node however long it is; only true nesting counts:
`not`, a condition in parentheses inside another word, a group used in a condition. Every pass
that walks conditions recurses along that nesting, so it is bounded once, here, before any of
them runs (PC106).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from policycheck.language import nodes

#: Conditions nest at most this deep (README, "The policy language").
MAX_NESTING = 100
NESTING_HELP = (
    f"conditions nest at most {MAX_NESTING} levels deep (`not`, parentheses, groups); "
    "`not not x` is `x`, and a chain of `and` or of `or` needs no parentheses"
)


def operands(expr: nodes.Expr) -> tuple[nodes.Expr, ...]:
    """The conditions, operands and amounts directly inside an expression (a list's values
    aside): the one walk of the AST's expressions."""
    if isinstance(expr, nodes.And | nodes.Or):
        return expr.items
    if isinstance(expr, nodes.Not | nodes.Known):
        return (expr.operand,)
    if isinstance(expr, nodes.Compare):
        return (expr.left, expr.right)
    if isinstance(expr, nodes.Member):
        return (expr.operand,)
    if isinstance(expr, nodes.Within):
        return (expr.subject, expr.anchor)
    if isinstance(expr, nodes.OnOrBefore):  # with the conditions its limits count under
        conditions = tuple(limit.condition for limit in expr.limits if limit.condition)
        return (expr.subject, *expr.anchors, *conditions)
    if isinstance(expr, nodes.Between):
        return (expr.subject,)
    if isinstance(expr, nodes.Arith):
        return (expr.left, expr.right)
    if isinstance(expr, nodes.Extreme):
        return expr.items
    return ()


def level(part: nodes.Expr, parent: int, group_depth: Callable[[str], int | None]) -> int:
    """How deep `part` reaches inside a part at level `parent`: a condition one level deeper, a
    group one level deeper than its own definition, a fact or a value no deeper."""
    if isinstance(part, nodes.Ref):
        found = group_depth(part.name)
        return parent if found is None else parent + 1 + found
    return parent if isinstance(part, nodes.Literal) else parent + 1


def _levels(
    expr: nodes.Expr, group_depth: Callable[[str], int | None]
) -> Iterator[tuple[nodes.Expr, int]]:
    """Every part of `expr`, in order, with how deep it reaches. Iterative."""
    stack: list[tuple[nodes.Expr, int]] = [(expr, 0)]
    while stack:
        part, parent = stack.pop()
        reached = level(part, parent, group_depth)
        yield part, reached
        stack.extend((inner, reached) for inner in reversed(operands(part)))


def too_deep(
    expr: nodes.Expr, group_depth: Callable[[str], int | None], limit: int = MAX_NESTING
) -> nodes.Expr | None:
    """The first part of `expr` nested deeper than `limit` (`group_depth`: the depth of a
    group's definition, None for a name that is not a group); None when all of it is within
    the limit."""
    return next((part for part, reached in _levels(expr, group_depth) if reached > limit), None)


def depth(expr: nodes.Expr, group_depth: Callable[[str], int | None]) -> int:
    """How deep `expr` nests, a group counting as deep as its definition."""
    return max(reached for _, reached in _levels(expr, group_depth))


def refs(expr: nodes.Expr) -> list[nodes.Ref]:
    """Every name a condition refers to (facts, groups), in order, without the bare names
    compared with a fact (values). Iterative."""
    values = _compared_values(expr)
    found: list[nodes.Ref] = []
    stack = [expr]
    while stack:
        part = stack.pop()
        if isinstance(part, nodes.Ref) and id(part) not in values:
            found.append(part)
        stack.extend(reversed(operands(part)))
    return found


def group_uses(groups: dict[str, nodes.GroupDecl]) -> dict[str, list[str]]:
    """Group name -> the groups its definition refers to. A bare name compared with a fact is
    a value, never a group (`group electronics: product.category = electronics`), as the
    evaluator reads it (evaluation.compile: a comparison's operand is a fact or a value)."""
    return {
        name: list(dict.fromkeys(r.name for r in refs(g.expr) if r.name in groups))
        for name, g in groups.items()
    }


def _compared_values(expr: nodes.Expr) -> set[int]:
    """The ids of the bare names that are operands of a comparison in `expr`."""
    found: set[int] = set()
    stack = [expr]
    while stack:
        part = stack.pop()
        if isinstance(part, nodes.Compare):
            found.update(
                id(side)
                for side in (part.left, part.right)
                if isinstance(side, nodes.Ref) and "." not in side.name
            )
        stack.extend(operands(part))
    return found


def components(uses: dict[str, list[str]]) -> list[list[str]]:
    """The groups of `uses`, strongly connected component by component, each after every
    component it refers to (Tarjan's algorithm, iterative); a component is a cycle when it has
    several groups or one that refers to itself."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in uses:
        if root in index:
            continue
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        work = [(root, iter(uses[root]))]
        while work:
            name, following = work[-1]
            deeper = next((n for n in following if n not in index or n in on_stack), None)
            if deeper is not None:
                if deeper in index:
                    low[name] = min(low[name], index[deeper])
                else:
                    index[deeper] = low[deeper] = len(index)
                    stack.append(deeper)
                    on_stack.add(deeper)
                    work.append((deeper, iter(uses[deeper])))
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[name])
            if low[name] == index[name]:
                component: list[str] = []
                while not component or component[-1] != name:
                    component.append(stack.pop())
                    on_stack.discard(component[-1])
                found.append(component)
    return found


def group_depths(groups: dict[str, nodes.GroupDecl]) -> tuple[dict[str, int], set[str]]:
    """How deep each group's definition nests through the groups it uses, and the groups
    defined by themselves (depth 0: they are reported, never compiled)."""
    uses = group_uses(groups)
    depths: dict[str, int] = {}
    cyclic: set[str] = set()
    for component in components(uses):
        if len(component) > 1 or component[0] in uses[component[0]]:
            cyclic.update(component)
            depths.update(dict.fromkeys(component, 0))
        else:
            name = component[0]
            depths[name] = depth(groups[name].expr, depths.get)
    return depths, cyclic
