"""What a rendered policy document shows, in reading order: the model `render` fills and
`render_formats` writes as HTML or markdown."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Line:
    """One labelled statement: English `text`, then `quoted` text in the policy's language."""

    label: str
    text: str
    quoted: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()  # the rule file's comments about it


@dataclass(frozen=True)
class ClauseView:
    """A clause: its terms verbatim, its reading in words, the drafter's notes, the formal text."""

    id: str
    title: str
    source: str | None
    reading: tuple[Line, ...]
    notes: tuple[str, ...]
    formal: str


@dataclass(frozen=True)
class ExampleView:
    """A worked example in words, and whether the policy meets it today."""

    name: str
    given: tuple[str, ...]
    proposed: str
    expected: tuple[str, ...]
    failures: tuple[str, ...]

    @property
    def passed(self) -> bool:
        """True when every expectation held."""
        return not self.failures


@dataclass(frozen=True)
class Document:
    """Everything the rendered document shows, in reading order."""

    title: str
    language: str
    header: tuple[Line, ...]
    notes: tuple[str, ...]
    facts: tuple[tuple[str, str, str, str, str], ...]  # name, words, type, personal, question
    calendars: tuple[Line, ...]
    definitions: tuple[Line, ...]
    outside: tuple[Line, ...]
    clauses: tuple[ClauseView, ...]
    examples: tuple[ExampleView, ...] = field(default=())
    words_language: str = "en"  # the language of the document's own words (`en`, `fr`)
