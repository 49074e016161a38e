"""`python -m kedawatch` does what the `kedawatch` console script does."""

from kedawatch import cli

raise SystemExit(cli.main())
