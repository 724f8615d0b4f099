import sys

from policywatch.cli import main

sys.exit(main())
