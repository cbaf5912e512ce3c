"""Passwords hashed with Argon2id: the ``workflows.signin.Passwords`` port, plugged in by the composition root
for the pages and the command line.

The parameters are OWASP's recommended minimum for Argon2id (19 MiB of memory, 2 passes, 1 lane): a sign-in
costs one hash, on a server whose threads may all be verifying at once, so memory per hash matters as much
as time. A stored hash made with other parameters still verifies, and is made again at the next sign-in.
"""

from __future__ import annotations

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError


class Argon2Passwords:
    """Hashes, verifies and tells when a hash was made with weaker parameters than today's."""

    def __init__(self) -> None:
        self._hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1, type=Type.ID)

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, hashed: str, password: str) -> bool:
        try:
            return self._hasher.verify(hashed, password)
        except (VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, hashed: str) -> bool:
        return self._hasher.check_needs_rehash(hashed)
