"""Loading a rule file into a Policy: parse, build, check, compile, with a cache by content hash."""

from __future__ import annotations

import contextlib
import difflib
import gc
import re
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from policycheck.analysis.findings import analyse
from policycheck.evaluation.compile import CompiledPolicy, compile_policy, content_hash
from policycheck.evaluation.coverage import Coverage
from policycheck.evaluation.decision import Decision
from policycheck.evaluation.evaluate import evaluate
from policycheck.evaluation.examples import ExampleResult, example_facts, example_proposal, unmet
from policycheck.evaluation.facts import FactsError, PolicyError
from policycheck.evaluation.layers import BoundLaw, bind
from policycheck.evaluation.versions import PolicyVersions
from policycheck.language import nodes
from policycheck.language.build import build
from policycheck.language.check import check
from policycheck.language.check_versions import check_versions
from policycheck.language.diagnostics import Diagnostic, Severity, error, render_text
from policycheck.language.laws import check_law, check_law_clauses
from policycheck.language.source import Source
from policycheck.language.syntax import parse


class RuleFileError(PolicyError):
    """A rule file with errors: every diagnostic, rendered in the message."""

    def __init__(self, source: Source, diagnostics: list[Diagnostic]) -> None:
        self.source = source
        self.diagnostics = diagnostics
        super().__init__("\n\n".join(render_text(d, source) for d in diagnostics))


class Policy:
    """A compiled policy, with the laws beneath it bound: evaluate facts against it."""

    def __init__(
        self,
        compiled: CompiledPolicy,
        warnings: tuple[Diagnostic, ...] = (),
        laws: tuple[BoundLaw, ...] = (),
    ) -> None:
        self.compiled = compiled
        self.warnings = warnings
        self.laws = laws  # the statutes beneath these terms (`subject to`), bound

    def without_laws(self) -> Policy:
        """The same terms with no law beneath them: what the terms alone say."""
        return Policy(self.compiled, self.warnings)

    @property
    def personal(self) -> frozenset[str]:
        """Facts whose values are masked in the log: ours marked personal, and the facts of a
        law beneath the terms that are answered from them."""
        found = self.compiled.personal
        for law in self.laws:
            found = found | law.personal
        return found

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
                self.compiled,
                example_facts(example),
                example_proposal(example),
                coverage,
                self.laws,
            )
        except FactsError as invalid:
            return ExampleResult(example, None, tuple(f"invalid facts: {invalid}".splitlines()))
        return ExampleResult(example, decision, unmet(example, decision))

    def evaluate(
        self, facts: Mapping[str, Any], proposed: Mapping[str, Any] | None = None
    ) -> Decision:
        """The decision for `facts` by this rule file's terms and the laws beneath them,
        whatever the request's date (the version in force on it: `PolicyVersions.in_force`);
        raises FactsError (every problem) for invalid input."""
        return evaluate(self.compiled, facts, proposed, laws=self.laws)


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
    source: Source, *, analysis: bool = False, laws: LawFinder | None = None
) -> tuple[CompiledPolicy | None, list[Diagnostic]]:
    """Every diagnostic of a rule file (with the laws beneath it: found by `laws`, by default
    beside the file), and the compiled policy when it has no errors; with `analysis`, also the
    gaps, overlaps, unreachable and unused parts (warnings)."""
    with _no_garbage_collection():
        compiled, _, diagnostics = _load(source, analysis, laws or laws_beside(source), ())
    return compiled, diagnostics


def _load(
    source: Source, analysis: bool, laws: LawFinder, chain: tuple[str, ...]
) -> tuple[CompiledPolicy | None, tuple[BoundLaw, ...], list[Diagnostic]]:
    compiled, diagnostics = _compiled(source, analysis)
    if compiled is None or not compiled.laws:
        return compiled, (), diagnostics
    bound, found = link(compiled, source, laws, chain)
    diagnostics = sorted(diagnostics + found, key=Diagnostic.sort_key)
    if any(d.severity is Severity.ERROR for d in found):
        return None, (), diagnostics
    return compiled, bound, diagnostics


_compiled_cache: dict[tuple[str, bool], tuple[CompiledPolicy | None, list[Diagnostic]]] = {}
COMPILED_CACHE_SIZE = 256  # rule files kept compiled; the oldest goes first


def _compiled(source: Source, analysis: bool) -> tuple[CompiledPolicy | None, list[Diagnostic]]:
    """A rule file alone, compiled once per process for an unchanged text."""
    key = (f"{source.name}\0{content_hash(source.text)}", analysis)
    found = _compiled_cache.get(key)
    if found is None:
        found = _diagnose(source, analysis)
        with _cache_lock:
            _compiled_cache[key] = found
            while len(_compiled_cache) > COMPILED_CACHE_SIZE:  # texts sent to check: bounded
                del _compiled_cache[next(iter(_compiled_cache))]
    return found[0], list(found[1])


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
        found = analyse(compiled, rule_file).diagnostics
        diagnostics = sorted(diagnostics + found, key=Diagnostic.sort_key)
    return compiled, diagnostics


def link(
    compiled: CompiledPolicy, source: Source, laws: LawFinder, chain: tuple[str, ...]
) -> tuple[tuple[BoundLaw, ...], list[Diagnostic]]:
    """The laws beneath a policy found, loaded, checked against its mappings and bound; every
    problem as a diagnostic of the policy's file (PC601-PC606)."""
    chain = (*chain, compiled.header.id)
    bound: list[BoundLaw] = []
    found: list[Diagnostic] = []
    law_files: list[nodes.RuleFile] = []
    loaded: set[str] = set()
    for subject in compiled.laws:
        decl = subject.decl
        if decl.id in chain:
            found.append(_cycle(source, decl, chain))
            continue
        versions = laws(decl.id)
        if not versions:
            found.append(_unknown_law(source, decl, laws))
            continue
        complete = True
        for law_source in versions:  # every version of the law, each checked and bound
            law, beneath, law_diagnostics = _load(law_source, False, laws, chain)
            if law is None:
                found.append(_broken_law(source, decl, law_source, law_diagnostics))
                complete = False
                continue
            problems = check_law(compiled.rule_file, source, decl, law.rule_file)
            found += [p for p in problems if p not in found]
            law_files.append(law.rule_file)
            if not problems:
                bound.append(bind(compiled, subject, law, beneath))
        if complete:
            loaded.add(decl.id)
    if loaded == {law.decl.id for law in compiled.laws}:  # else a law's clauses are not known
        found += check_law_clauses(compiled.rule_file, source, law_files)
    # versions of one law side by side, earliest first (evaluation.layers.in_force)
    order = {law.decl.id: n for n, law in enumerate(compiled.laws)}
    bound.sort(key=lambda b: (order[b.law.header.id], b.period.sort_key()))
    return tuple(bound), found


def _cycle(source: Source, decl: nodes.LawRef, chain: tuple[str, ...]) -> Diagnostic:
    path = " -> ".join([*chain[chain.index(decl.id) :], decl.id])
    return error(
        "PC606",
        f"a cycle of laws: {path}",
        decl.span,
        source,
        note="a law cannot be beneath itself",
        help="remove one `subject to` of the cycle: a statute is beneath terms, not above them",
    )


def _unknown_law(source: Source, decl: nodes.LawRef, laws: LawFinder) -> Diagnostic:
    known = sorted(laws.known()) if isinstance(laws, _Finder) else []
    close = difflib.get_close_matches(decl.id, known, n=1, cutoff=0.6)
    return error(
        "PC601",
        f"unknown law `{decl.id}`",
        decl.span,
        source,
        note="no rule file beside this one defines a policy with this id",
        help=f"did you mean `{close[0]}`?"
        if close
        else "put the statute's rule file beside this one"
        + (f" (found: {', '.join(known)})" if known else ""),
    )


def _broken_law(
    source: Source, decl: nodes.LawRef, law: Source, diagnostics: list[Diagnostic]
) -> Diagnostic:
    errors = [d for d in diagnostics if d.severity is Severity.ERROR]
    first = errors[0] if errors else None
    where = f"{law.name}:{first.span.line}:{first.span.col}: {first.message}" if first else ""
    return error(
        "PC601",
        f"the law `{decl.id}` cannot be loaded: {len(errors)} error(s) in {law.name}",
        decl.span,
        source,
        note=where or "its rule file has errors",
        help=f"run `policycheck check {law.name}` and fix it first",
    )


# -- finding the laws -----------------------------------------------------------------------------

LawFinder = Callable[[str], list[Source]]
_POLICY_ID = re.compile(r"^\s*policy\s+(\S+)", re.MULTILINE)


class _Finder:
    """Rule files by the id they declare (the first `policy ID` line of each): every version
    of a law."""

    def __init__(self, sources: Iterable[Source]) -> None:
        self.by_id: dict[str, list[Source]] = {}
        for source in sources:
            found = _POLICY_ID.search(source.text)
            if found:
                self.by_id.setdefault(found.group(1), []).append(source)

    def __call__(self, policy_id: str) -> list[Source]:
        return self.by_id.get(policy_id, [])

    def known(self) -> list[str]:
        """The ids these rule files declare."""
        return list(self.by_id)


def laws_among(sources: Iterable[Source]) -> LawFinder:
    """The laws beneath a policy looked up among these rule files (a published set)."""
    return _Finder(sources)


def laws_beside(source: Source) -> LawFinder:
    """The laws beneath a policy looked up among the rule files of its folder (none for a
    text that is not a file)."""
    path = Path(source.name)
    if not path.is_file():
        return _Finder(())
    files = []
    for other in sorted(path.parent.glob("*.policy")):
        with contextlib.suppress(OSError, UnicodeDecodeError):
            files.append(Source.read(other))
    return _Finder(files)


_cache: dict[str, Policy] = {}
_cache_lock = threading.Lock()


def load_source(source: Source, laws: LawFinder | None = None) -> Policy:
    """A Policy from rule-file text, the laws beneath it found by `laws` (by default beside the
    file); an unchanged text is compiled once per process, its laws bound at each load."""
    key = f"{source.name}\0{content_hash(source.text)}"
    cached = _cache.get(key)
    if cached is not None:
        return cached
    with _no_garbage_collection():
        compiled, bound, diagnostics = _load(source, False, laws or laws_beside(source), ())
    if compiled is None:
        raise RuleFileError(source, [d for d in diagnostics if d.severity is Severity.ERROR])
    policy = Policy(compiled, tuple(diagnostics), bound)
    if not compiled.laws:  # a policy with laws is bound again: its laws may have changed
        with _cache_lock:
            _cache[key] = policy
    return policy


def load_policy(path: str | Path) -> Policy:
    """Load, check and compile a rule file (and the laws beneath it, from its folder); raises
    RuleFileError with every diagnostic."""
    return load_source(Source.read(path))


def load_versions(
    sources: Iterable[Source],
) -> tuple[dict[str, PolicyVersions[Policy]], list[tuple[Source, Diagnostic]]]:
    """Every policy of the rule files, with its versions (the files sharing its id), by id; or
    every error of the files and between their versions (then no policy)."""
    loaded: list[Policy] = []
    errors: list[tuple[Source, Diagnostic]] = []
    sources = list(sources)
    laws = laws_among(sources)  # the laws beneath a policy: among the files published with it
    for source in sources:
        try:
            loaded.append(load_source(source, laws))
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
