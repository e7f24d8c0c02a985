"""The runtime: a validated Catalog bound to a database, shared by every interface.

The web app keeps it in ``app.extensions["loom"]``; the CLI builds one per command. It
holds no per-request state, so any number of processes can serve the same site.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine

from loom.errors import MetadataError
from loom.metadata.catalog import Catalog

from .database import make_engine
from .site import Site
from .tables import Schema
from .tables import build_schema


@dataclass(frozen=True)
class Runtime:
    catalog: Catalog
    engine: Engine
    schema: Schema
    site: Site | None = None

    @classmethod
    def for_site(cls, site: Site, engine: Engine | None = None) -> Runtime:
        """Load the site's metadata; raises MetadataError with every problem if it is invalid."""
        result = site.load_metadata()
        if result.catalog is None:
            raise MetadataError(list(result.problems))
        return cls.for_catalog(result.catalog, engine or make_engine(site.settings.database_url), site)

    @classmethod
    def for_catalog(cls, catalog: Catalog, engine: Engine, site: Site | None = None) -> Runtime:
        return cls(catalog, engine, build_schema(catalog), site)
