"""mask_facts: personal facts become "***" in a deep copy; everything else is untouched."""

from __future__ import annotations

import copy
from types import MappingProxyType
from typing import Any

from policycheck.evaluation.personal import mask_facts

FACTS: dict[str, Any] = {
    "customer": {"email": "a@b.c", "name": "Zoë", "phone": None, "address": {"city": "Lyon"}},
    "product": {"category": "gps", "price": 129.9, "tags": ["used", {"serial": "X1"}]},
    "request": {"date": "2025-03-01"},
}


def test_nested_personal_facts_are_masked() -> None:
    masked = mask_facts(FACTS, ["customer.email", "customer.address.city"])
    assert masked["customer"]["email"] == "***"
    assert masked["customer"]["address"] == {"city": "***"}


def test_other_facts_are_untouched() -> None:
    masked = mask_facts(FACTS, ["customer.email"])
    assert masked["customer"]["name"] == "Zoë"
    assert masked["product"] == FACTS["product"]
    assert masked["request"] == FACTS["request"]


def test_missing_and_null_personal_facts_are_left_alone() -> None:
    personal = ["customer.phone", "customer.fax", "delivery.address", "customer.email.local"]
    masked = mask_facts(FACTS, personal)
    assert masked["customer"]["phone"] is None
    assert "fax" not in masked["customer"]
    assert "delivery" not in masked
    assert masked == FACTS


def test_top_level_and_non_string_values_are_masked() -> None:
    masked = mask_facts({"age": 42, "vip": False, "notes": ["x"]}, ["age", "vip", "notes"])
    assert masked == {"age": "***", "vip": "***", "notes": "***"}


def test_input_is_never_mutated_and_result_shares_nothing() -> None:
    before = copy.deepcopy(FACTS)
    masked = mask_facts(FACTS, ["customer.email", "customer.address.city"])
    assert before == FACTS
    masked["product"]["tags"][1]["serial"] = "changed"
    masked["customer"]["name"] = "changed"
    assert before == FACTS


def test_any_mapping_is_accepted_and_plain_dicts_come_back() -> None:
    facts = MappingProxyType({"customer": MappingProxyType({"email": "a@b.c"})})
    masked = mask_facts(facts, iter(["customer.email"]))
    assert masked == {"customer": {"email": "***"}}
    assert type(masked["customer"]) is dict


def test_no_personal_facts_gives_an_equal_copy() -> None:
    masked = mask_facts(FACTS, [])
    assert masked == FACTS
    assert masked is not FACTS
