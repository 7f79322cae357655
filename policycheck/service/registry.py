"""The published rule files: validated from a folder, shared through the store, one generation.

Publishing reads every `.policy` file of a folder; if any has an error, nothing is published and
the previous generation keeps serving. A published generation is a snapshot of the texts kept in
the store, so every process serving the API (several workers, several machines on one
PostgreSQL) serves the same policies, and a process that starts while a file on disk is broken
still serves the last good version.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from policycheck.language.diagnostics import Diagnostic, Severity
from policycheck.language.source import Source
from policycheck.policy import Policy, RuleFileError, laws_among, load_source
from policycheck.store import Store

LOG = logging.getLogger("policycheck.service.registry")
SNAPSHOT, GENERATION = "rules_snapshot", "rules_generation"


@dataclass(frozen=True)
class Publication:
    """The outcome of publishing a folder: the generation, or every diagnostic that refused it."""

    generation: str | None
    errors: list[tuple[Source, Diagnostic]]


class PolicyRegistry:
    """The policies this process serves, refreshed from the store when another process publishes."""

    def __init__(self, rules_dir: Path, store: Store, refresh_seconds: float = 1.0) -> None:
        self.rules_dir = rules_dir
        self.store = store
        self.refresh_seconds = refresh_seconds
        self.generation: str | None = None
        self._policies: dict[str, Policy] = {}
        self._checked = 0.0
        self._lock = threading.Lock()

    def get(self, policy_id: str) -> Policy | None:
        """The served policy with this id, or None."""
        self.refresh()
        return self._policies.get(policy_id)

    def all(self) -> list[Policy]:
        """Every served policy, by id."""
        self.refresh()
        return [self._policies[key] for key in sorted(self._policies)]

    def start(self) -> None:
        """Publish the folder; if it has errors, serve the last published generation instead."""
        publication = self.publish()
        if publication.generation is not None:
            return
        for source, diagnostic in publication.errors:
            LOG.error("%s:%s: %s", source.name, diagnostic.span.line, diagnostic.message)
        if self.store.get_meta(SNAPSHOT) is None:
            raise RuleFileError(publication.errors[0][0], [d for _, d in publication.errors])
        LOG.warning("rule files have errors: serving the last published generation")
        self.refresh(force=True)

    def publish(self) -> Publication:
        """Validate every rule file of the folder and, if all are clean, publish them."""
        texts = {
            str(p.relative_to(self.rules_dir)): p.read_text(encoding="utf-8")
            for p in sorted(self.rules_dir.rglob("*.policy"))
        }
        policies, errors = _compile(texts)
        if errors:
            return Publication(None, errors)
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


def _compile(texts: dict[str, str]) -> tuple[dict[str, Policy], list[tuple[Source, Diagnostic]]]:
    policies: dict[str, Policy] = {}
    errors: list[tuple[Source, Diagnostic]] = []
    sources = [Source(name, text) for name, text in texts.items()]
    laws = laws_among(sources)  # the laws beneath a policy: among the files published with it
    for source in sources:
        name = source.name
        try:
            policy = load_source(source, laws)
        except RuleFileError as broken:
            errors += [(source, d) for d in broken.diagnostics]
            continue
        if policy.id in policies:
            errors.append(
                (
                    source,
                    Diagnostic(
                        "PC411",
                        Severity.ERROR,
                        f"policy `{policy.id}` is defined twice",
                        policy.compiled.header.span,
                        name,
                        "another rule file has this id",
                        "give each policy its own id",
                    ),
                )
            )
            continue
        policies[policy.id] = policy
    return policies, errors
