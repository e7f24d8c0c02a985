"""``loom demo``: a realistic Chinese company on a site, generated from its Catalog."""

from .populate import DemoRefused as DemoRefused
from .populate import DemoResult as DemoResult
from .populate import Login as Login
from .populate import demo_logins as demo_logins
from .populate import demo_steps as demo_steps
from .populate import has_demo_data as has_demo_data
from .populate import populate as populate
