"""The one password policy: at least 8 characters, not the login, not a common password."""

from __future__ import annotations

import pytest

from loom.platform.passwords import password_problem
from loom.platform.passwords import random_password


@pytest.mark.parametrize(
    "password",
    ["a", "short1!", "zhangwei", "ZhangWei", "iewgnahz", "password", "PASSWORD1", "12345678", "aaaaaaaaaa",
     "abababab", "x" * 201],
)  # fmt: skip
def test_weak_passwords_are_refused(password) -> None:
    problem = password_problem(password, "zhangwei")
    assert problem is not None and problem["zh"] and problem["en"]


@pytest.mark.parametrize(
    "password", ["correct horse", "zhangwei-2026!", "lily-password", "春眠不觉晓处处闻啼鸟"]
)
def test_reasonable_passwords_pass(password) -> None:
    assert password_problem(password, "zhangwei") is None


def test_random_passwords_pass_the_policy_and_differ() -> None:
    made = {random_password() for _ in range(20)}
    assert len(made) == 20 and all(password_problem(p, "zhangwei") is None for p in made)
