"""Automations: "when this happens, if this holds, do these", declared in metadata."""
