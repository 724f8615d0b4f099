"""Imports every command module so its commands register on the app. One line per module.

The order is the order of `policywatch --help` (stack first), so the import sorter is off here."""

# Each module registers its commands on policywatch.cli.app when imported.
# isort: off
from policywatch.cli import stack  # noqa: F401
from policywatch.cli import search  # noqa: F401
from policywatch.cli import watch  # noqa: F401
from policywatch.cli import init  # noqa: F401
from policywatch.cli import pipeline  # noqa: F401
from policywatch.cli import crawl  # noqa: F401
from policywatch.cli import sources  # noqa: F401
from policywatch.cli import extract  # noqa: F401
from policywatch.cli import maintenance  # noqa: F401
from policywatch.cli import web  # noqa: F401
from policywatch.cli import dlq  # noqa: F401
from policywatch.cli import health  # noqa: F401
# isort: on
