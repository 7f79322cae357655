"""What every verb shares: exit statuses, input errors, the help layout, reading rule files and
JSON, printing JSON and diagnostics. A verb module holds its options and its handler only."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, NoReturn, TextIO, TypeAlias

from policycheck.calendar import CalendarError
from policycheck.language.diagnostics import Diagnostic, render_text
from policycheck.language.source import Source
from policycheck.policy import RuleFileError

EXIT_OK = 0  # done; nothing found
EXIT_FAILED = 1  # findings or failures: errors in a rule file, failed examples, changes, a bad log
EXIT_USAGE = 2  # the command cannot run: bad arguments, unreadable input, invalid facts

Handler = Callable[[argparse.Namespace], int]
Commands: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"  # what add_parser is on


class InputError(Exception):
    """Bad arguments or unreadable input (a missing file, malformed JSON): one line, exit 2."""


INPUT_ERRORS = (InputError, CalendarError)  # what `main` reports in one line with exit status 2


class Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line, never a usage dump or a traceback."""

    def error(self, message: str) -> NoReturn:
        raise InputError(f"{message} (see `{self.prog} --help`)")


class HelpFormatter(argparse.HelpFormatter):
    """Descriptions wrapped, examples kept as written; every option's default shown after its
    help, unless the help already says it (`default: ...`, `(required)`)."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        if "\n" in text:  # laid out by hand (the examples)
            return "".join(indent + line for line in text.splitlines(keepends=True))
        return super()._fill_text(text, width, indent)

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        if not action.option_strings or action.default is argparse.SUPPRESS:
            return text
        if "default:" in text or "(required)" in text:
            return text
        if action.nargs == 0:  # a flag
            return f"{text} (default: off)"
        return f"{text} (default: %(default)s)"


def add_verb(
    commands: Commands,
    name: str,
    *,
    summary: str,
    description: str,
    examples: Sequence[str],
    handler: Handler | None = None,
) -> argparse.ArgumentParser:
    """Register a verb (or an action of one): its one-line summary in the list of commands, its
    description, and its examples last in its `--help`. `examples` are shell lines run as shown
    by the tests (in a scratch copy of the repository's rules/); `# exit 1 ...` notes a status."""
    parser: argparse.ArgumentParser = commands.add_parser(
        name,
        help=summary,
        description=description,
        epilog=examples_epilog(examples),
        formatter_class=HelpFormatter,
    )
    if handler is not None:
        parser.set_defaults(handler=handler)
    return parser


def examples_epilog(examples: Sequence[str]) -> str:
    """The `examples:` section that ends a `--help` (two spaces in: the list of verbs has four)."""
    return "examples:\n" + "\n".join(f"  {line}" for line in examples)


def add_format(
    parser: argparse.ArgumentParser,
    choices: Sequence[str] = ("text", "json"),
    default: str = "text",
) -> None:
    """The `--format` option: how the result is printed."""
    parser.add_argument(
        "--format",
        choices=list(choices),
        default=default,
        help="how to print the result: " + ", ".join(choices),
    )


def read_source(name: str) -> Source:
    """The rule file `name`, read as UTF-8; InputError (exit 2) when it cannot be read."""
    try:
        return Source.read(Path(name))
    except (OSError, UnicodeDecodeError) as problem:
        reason = getattr(problem, "strerror", None) or problem
        raise InputError(f"cannot read `{name}`: {reason}") from None


def read_json(text: str, what: str) -> Any:
    """`text` parsed as JSON; InputError naming `what` and the place of the first mistake."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as problem:
        raise InputError(
            f"{what} is not valid JSON: {problem.msg} at line {problem.lineno}, "
            f"column {problem.colno}"
        ) from None


def read_facts(name: str, what: str = "--facts") -> Any:
    """The JSON in the file `name`, or on standard input when `name` is `-`."""
    return read_json(sys.stdin.read() if name == "-" else read_source(name).text, what)


def rule_files(paths: Iterable[str], default: str = "rules") -> list[Path]:
    """The `.policy` files named or found (recursively, sorted) under `paths` (else `default`)."""
    found: list[Path] = []
    for name in list(paths) or [default]:
        path = Path(name)
        if path.is_dir():
            found += sorted(path.rglob("*.policy"))
        elif path.is_file():
            found.append(path)
        else:
            raise InputError(f"no rule file or folder `{name}`")
    return found


def print_json(value: Any, *, ensure_ascii: bool = False) -> None:
    """`value` as indented JSON on standard output."""
    print(json.dumps(value, indent=2, ensure_ascii=ensure_ascii))


def json_line(value: Any) -> str:
    """`value` as one line of JSON (a JSON Lines record), with its newline."""
    return json.dumps(value, ensure_ascii=False) + "\n"


def print_diagnostics(
    diagnostics: Iterable[Diagnostic], source: Source, file: TextIO | None = None
) -> None:
    """Each diagnostic in its text layout, followed by a blank line."""
    for diagnostic in diagnostics:
        print(render_text(diagnostic, source), end="\n\n", file=file)


def report_broken(broken: RuleFileError) -> None:
    """A rule file that does not load: its diagnostics on standard error, blank-line separated."""
    print(str(broken), file=sys.stderr)


def plural(count: int, noun: str, many: str | None = None) -> str:
    """`1 file`, `3 files` (`many` for an irregular plural: `entries`)."""
    return f"{count} {noun if count == 1 else many or noun + 's'}"
