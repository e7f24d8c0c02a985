"""Loom: records, forms and approvals declared as metadata, run by one platform."""

__version__ = "0.1.0"
