"""What a browser would post from a designer page: the values of its inputs, as shown."""

from __future__ import annotations

from html.parser import HTMLParser


class _Inputs(HTMLParser):
    def __init__(self, prefix: str) -> None:
        super().__init__()
        self.prefix = prefix
        self.found: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        seen = dict(attrs)
        name = seen.get("name") or ""
        if tag != "input" or not name.startswith(self.prefix) or "disabled" in seen:
            return
        if seen.get("type") == "checkbox":
            if "checked" in seen:
                self.found[name] = "on"
        else:
            self.found[name] = seen.get("value") or ""


def shown_inputs(page: str, prefix: str = "existing-") -> dict[str, str]:
    """The inputs of ``page`` whose name starts with ``prefix``, as a browser submits them
    untouched: text and hidden values, ticked boxes as ``on``, nothing disabled."""
    parser = _Inputs(prefix)
    parser.feed(page)
    return parser.found
