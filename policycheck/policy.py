"""Loading a rule file into a Policy: parse, build, check, compile, with a cache by content hash."""

from __future__ import annotations

import contextlib
import gc
import threading
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from policycheck.analysis.findings import analyse
from policycheck.evaluation.compile import CompiledPolicy, compile_policy, content_hash
from policycheck.evaluation.coverage import Coverage
from policycheck.evaluation.decision import Decision
from policycheck.evaluation.evaluate import evaluate
from policycheck.evaluation.examples import ExampleResult, example_facts, example_proposal, unmet
from policycheck.evaluation.facts import FactsError, PolicyError
from policycheck.evaluation.versions import PolicyVersions
from policycheck.language import nodes
from policycheck.language.build import build
from policycheck.language.check import check
from policycheck.language.check_versions import check_versions
from policycheck.language.diagnostics import Diagnostic, Severity, render_text
from policycheck.language.source import Source
from policycheck.language.syntax import parse


class RuleFileError(PolicyError):
    """A rule file with errors: every diagnostic, rendered in the message."""

    def __init__(self, source: Source, diagnostics: list[Diagnostic]) -> None:
        self.source = source
        self.diagnostics = diagnostics
        super().__init__("\n\n".join(render_text(d, source) for d in diagnostics))


class Policy:
    """A compiled policy: evaluate facts against it."""

    def __init__(self, compiled: CompiledPolicy, warnings: tuple[Diagnostic, ...] = ()) -> None:
        self.compiled = compiled
        self.warnings = warnings

    @property
    def id(self) -> str:
        """The policy's id (`tomtom-fr-2012`)."""
        return self.compiled.header.id

    @property
    def hash(self) -> str:
        """`sha256:` of the rule file's text."""
        return self.compiled.hash

    @property
    def examples(self) -> tuple[nodes.Example, ...]:
        """The worked examples written in the rule file."""
        return self.compiled.examples

    def run_example(
        self, example: nodes.Example, coverage: Coverage | None = None
    ) -> ExampleResult:
        """Evaluate one worked example and compare with what it expects."""
        try:
            decision = evaluate(
                self.compiled, example_facts(example), example_proposal(example), coverage
            )
        except FactsError as invalid:
            return ExampleResult(example, None, tuple(f"invalid facts: {invalid}".splitlines()))
        return ExampleResult(example, decision, unmet(example, decision))

    def evaluate(
        self, facts: Mapping[str, Any], proposed: Mapping[str, Any] | None = None
    ) -> Decision:
        """The decision for `facts` by this rule file's terms, whatever the request's date (the
        version in force on it: `PolicyVersions.in_force`); raises FactsError (every problem)
        for invalid input."""
        return evaluate(self.compiled, facts, proposed)


@contextlib.contextmanager
def _no_garbage_collection() -> Iterator[None]:
    """Pause the cyclic garbage collector: a large rule file makes millions of objects, none
    of them garbage, and full collections would otherwise take half of the time."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def diagnose(
    source: Source, *, analysis: bool = False
) -> tuple[CompiledPolicy | None, list[Diagnostic]]:
    """Every diagnostic of a rule file, and the compiled policy when it has no errors; with
    `analysis`, also the gaps, overlaps, unreachable and unused parts (warnings)."""
    with _no_garbage_collection():
        return _diagnose(source, analysis)


def _diagnose(source: Source, analysis: bool) -> tuple[CompiledPolicy | None, list[Diagnostic]]:
    tree, diagnostics = parse(source)
    if tree is None:
        return None, diagnostics
    rule_file, diagnostics = build(tree, source)
    diagnostics = sorted(diagnostics + check(rule_file, source), key=Diagnostic.sort_key)
    if any(d.severity is Severity.ERROR for d in diagnostics):
        return None, diagnostics
    compiled = compile_policy(rule_file, source)
    if analysis:
        diagnostics = sorted(diagnostics + analyse(compiled, rule_file), key=Diagnostic.sort_key)
    return compiled, diagnostics


_cache: dict[str, Policy] = {}
_cache_lock = threading.Lock()


def load_source(source: Source) -> Policy:
    """A Policy from rule-file text; an unchanged text is compiled once per process."""
    key = f"{source.name}\0{content_hash(source.text)}"
    cached = _cache.get(key)
    if cached is not None:
        return cached
    compiled, diagnostics = diagnose(source)
    if compiled is None:
        raise RuleFileError(source, [d for d in diagnostics if d.severity is Severity.ERROR])
    policy = Policy(compiled, tuple(diagnostics))
    with _cache_lock:
        _cache[key] = policy
    return policy


def load_policy(path: str | Path) -> Policy:
    """Load, check and compile a rule file; raises RuleFileError with every diagnostic."""
    return load_source(Source.read(path))


def load_versions(
    sources: Iterable[Source],
) -> tuple[dict[str, PolicyVersions[Policy]], list[tuple[Source, Diagnostic]]]:
    """Every policy of the rule files, with its versions (the files sharing its id), by id; or
    every error of the files and between their versions (then no policy)."""
    loaded: list[Policy] = []
    errors: list[tuple[Source, Diagnostic]] = []
    for source in sources:
        try:
            loaded.append(load_source(source))
        except RuleFileError as broken:
            errors += [(source, d) for d in broken.diagnostics]
    by_name = {p.compiled.source.name: p.compiled.source for p in loaded}
    errors += [
        (by_name[d.file], d)
        for d in check_versions([(p.compiled.source, p.compiled.rule_file) for p in loaded])
        if d.severity is Severity.ERROR
    ]
    if errors:
        return {}, errors
    by_id: dict[str, list[Policy]] = {}
    for policy in loaded:
        by_id.setdefault(policy.id, []).append(policy)
    return {key: PolicyVersions(found) for key, found in by_id.items()}, []
