"""The staff service builds without hashing (cold start); the dummy hash comes once, lazily."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher

from telecabine.services.staff import BadCredentials, StaffService


class _Counting(PasswordHasher):
    def __init__(self) -> None:
        super().__init__(time_cost=1, memory_cost=1024, parallelism=1)
        self.hashes = 0

    def hash(self, password, *, salt=None):
        self.hashes += 1
        return super().hash(password, salt=salt)


def test_dummy_hash_is_lazy_and_computed_once(station_store):
    hasher = _Counting()
    staff = StaffService(station_store, hasher)
    assert hasher.hashes == 0  # nothing on the way to the first page
    staff.warm_up()
    staff.warm_up()
    assert hasher.hashes == 1
    with pytest.raises(BadCredentials):  # unknown login still verified against the dummy
        staff.sign_in("personne", "482913")
    assert hasher.hashes == 1
