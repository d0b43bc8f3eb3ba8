"""The production randomness adapter: the operating system's CSPRNG via ``secrets``."""

from __future__ import annotations

import secrets


class SecretsRng:
    """Draws indices with :func:`secrets.randbelow` (PROTOCOL.md B16: a CSPRNG).

    ``secrets.randbelow`` draws ``n.bit_length()`` bits from ``os.urandom`` and rejects
    values ``>= n``, so its indices carry no modulo bias.
    """

    __slots__ = ()

    def randbelow(self, n: int, /) -> int:
        """Return an integer drawn uniformly from ``range(n)``.

        Raises:
            ValueError: if ``n`` is not positive.
        """
        if n <= 0:
            raise ValueError(f"n must be positive, got {n}")
        return secrets.randbelow(n)
