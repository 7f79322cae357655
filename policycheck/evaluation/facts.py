"""Facts of a request, validated against a policy's declared schema before any evaluation."""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from policycheck.calendar.errors import MAX_YEAR, MIN_YEAR
from policycheck.language import nodes
from policycheck.language.money import CurrencyError, Money, currency_code

FactValue = bool | date | datetime | Decimal | Money | str
_Day = TypeVar("_Day", date, datetime)
Parser = Callable[[Any], FactValue]


class PolicyError(Exception):
    """A rule file that cannot be loaded, or input that cannot be evaluated."""


@dataclass(frozen=True, slots=True)
class FactProblem:
    """One problem with the submitted facts (or proposal), with a stable code."""

    code: str
    fact: str
    message: str

    def to_dict(self) -> dict[str, str]:
        """JSON form: `{"code": "PC502", "fact": "product.used", "message": "..."}`."""
        return {"code": self.code, "fact": self.fact, "message": self.message}


class FactsError(PolicyError):
    """Facts that do not match the schema: every problem, not just the first."""

    def __init__(self, problems: list[FactProblem]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{p.fact}: {p.message}" for p in problems))


class _InvalidValueError(ValueError):
    """A value of the wrong type or form: (code, message)."""


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    raise _InvalidValueError("PC502", f"expected true or false, got {_show(value)}")


def _number(value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise _InvalidValueError("PC502", f"expected a number, got {_show(value)}")
    if isinstance(value, float) and not math.isfinite(value):
        raise _InvalidValueError("PC502", f"expected a finite number, got {value}")
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise _InvalidValueError("PC502", f"expected a number, got {_show(value)}") from None
    if not number.is_finite():
        raise _InvalidValueError("PC502", f"expected a finite number, got {_show(value)}")
    if not math.isfinite(float(number)):
        raise _InvalidValueError(
            "PC502", f"number {_show(value)} is too large: at most about 1.8e308 in size"
        )
    return number


def _money(currency: str) -> Parser:
    """A `money USD` fact: `{"value": "199.80", "currency": "USD"}`, `"199.80 USD"`, or a bare
    number or decimal string (in the fact's currency); another currency is PC508."""

    def parse(value: Any) -> Money:
        given: str | None = None
        if isinstance(value, Mapping):
            if set(value) != {"value", "currency"}:
                raise _InvalidValueError(
                    "PC502",
                    f'expected an amount such as {{"value": "199.80", "currency": "{currency}"}}',
                )
            value, given = value["value"], value["currency"]
            if not isinstance(given, str):
                raise _InvalidValueError("PC502", f"expected a currency code, got {_show(given)}")
        elif isinstance(value, str) and " " in value.strip():
            value, given = value.strip().rsplit(" ", 1)
        amount = _number(value)
        if given is not None:
            try:
                given = currency_code(given.strip())
            except CurrencyError as problem:
                raise _InvalidValueError("PC503", str(problem)) from None
            if given != currency:
                raise _InvalidValueError(
                    "PC508", f"an amount in {given}, and this policy's amounts are in {currency}"
                )
        return Money(currency, amount)

    return parse


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    raise _InvalidValueError("PC502", f"expected text, got {_show(value)}")


def _date_or_datetime(tz: ZoneInfo) -> Parser:
    """A date fact: `2012-04-04`, or a date-time with offset read as its local day in `tz`."""

    def parse(value: Any) -> date:
        if not isinstance(value, str):
            raise _InvalidValueError("PC502", f"expected a date (YYYY-MM-DD), got {_show(value)}")
        try:
            moment = (
                date.fromisoformat(value) if len(value) == 10 else datetime.fromisoformat(value)
            )
        except ValueError:
            raise _InvalidValueError(
                "PC503",
                f"malformed date {_show(value)}: expected YYYY-MM-DD or a date-time "
                "with offset such as 2012-06-01T23:30+02:00",
            ) from None
        _supported(moment, value)
        if not isinstance(moment, datetime):
            return moment
        if moment.tzinfo is None:
            raise _InvalidValueError(
                "PC503", f"date-time {_show(value)} needs an offset such as +02:00"
            )
        return _supported(moment.astimezone(tz), value).date()

    return parse


def _supported(moment: _Day, value: Any) -> _Day:
    """`moment` if its year is one the calendar counts in (PC506 otherwise); a date-time is
    checked as given before it is moved to another time zone, which could overflow."""
    if not MIN_YEAR <= moment.year <= MAX_YEAR:
        raise _InvalidValueError(
            "PC506",
            f"{_show(value)} is outside the supported years: dates from {MIN_YEAR} to "
            f"{MAX_YEAR} are supported",
        )
    return moment


def _datetime(tz: ZoneInfo) -> Parser:
    def parse(value: Any) -> datetime:
        if not isinstance(value, str):
            raise _InvalidValueError("PC502", f"expected a date-time, got {_show(value)}")
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            raise _InvalidValueError(
                "PC503", f"malformed date-time {_show(value)}: expected 2012-06-01T23:30+02:00"
            ) from None
        moment = moment if moment.tzinfo is not None else moment.replace(tzinfo=tz)
        _supported(moment, value)
        _supported(moment.astimezone(tz), value)
        return moment

    return parse


def _enum(values: tuple[str, ...]) -> Parser:
    allowed = frozenset(values)

    def parse(value: Any) -> str:
        if isinstance(value, str) and value in allowed:
            return value
        close = difflib.get_close_matches(str(value), values, n=1, cutoff=0.75)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise _InvalidValueError(
            "PC504", f"{_show(value)} is not one of: {', '.join(values)}{hint}"
        )

    return parse


def _show(value: Any) -> str:
    text = repr(value) if not isinstance(value, bool) else str(value).lower()
    return text if len(text) <= 40 else text[:37] + "..."


class FactSchema:
    """The declared facts of a policy, as a tree of parsers matching the nested JSON."""

    def __init__(self, facts: tuple[nodes.FactDecl, ...], tz: ZoneInfo) -> None:
        self.declared = {fact.name: fact for fact in facts}
        self.tz = tz
        self.tree = self._tree(tz)
        self._trees = {tz: self.tree}  # by the zone that reads date-times (the customer's clock)
        # Where the date and datetime facts are (`("request", "date")`): what a zone can change.
        self.timed = tuple(
            tuple(f.name.split(".")) for f in facts if f.type.kind in ("date", "datetime")
        )

    def _tree(self, tz: ZoneInfo) -> dict[str, Any]:
        tree: dict[str, Any] = {}
        for fact in self.declared.values():
            branch = tree
            *parents, leaf = fact.name.split(".")
            for part in parents:
                branch = branch.setdefault(part, {})
            branch[leaf] = (fact.name, self._parser(fact.type, tz))
        return tree

    def tree_in(self, tz: ZoneInfo) -> dict[str, Any]:
        """The parsers that read date-times in `tz` (built once per zone)."""
        tree = self._trees.get(tz)
        if tree is None:
            tree = self._trees.setdefault(tz, self._tree(tz))
        return tree

    @staticmethod
    def _parser(fact_type: nodes.FactType, tz: ZoneInfo) -> Parser:
        kind = fact_type.kind
        if kind == "enum":
            return _enum(fact_type.values)
        if kind == "date":
            return _date_or_datetime(tz)
        if kind == "datetime":
            return _datetime(tz)
        if kind == "money" and fact_type.currency is not None:
            return _money(fact_type.currency)
        parsers: dict[str, Parser] = {
            "bool": _bool,
            "number": _number,
            "money": _number,
            "text": _text,
        }
        return parsers[kind]

    def validate(
        self, facts: Mapping[str, Any], tz: ZoneInfo | None = None
    ) -> dict[str, FactValue]:
        """Flat `{"delivery.date": date(...)}`; absent and null facts are left out (unknown).
        Date-times are read in `tz` (by default the policy's zone)."""
        if not isinstance(facts, Mapping):
            raise FactsError([FactProblem("PC502", "", "facts must be a JSON object")])
        tree = self.tree if tz is None else self.tree_in(tz)
        known = self._fast(facts, tree)
        if known is not None:
            return known
        known = {}
        problems: list[FactProblem] = []
        self._walk(facts, tree, "", known, problems)
        if problems:
            raise FactsError(problems)
        return known

    def value_of(self, facts: Mapping[str, Any], name: str) -> FactValue | None:
        """The value of the one fact `name` in nested `facts`: None when it is absent, null or
        not declared; FactsError (that fact's problem) when it is malformed."""
        given: Any = facts
        node: Any = self.tree
        for part in name.split("."):
            if not isinstance(given, Mapping) or type(node) is not dict or part not in node:
                return None
            given, node = given.get(part), node[part]
        if given is None or type(node) is dict:
            return None
        fact_name, parse = node
        try:
            value: FactValue = parse(given)
        except _InvalidValueError as invalid:
            code, message = invalid.args
            raise FactsError([FactProblem(code, fact_name, message)]) from None
        return value

    @staticmethod
    def _fast(facts: Mapping[str, Any], tree: dict[str, Any]) -> dict[str, FactValue] | None:
        """The common case (`section.field` facts, all valid) without building any name; None
        as soon as anything is unusual, for `_walk` to report every problem."""
        known: dict[str, FactValue] = {}
        try:
            for section, fields in facts.items():
                branch = tree[section]
                if type(fields) is not dict or type(branch) is not dict:
                    if fields is None and type(branch) is dict:
                        continue
                    return None
                for key, value in fields.items():
                    leaf = branch[key]
                    if value is not None:
                        if type(leaf) is dict:
                            return None
                        known[leaf[0]] = leaf[1](value)
        except (KeyError, _InvalidValueError):
            return None
        return known

    def _walk(
        self,
        given: Mapping[str, Any],
        tree: dict[str, Any],
        prefix: str,
        known: dict[str, FactValue],
        problems: list[FactProblem],
    ) -> None:
        for key, value in given.items():
            node = tree.get(key)
            if node is None:
                problems.append(self._unknown(f"{prefix}{key}"))
            elif type(node) is dict:
                if isinstance(value, dict | Mapping):
                    self._walk(value, node, f"{prefix}{key}.", known, problems)
                elif value is not None:
                    expected = ", ".join(sorted(node))
                    problems.append(
                        FactProblem(
                            "PC502", f"{prefix}{key}", f"expected an object with {expected}"
                        )
                    )
            elif value is not None:
                fact_name, parse = node
                try:
                    known[fact_name] = parse(value)
                except _InvalidValueError as invalid:
                    code, message = invalid.args
                    problems.append(FactProblem(code, fact_name, message))

    def _unknown(self, name: str) -> FactProblem:
        close = difflib.get_close_matches(name, list(self.declared), n=1, cutoff=0.75)
        hint = f"; did you mean `{close[0]}`?" if close else ""
        return FactProblem("PC501", name, f"unknown fact `{name}`{hint}")
