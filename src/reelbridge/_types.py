"""Type aliases shared across reelbridge.

Money is always an ``int`` count of 1/10000 currency units (see ``protocol.money``);
the alias documents intent where a bare ``int`` would not.
"""

from __future__ import annotations

from typing import TypeAlias

Units: TypeAlias = int
"""An amount of money in integer units of 1/10000 of the currency."""

ClientId: TypeAlias = str
SessionId: TypeAlias = str
TransactionId: TypeAlias = str
