"""Rule-file text and positions in it."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True, slots=True, order=True)
class Span:
    """A region of a rule file: 1-based line and column of its first and past-the-last character."""

    line: int
    col: int
    end_line: int
    end_col: int

    @classmethod
    def point(cls, line: int, col: int) -> Span:
        """A one-character span."""
        return cls(line, col, line, col + 1)

    def to_dict(self) -> dict[str, dict[str, int]]:
        """JSON form: `{"start": {"line", "column"}, "end": {"line", "column"}}`."""
        return {
            "start": {"line": self.line, "column": self.col},
            "end": {"line": self.end_line, "column": self.end_col},
        }


@dataclass(frozen=True)
class Source:
    """A rule file's name (a path as given, or `<stdin>`) and its text."""

    name: str
    text: str
    _lines: list[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_lines", self.text.splitlines())

    @classmethod
    def read(cls, path: str | Path) -> Source:
        """Read a rule file as UTF-8."""
        return cls(str(path), Path(path).read_text(encoding="utf-8"))

    def line(self, number: int) -> str:
        """The text of 1-based line `number`, without its end of line; empty past the end."""
        return self._lines[number - 1] if 1 <= number <= len(self._lines) else ""

    def excerpt(self, span: Span) -> str:
        """The text under a span, on one line with spaces collapsed."""
        if span.line == span.end_line:
            text = self.line(span.line)[span.col - 1 : span.end_col - 1]
        else:
            parts = [self.line(span.line)[span.col - 1 :]]
            parts += [self.line(n) for n in range(span.line + 1, span.end_line)]
            parts.append(self.line(span.end_line)[: span.end_col - 1])
            text = " ".join(parts)
        return " ".join(text.split())

    @property
    def line_count(self) -> int:
        """Number of lines."""
        return len(self._lines)
