"""Requests under the TomTom policy that the exception tests share: one per kind of decision."""

from __future__ import annotations

PARIS = {"date": "2012-04-04", "postcode": "75011"}
DEVICE = {"category": "device", "used": False, "original_packaging": True}
# Clause a, one jour ouvrable late in Paris: rigid, an agent may waive it (near miss).
ONE_DAY_LATE = {
    "request": {"kind": "cancellation", "date": "2012-04-23"},
    "product": DEVICE,
    "delivery": PARIS,
}
# Clause b (`discretion supervisor`), a map already downloaded: rigid, by a supervisor.
MAP_DOWNLOADED = {
    "request": {"kind": "cancellation", "date": "2012-03-19"},
    "product": {"category": "map"},
    "service": {"downloaded": True},
}
# Clause a, two days late and used: firm (not rigid).
LATE_AND_USED = {
    "request": {"kind": "cancellation", "date": "2012-04-24"},
    "product": {**DEVICE, "used": True},
    "delivery": PARIS,
}
# Clause a, asked on the last day: allowed.
LAST_DAY = {
    "request": {"kind": "cancellation", "date": "2012-04-21"},
    "product": DEVICE,
    "delivery": PARIS,
}
# Clause a, in time but use unknown: needs_info (after the 7 jours francs of the law beneath
# the terms, which would allow it whatever the use: fr-code-consommation-2012).
USE_UNKNOWN = {
    "request": {"kind": "cancellation", "date": "2012-04-16"},
    "product": {"category": "device", "original_packaging": True},
    "delivery": PARIS,
}
