"""Imports every command module so its commands register on the app. One line per module."""

# Each module registers its commands on policywatch.cli.app when imported.
from policywatch.cli import stack  # noqa: F401,E402
from policywatch.cli import search  # noqa: F401,E402
from policywatch.cli import watch  # noqa: F401,E402
from policywatch.cli import init  # noqa: F401,E402
from policywatch.cli import pipeline  # noqa: F401,E402
from policywatch.cli import crawl  # noqa: F401,E402
from policywatch.cli import extract  # noqa: F401,E402
from policywatch.cli import maintenance  # noqa: F401,E402
