"""The published rule files: validated from a folder, shared through the store, one generation.

Publishing reads every `.policy` file of a folder; if any has an error, if two versions of a
policy cannot be served together (policycheck.language.check_versions), or if a worked example of
a file fails, nothing is published and the previous generation keeps serving. The rule files
that share a policy id are its versions: each request is decided by the one in force on its
date. A published generation is a snapshot of the texts kept in the store, so every process
serving the API (several workers, several machines on one PostgreSQL) serves the same policies,
and a process that starts while a file on disk is broken still serves the last good version.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from policycheck.evaluation.examples import ExampleResult
from policycheck.evaluation.facts import PolicyError
from policycheck.evaluation.versions import PolicyVersions
from policycheck.language.diagnostics import Diagnostic
from policycheck.language.source import Source
from policycheck.policy import Policy, RuleFileError, load_versions
from policycheck.store import Store

LOG = logging.getLogger("policycheck.service.registry")
SNAPSHOT, GENERATION = "rules_snapshot", "rules_generation"


@dataclass(frozen=True)
class Publication:
    """The outcome of publishing a folder: the generation, or every diagnostic and every failed
    worked example (with its file's name) that refused it."""

    generation: str | None
    errors: list[tuple[Source, Diagnostic]]
    failures: list[tuple[str, ExampleResult]] = field(default_factory=list)


class ExamplesFailedError(PolicyError):
    """Rule files without errors whose own worked examples fail: not published."""

    def __init__(self, failures: list[tuple[str, ExampleResult]]) -> None:
        self.failures = failures
        super().__init__(
            "worked examples fail: "
            + "; ".join(f"{name}: {r.example.name!r}" for name, r in failures)
        )


Versions = PolicyVersions[Policy]


class PolicyRegistry:
    """The policies this process serves, refreshed from the store when another process publishes."""

    def __init__(self, rules_dir: Path, store: Store, refresh_seconds: float = 1.0) -> None:
        self.rules_dir = rules_dir
        self.store = store
        self.refresh_seconds = refresh_seconds
        self.generation: str | None = None
        self._policies: dict[str, Versions] = {}
        self._checked = 0.0
        self._lock = threading.Lock()

    def get(self, policy_id: str) -> Versions | None:
        """Every served version of the policy with this id, or None."""
        self.refresh()
        return self._policies.get(policy_id)

    def all(self) -> list[Versions]:
        """Every served policy (its versions), by id."""
        self.refresh()
        return [self._policies[key] for key in sorted(self._policies)]

    def start(self) -> None:
        """Publish the folder; if it has errors, serve the last published generation instead."""
        publication = self.publish()
        if publication.generation is not None:
            return
        for source, diagnostic in publication.errors:
            LOG.error("%s:%s: %s", source.name, diagnostic.span.line, diagnostic.message)
        for name, result in publication.failures:
            LOG.error(
                "%s:%s: example %r fails", name, result.example.span.line, result.example.name
            )
        if self.store.get_meta(SNAPSHOT) is None:
            if not publication.errors:
                raise ExamplesFailedError(publication.failures)
            raise RuleFileError(publication.errors[0][0], [d for _, d in publication.errors])
        LOG.warning("rule files have errors: serving the last published generation")
        self.refresh(force=True)

    def publish(self) -> Publication:
        """Validate every rule file of the folder and, if all are clean and their worked
        examples pass, publish them."""
        texts = {
            str(p.relative_to(self.rules_dir)): p.read_text(encoding="utf-8")
            for p in sorted(self.rules_dir.rglob("*.policy"))
        }
        policies, errors = _compile(texts)
        if errors:
            return Publication(None, errors)
        failures = [
            (policy.compiled.source.name, result)
            for versions in policies.values()
            for policy in versions.versions
            for result in map(policy.run_example, policy.examples)
            if not result.passed
        ]
        if failures:
            return Publication(None, [], failures)
        snapshot = json.dumps({"files": texts}, sort_keys=True, ensure_ascii=False)
        generation = "sha256:" + hashlib.sha256(snapshot.encode("utf-8")).hexdigest()
        with self._lock:
            self.store.set_metas({SNAPSHOT: snapshot, GENERATION: generation})
            self._policies, self.generation = policies, generation
            self._checked = time.monotonic()
        return Publication(generation, [])

    def refresh(self, force: bool = False) -> None:
        """Load the store's generation if another process published a newer one (at most once
        per `refresh_seconds`)."""
        now = time.monotonic()
        if not force and now - self._checked < self.refresh_seconds:
            return
        self._checked = now
        generation = self.store.get_meta(GENERATION)
        if generation is None or generation == self.generation:
            return
        snapshot = self.store.get_meta(SNAPSHOT) or '{"files": {}}'
        # The snapshot may be newer than the generation read just before: then the next
        # refresh sees the new generation and loads the same snapshot again; nothing is mixed.
        policies, errors = _compile(json.loads(snapshot)["files"])
        if errors:  # cannot happen for a published snapshot; keep serving what we have
            LOG.error("published rules do not compile here: %s", errors[0][1].message)
            return
        with self._lock:
            self._policies, self.generation = policies, generation


def _compile(
    texts: dict[str, str],
) -> tuple[dict[str, Versions], list[tuple[Source, Diagnostic]]]:
    return load_versions(Source(name, text) for name, text in texts.items())
