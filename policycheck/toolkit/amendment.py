"""What an amendment changes in the worked examples: the examples of two versions of a policy,
run against both (the decision log is replayed by replay.py)."""

from __future__ import annotations

from dataclasses import dataclass

from policycheck.evaluation.examples import example_facts, example_proposal
from policycheck.evaluation.facts import FactsError
from policycheck.language import nodes
from policycheck.policy import Policy
from policycheck.toolkit.answers import Answer, changed_fields, declared_only


@dataclass(frozen=True)
class Change:
    """An example whose answer differs between the two versions."""

    example: str
    origin: str  # "old", "new" or "both": which file(s) the example comes from
    old: Answer
    new: Answer

    def fields(self) -> tuple[str, ...]:
        """Which of outcome, clause, deadline, discretion, obligations, remedy, fees changed."""
        return changed_fields(self.old, self.new)


def answer(policy: Policy, example: nodes.Example) -> Answer:
    """What `policy` decides for the facts (and proposal) of `example`; a fact this version does
    not declare is left out (it decides without it, as a request that did not say it)."""
    facts = declared_only(example_facts(example), policy.compiled.schema)
    try:
        decision = policy.evaluate(facts, example_proposal(example))
    except FactsError as invalid:
        return Answer(f"invalid facts ({invalid.problems[0].fact})")
    return Answer.of(decision)


def compare(old: Policy, new: Policy) -> tuple[list[Change], int]:
    """The examples of both versions whose answer changes, and how many examples were run."""
    examples: dict[str, tuple[str, nodes.Example]] = {}
    for origin, policy in (("old", old), ("new", new)):
        for example in policy.examples:
            seen = examples.get(example.name)
            examples[example.name] = ("both" if seen else origin, example)
    changes = []
    for name, (origin, example) in examples.items():
        before, after = answer(old, example), answer(new, example)
        if before != after:
            changes.append(Change(name, origin, before, after))
    return changes, len(examples)


def render_changes(changes: list[Change], total: int, markdown: bool = False) -> str:
    """The changes as a table (plain text, or GitHub markdown)."""
    if not changes:
        return f"no example changes ({total} run against both versions)"
    rows = []
    for change in changes:
        fields = change.fields()
        rows.append((change.example, change.origin, change.old.words(fields),
                     change.new.words(fields), ", ".join(fields)))  # fmt: skip
    head = ("example", "from", "old version", "new version", "changed")
    if markdown:
        lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |"
                  for row in rows]  # fmt: skip
    else:
        widths = [max(len(str(r[i])) for r in [head, *rows]) for i in range(len(head))]
        lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
                 for row in [head, *rows]]  # fmt: skip
        lines.insert(1, "  ".join("-" * w for w in widths))
    lines.append(f"{len(changes)} of {total} examples change")
    return "\n".join(lines)
