"""The one password policy, for the command line, the console and any other door.

Kept deliberately simple, as NIST SP 800-63B advises: a minimum length, no composition
rules, and a refusal of the passwords every attacker tries first (the login itself, a
run of one or two characters, or one of the most common passwords). Length beats
cleverness; a passphrase passes.
"""

from __future__ import annotations

import secrets

MIN_LENGTH = 8
MAX_LENGTH = 200  # long enough for any passphrase, short enough to hash quickly

# The most common passwords of at least 8 characters in public breach lists, and a few
# that people pick for a business system; compared case-insensitively.
COMMON = frozenset(
    """
    12345678 123456789 1234567890 0123456789 87654321 11111111 00000000 88888888 66666666
    12341234 11223344 123123123 1q2w3e4r 1qaz2wsx qwertyui qwertyuiop qwerty123 asdfghjk
    zxcvbnm1 password password1 password123 passw0rd p@ssw0rd p@ssword iloveyou sunshine
    princess football baseball welcome1 welcome123 letmein1 trustno1 superman starwars
    abcd1234 abc12345 abcdefgh aa123456 a1234567 qq123456 woaini1314 5201314520 admin123
    administrator changeme changeme1 default1 loom2026 secret123 test1234 testtest
    """.split()
)


def password_problem(password: str, login: str) -> dict[str, str] | None:
    """Why ``password`` is refused for ``login`` ({zh, en}), or None when it is acceptable."""
    if len(password) < MIN_LENGTH:
        return {
            "zh": f"密码至少需要 {MIN_LENGTH} 个字符。",
            "en": f"A password must have at least {MIN_LENGTH} characters.",
        }
    if len(password) > MAX_LENGTH:
        return {
            "zh": f"密码不能超过 {MAX_LENGTH} 个字符。",
            "en": f"A password must have at most {MAX_LENGTH} characters.",
        }
    lowered = password.lower()
    if login and lowered in (login.strip().lower(), login.strip().lower()[::-1]):
        return {"zh": "密码不能与用户名相同。", "en": "A password must not be the login."}
    if lowered in COMMON or len(set(password)) < 3:
        return {
            "zh": "这个密码太常见，很容易被猜到，请换一个。",
            "en": "This password is too common and easily guessed; choose another.",
        }
    return None


def random_password() -> str:
    """A password for a reset: 16 URL-safe characters (96 bits), shown once to whoever asked."""
    return secrets.token_urlsafe(12)
