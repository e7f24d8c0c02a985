"""Crafted requests a fuzzer seldom draws, sent to a running site: each must be a 4xx problem.

Every case once answered 500 (docs/security.md, "Input limits"). Run by scripts/fuzz_api.sh
before schemathesis; standard library only, so it runs in any Python 3.
    usage: python3 scripts/fuzz_cases.py BASE_URL TOKEN   (BASE_URL ends in /api/v1)
"""

from __future__ import annotations

import base64
import json
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

LIST = "/crm/customer"


def cursor(payload: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")


def upload(name: str) -> tuple[bytes, str]:
    boundary = "fuzzcaseboundary"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
        f"Content-Type: text/plain\r\n\r\ncontent\r\n--{boundary}--\r\n"
    ).encode()
    return body, f"multipart/form-data; boundary={boundary}"


# (what, method, path and query, body, content type, expected status, field named in the problem)
CASES = [
    ("JSON nested 10,000 deep", "POST", LIST, b"[" * 10_000 + b"]" * 10_000, "application/json", 400, "body"),
    ("a lone surrogate", "POST", LIST, b'{"name": "a\\ud800"}', "application/json", 400, "name"),
    ("a NUL in a title", "POST", LIST, b'{"name": "a\\u0000b"}', "application/json", 400, "name"),
    ("sort with 3,000 keys", "GET", LIST + "?sort=" + ",".join(["name"] * 3_000), None, None, 400, "sort"),
    ("sort with 9 keys", "GET", LIST + "?sort=" + ",".join(["name"] * 9), None, None, 422, "sort"),
    ("q of 50 KB", "GET", LIST + "?q=" + "x" * 50_000, None, None, 400, "q"),
    ("1,000 repeated filters", "GET", LIST + "?" + "&".join(["name=a"] * 1_000), None, None, 422, "filter"),
    (
        "a cursor holding an object",
        "GET",
        f"{LIST}?sort=name&cursor=" + cursor({"k": ["name", "id"], "v": [{"a": 1}, 1]}),
        None,
        None,
        422,
        "cursor",
    ),
    ("a NUL in a filter value", "GET", LIST + "?name=a%00b", None, None, 400, "name"),
    ("a NUL in q", "GET", LIST + "?q=a%00b", None, None, 400, "q"),
    ("count=AAA", "GET", LIST + "?count=AAA", None, None, 400, "count"),
    (
        "a NUL in the login name",
        "POST",
        "/auth/login",
        b'{"login": "a\\u0000", "password": "x"}',
        "application/json",
        400,
        "login",
    ),
    ("GET on the login route", "GET", "/auth/login", None, None, 405, None),
    (
        "a non-string comment on submit",
        "POST",
        "/oa/leave_request/1/flow/submit",
        b'{"comment": {"not": "a string"}}',
        "application/json",
        422,
        "comment",
    ),
    (
        "a non-string comment on a batch",
        "POST",
        "/tasks/approve",
        b'{"tasks": [1], "comment": {}}',
        "application/json",
        422,
        "comment",
    ),
    ("an invalid task id", "POST", "/tasks/approve", b'{"tasks": ["x"]}', "application/json", 400, "tasks"),
]


def send(base: str, token: str, method: str, path: str, body: bytes | None, kind: str | None):
    request = urllib.request.Request(base + path, data=body, method=method)
    request.add_header("Authorization", f"Bearer {token}")
    request.add_header("Accept-Language", "en")
    if kind:
        request.add_header("Content-Type", kind)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def wait(base: str) -> None:
    for _ in range(60):
        try:
            urllib.request.urlopen(base + "/openapi.json", timeout=5).close()
            return
        except OSError:
            time.sleep(0.5)
    sys.exit(f"{base} does not answer")


def main(base: str, token: str) -> int:
    wait(base)
    failures = []
    for what, method, path, body, kind, status, field in CASES:
        got, headers, content = send(base, token, method, path, body, kind)
        problem = json.loads(content) if headers.get_content_type() == "application/problem+json" else None
        named = [e["field"] for e in (problem or {}).get("errors", [])]
        if got != status or problem is None or (field is not None and field not in named):
            failures.append(f"{what}: {got} {content[:300]!r}")
    body, kind = upload("a\x00b.txt")
    got, _, content = send(base, token, "POST", "/files", body, kind)
    if got != 201 or json.loads(content)["name"] != "ab.txt":
        failures.append(f"a NUL in an uploaded file's name: {got} {content[:300]!r}")
    for failure in failures:
        print("crafted input not refused cleanly:", failure, file=sys.stderr)
    print(f"crafted input: {len(CASES) + 1 - len(failures)} of {len(CASES) + 1} cases refused cleanly")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
