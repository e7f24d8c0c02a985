"""The runtime: a validated Catalog bound to a database, shared by every interface.

The web app keeps it in ``app.extensions["loom"]``; the CLI builds one per command. It
holds no per-request state, so any number of processes can serve the same site. A runtime
is built for one metadata revision; a newer revision gets a new runtime on the same engine.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine

from loom.errors import MetadataError
from loom.metadata.catalog import Catalog

from .database import make_engine
from .revisions import store
from .site import Site
from .tables import Schema
from .tables import build_schema


@dataclass(frozen=True)
class Runtime:
    catalog: Catalog
    engine: Engine
    schema: Schema
    site: Site | None = None
    revision: int = 0  # the metadata revision the catalog was built from (0: the files alone)

    @classmethod
    def for_site(cls, site: Site, engine: Engine | None = None) -> Runtime:
        """Load the site's metadata at its current revision; raises MetadataError with every
        problem if it is invalid."""
        engine = engine or make_engine(site.settings.database_url)
        revision = store.current(engine)
        result = site.load_metadata(revision.layer if revision.id else None)
        if result.catalog is None:
            raise MetadataError(list(result.problems))
        return cls.for_catalog(result.catalog, engine, site, revision.id)

    @classmethod
    def for_catalog(
        cls, catalog: Catalog, engine: Engine, site: Site | None = None, revision: int = 0
    ) -> Runtime:
        return cls(catalog, engine, build_schema(catalog, engine.dialect.name), site, revision)
