"""`python -m telecabine` runs the command line."""

from telecabine.cli import main

raise SystemExit(main())
