"""Parsing rule files: text -> Lark parse tree, or PC1xx diagnostics in the DSL's own words."""

from __future__ import annotations

import difflib
import functools
import re
from importlib import resources

from lark import Lark, Token, Tree
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken
from lark.lexer import PatternStr

from policycheck.language.diagnostics import Diagnostic, error
from policycheck.language.nesting import MAX_NESTING, NESTING_HELP
from policycheck.language.source import Source, Span

MAX_SYNTAX_ERRORS = 20

# What a terminal is called in a diagnostic: the DSL's words, never Lark's.
_TERMINAL_WORDS = {
    "$END": "end of file",
    "NAME": "a name",
    "ID": "an identifier",
    "STRING": 'text in double quotes ("...")',
    "DATE": "a date (YYYY-MM-DD)",
    "INT": "a whole number",
    "NUMBER": "a number",
    "BOOL": "`true` or `false`",
    "OUTCOME": "`allow` or `refuse`",
    "LEVEL": "`agent` or `supervisor`",
    "TYPE_NAME": "a type (bool, date, datetime, number, money, text)",
    "WEEKDAY": "a weekday (monday ... sunday)",
    "COUNTRY": "a country code (FR, BE, DE...)",
    "COMPARATOR": "a comparison (=, !=, <, <=, >, >=)",
    "EQ": "`=`",
    "KNOWN": "`known` or `unknown`",
    "PERSONAL": "`personal`",
    "MAY": "`may`",
    "AFTER": "`after`",
    "RESULT": "an outcome (allow, refuse, needs_info, no_clause, conflict)",
    "VERDICT": "`agrees` or `disagrees`",
    "DATETIME": "a date and time (2012-06-01T23:30+02:00)",
    "BEFORE": "`before`",
    "PERCENT": "a percentage (15%)",
    "CURRENCY": "a currency (USD, EUR, €, £)",
    "ADD_OP": "`+` or `-`",
    "MUL_OP": "`*` (or `\N{MULTIPLICATION SIGN}`) or `/`",
}
# The parse-tree nodes of conditions: each one nests a level deeper (parentheses make none).
_CONDITIONS = frozenset(
    {"or_", "and_", "not_", "compare", "member", "within", "known", "between"}
    | {"on_or_before", "on_or_before_later", "on_or_before_earlier", "arith", "percent_of"}
)
# A line that starts a new top-level section: where parsing resumes after an error.
_RESYNC = re.compile(r"^[ \t]*(clause|group|calendar|facts|example|outside)\b", re.MULTILINE)


def grammar_text() -> str:
    """The grammar (Lark, LALR): `policy.lark` beside this module, in the tree as in the wheel."""
    return resources.files(__package__).joinpath("policy.lark").read_text("utf-8")


@functools.cache
def parser() -> Lark:
    """The LALR parser, built once per process."""
    return Lark(grammar_text(), parser="lalr", propagate_positions=True, maybe_placeholders=False)


def parse(source: Source) -> tuple[Tree[Token] | None, list[Diagnostic]]:
    """Parse a rule file: the tree when it is well-formed, else every syntax error found."""
    text = source.text
    diagnostics: list[Diagnostic] = []
    while len(diagnostics) < MAX_SYNTAX_ERRORS:
        try:
            tree = parser().parse(text)
        except UnexpectedInput as problem:
            diagnostic = _diagnostic(problem, source)
            diagnostics.append(diagnostic)
            resumed = _skip_section(text, diagnostic.span.line)
            if resumed is None:
                break
            text = resumed
            continue
        diagnostics += _too_deep(tree, source)
        return (tree if not diagnostics else None), diagnostics
    return None, diagnostics


def _too_deep(tree: Tree[Token], source: Source) -> list[Diagnostic]:
    """PC106 for each condition nested deeper than MAX_NESTING, at its first part past the
    limit: the later passes recurse along nesting. Iterative, however deep the tree."""
    found: list[Diagnostic] = []
    reported: set[int] = set()  # the conditions reported, by the id of their outermost node
    stack: list[tuple[Tree[Token], int, int]] = [(tree, 0, 0)]
    while stack and len(found) < MAX_SYNTAX_ERRORS:
        node, depth, outermost = stack.pop()
        if node.data in _CONDITIONS:
            depth += 1
            outermost = outermost or id(node)
        if outermost in reported:
            continue
        if depth > MAX_NESTING:
            reported.add(outermost)
            line, col = node.meta.line, node.meta.column
            word = re.match(r"\w+|.", source.line(line)[col - 1 :])
            found.append(
                error(
                    "PC106",
                    "condition nested too deeply",
                    Span(line, col, line, col + (len(word.group()) if word else 1)),
                    source,
                    note=f"more than {MAX_NESTING} levels deep",
                    help=NESTING_HELP,
                )
            )
            continue
        stack.extend((c, depth, outermost) for c in reversed(node.children) if isinstance(c, Tree))
    return found


def _skip_section(text: str, line: int) -> str | None:
    """The text with the broken section blanked out up to the next top-level keyword.

    Line breaks are kept so that positions in later sections stay true. None when the error is
    in the header (what follows would only repeat it) or nothing after it starts a section.
    """
    next_line = _line_offset(text, line + 1)
    start = None
    for match in _RESYNC.finditer(text, 0, next_line):
        start = match.start()
    following = _RESYNC.search(text, next_line)
    if start is None or following is None:
        return None
    blank = re.sub(r"[^\n]", " ", text[start : following.start()])
    return text[:start] + blank + text[following.start() :]


def _line_offset(text: str, line: int) -> int:
    offset = 0
    for _ in range(line - 1):
        found = text.find("\n", offset)
        if found < 0:
            return len(text)
        offset = found + 1
    return offset


def _diagnostic(problem: UnexpectedInput, source: Source) -> Diagnostic:
    line, col = max(1, problem.line), max(1, problem.column)
    if isinstance(problem, UnexpectedCharacters):
        char = source.line(line)[col - 1 : col] or " "
        if char == '"':
            return error(
                "PC104",
                "unterminated text",
                Span.point(line, col),
                source,
                note="this quote is never closed on its line",
                help='close the text with `"` before the end of the line',
            )
        return error(
            "PC103",
            f"unexpected character `{char}`",
            Span.point(line, col),
            source,
            note="not part of the language",
            help="remove it; conditions use and, or, not, =, !=, <, <=, >, >=, in [...], and text "
            'goes inside double quotes ("...")',
        )
    assert isinstance(problem, UnexpectedToken)
    token = problem.token
    if token.type == "$END":
        end_line = max(1, source.line_count)
        end_col = len(source.line(end_line)) + 1
        return error(
            "PC102",
            "unexpected end of file",
            Span.point(end_line, end_col),
            source,
            note="the file stops here",
            help=_expected_help(problem.expected),
        )
    width = max(1, len(str(token)))
    span = Span(line, col, line, col + width) if "\n" not in str(token) else Span.point(line, col)
    return error(
        "PC101",
        f"unexpected `{_shorten(str(token))}`",
        span,
        source,
        note=f"expected {_expected_words(problem.expected)}",
        help=_did_you_mean(str(token), problem.expected) or _expected_help(problem.expected),
    )


# Expected where a condition starts, but rarely what was meant there: listed after the others.
_SECONDARY = frozenset({"FEES", "MIN", "MAX", "PERCENT"})


def _expected_words(expected: set[str]) -> str:
    ranked = sorted({(name in _SECONDARY, _word(name)) for name in expected})
    words = list(dict.fromkeys(word for _, word in ranked))
    if len(words) > 6:
        words = [*words[:6], "..."]
    return " or ".join(words) if len(words) <= 2 else ", ".join(words[:-1]) + " or " + words[-1]


def _did_you_mean(found: str, expected: set[str]) -> str:
    """`did you mean `when`?` when the text is a near miss of an expected keyword."""
    keywords = [w.strip("`") for w in map(_word, expected) if w.startswith("`") and " " not in w]
    close = difflib.get_close_matches(found, keywords, n=1, cutoff=0.6)
    return f"did you mean `{close[0]}`?" if close else ""


def _expected_help(expected: set[str]) -> str:
    return f"write {_expected_words(expected)} here" if expected else ""


@functools.cache
def _word(terminal: str) -> str:
    if terminal in _TERMINAL_WORDS:
        return _TERMINAL_WORDS[terminal]
    try:
        pattern = parser().get_terminal(terminal).pattern
    except KeyError:
        return terminal.lower()
    if isinstance(pattern, PatternStr):
        return f"`{pattern.value}`"
    return terminal.lower()


def _shorten(text: str) -> str:
    return text if len(text) <= 30 else text[:27] + "..."
