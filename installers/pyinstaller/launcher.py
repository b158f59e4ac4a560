"""Entry script frozen by PyInstaller: the same command line as the ``telecabine`` script."""

from telecabine.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
