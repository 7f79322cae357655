"""Diagnostics: the product's face for legal teams (docs/language.md, "Diagnostics").

One headline in lowercase with user text in backticks, a location, the source line with carets
under the primary span (and dashes under secondary ones), and one help line.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from policycheck.language.source import Source, Span


class Severity(enum.Enum):
    """How bad a diagnostic is; errors stop a rule file from being compiled."""

    ERROR = "error"
    WARNING = "warning"
    NOTE = "note"  # what the analysis could not decide, or skipped: never fails a check


#: Every diagnostic code and its one-line meaning. A retired code is never reused.
CODES: dict[str, str] = {
    "PC101": "unexpected text",
    "PC102": "unexpected end of file",
    "PC103": "unknown character",
    "PC104": "unterminated text",
    "PC105": "impossible date",
    "PC106": "condition nested too deeply",
    "PC107": "date outside the supported years",
    "PC201": "unknown fact",
    "PC202": "unknown group",
    "PC203": "unknown clause",
    "PC204": "unknown calendar or unit",
    "PC205": "duplicate clause",
    "PC206": "duplicate fact",
    "PC207": "duplicate group",
    "PC208": "unknown name",
    "PC209": "duplicate calendar",
    "PC210": "duplicate example",
    "PC211": "not a language code",
    "PC212": "label or question given twice in one language",
    "PC301": "not a condition",
    "PC302": "values that cannot be compared",
    "PC303": "value not in the enum",
    "PC304": "period, last day or window of days on something that is not a date",
    "PC305": "no order on this type",
    "PC306": "`applies to` without a request kind",
    "PC307": "calendar that cannot be counted",
    "PC308": "region from a non-text fact",
    "PC309": "near miss that cannot be measured",
    "PC310": "unknown country",
    "PC311": "`is known` on something that is not a fact",
    "PC312": "example value of the wrong type",
    "PC313": "`expect proposal` without a proposal",
    "PC314": "period too long to count",
    "PC321": "version chosen by a fact that is not a date",
    "PC330": "unknown currency",
    "PC331": "arithmetic that does not apply to these values",
    "PC332": "a second currency in a policy",
    "PC333": "division by zero",
    "PC334": "fee or remedy that is not an amount of money",
    "PC335": "remedy without a condition before others",
    "PC336": "last day whose every limit has a condition",
    "PC401": "clause that decides nothing",
    "PC402": "overlapping clauses",
    "PC403": "precedence cycle",
    "PC404": "group defined by itself",
    "PC405": "policy that ends before it starts",
    "PC406": "unknown time zone",
    "PC407": "gap: requests no clause covers",
    "PC408": "clause that can never apply or is always overridden",
    "PC409": "condition that never or always holds",
    "PC410": "unused fact, group or calendar",
    "PC411": "two rule files define the same policy for the same days",
    "PC412": "analysis undecided within the solver's time limit",
    "PC413": "analyses skipped: the rule file's analysis budget ran out",
    "PC416": "customer's time zone that no region gives",
    "PC421": "versions of one policy chosen by different facts",
    "PC422": "versions of one policy without distinct version names",
    "PC423": "days between two versions of a policy with none in force",
    "PC601": "unknown law",
    "PC602": "law that is not a statute",
    "PC603": "unknown fact of the law",
    "PC604": "mapping of the wrong type",
    "PC605": "fact of the law not mapped",
    "PC606": "cycle of laws",
    "PC607": "law or law fact mapped twice",
    "PC608": "layer expected of terms without a law",
}


#: Codes found across several rule files (publishing a folder, or a policy and the law beneath
#: it), not in one file alone.
FOLDER_CODES = frozenset(
    {"PC411", "PC421", "PC422", "PC423", "PC601", "PC602", "PC603", "PC604", "PC605", "PC606"}
)


@dataclass(frozen=True, slots=True)
class Label:
    """A secondary span with a short note (`a date`)."""

    span: Span
    note: str


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """A problem found in a rule file, with where it is and how to fix it."""

    code: str
    severity: Severity
    message: str
    span: Span
    file: str
    note: str = ""  # printed after the carets under the primary span
    help: str = ""
    labels: tuple[Label, ...] = field(default=())

    def sort_key(self) -> tuple[str, Span, str]:
        """Order of reporting: by file, position, then code."""
        return (self.file, self.span, self.code)

    def to_dict(self) -> dict[str, object]:
        """JSON form, as served by the API and `--format json`."""
        return {
            "code": self.code,
            "severity": self.severity.value,
            "message": self.message,
            "file": self.file,
            **self.span.to_dict(),
            "help": self.help or None,
        }


def error(
    code: str, message: str, span: Span, source: Source, *, note: str = "", help: str = ""
) -> Diagnostic:
    """An error diagnostic in `source`, with the note under its carets and a help line."""
    assert code in CODES, code
    return Diagnostic(code, Severity.ERROR, message, span, source.name, note=note, help=help)


def render_text(diagnostic: Diagnostic, source: Source) -> str:
    """The diagnostic as text, in the rustc-like layout of docs/language.md."""
    span = diagnostic.span
    gutter = " " * len(str(span.line))
    lines = [
        f"{diagnostic.severity.value}[{diagnostic.code}]: {diagnostic.message}",
        f"{gutter}--> {diagnostic.file}:{span.line}:{span.col}",
        f"{gutter} |",
        f"{span.line} | {source.line(span.line)}".rstrip(),
    ]
    lines += [f"{gutter} | {row}".rstrip() for row in _underlines(diagnostic, source)]
    if diagnostic.help:
        lines.append(f"{gutter} = help: {diagnostic.help}")
    return "\n".join(lines)


def _underlines(diagnostic: Diagnostic, source: Source) -> list[str]:
    """Marker rows under the source line: primary `^`, secondary `-`, notes hanging from them."""
    span = diagnostic.span
    width = len(source.line(span.line))
    marks = [(span.col, _width(span, width), "^", diagnostic.note)]
    marks += [
        (label.span.col, _width(label.span, width), "-", label.note)
        for label in diagnostic.labels
        if label.span.line == span.line
    ]
    marks.sort()
    row = ""
    for col, size, char, _ in marks:
        row = row.ljust(col - 1) + char * size
    *hanging, (_, _, _, last_note) = marks
    rows = [f"{row} {last_note}".rstrip()]
    for index in range(len(hanging) - 1, -1, -1):
        bars = ""
        for col, *_ in hanging[: index + 1]:
            bars = bars.ljust(col - 1) + "|"
        rows.append(bars)
        text = ""
        for col, *_ in hanging[:index]:
            text = text.ljust(col - 1) + "|"
        rows.append(text.ljust(hanging[index][0] - 1) + hanging[index][3])
    return rows


def _width(span: Span, line_width: int) -> int:
    if span.end_line != span.line:
        return max(1, line_width - span.col + 1)
    return max(1, span.end_col - span.col)
