"""Live metadata: revisions kept in the database, published through a migration plan and
served by every process from its next request (docs/lifecycle.md)."""
