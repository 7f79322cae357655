"""api.ids: uuid4 hex strings drawn from os.urandom in batches."""

from __future__ import annotations

import uuid

from api.ids import BATCH, new_id


def test_ids_are_uuid4_hex_and_unique_across_batches() -> None:
    ids = [new_id() for _ in range(3 * BATCH + 1)]
    assert len(set(ids)) == len(ids)
    for value in ids:
        parsed = uuid.UUID(hex=value)
        assert parsed.hex == value
        assert parsed.version == 4
        assert parsed.variant == uuid.RFC_4122
