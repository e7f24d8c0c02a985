"""The metadata language: loading, validating and resolving packages into a Catalog.

Pure: no database, no Flask. Input is files or text; output is a Catalog or problems.
"""

from .catalog import Catalog as Catalog
from .catalog import Entity as Entity
from .catalog import Field as Field
from .catalog import Label as Label
from .loader import Layer as Layer
from .loader import read_sources as read_sources
from .problems import Location as Location
from .problems import Problem as Problem
from .validator import Result as Result
from .validator import validate_paths as validate_paths
from .validator import validate_sources as validate_sources
