"""Telecabine: telemedicine cabin station and hub."""

from __future__ import annotations


def __getattr__(name: str) -> str:
    # ``__version__`` is looked up on first use (PEP 562): importlib.metadata scans every
    # installed distribution, ~0.1-0.25 s of the station's cold start before the first page.
    if name != "__version__":
        raise AttributeError(f"module 'telecabine' has no attribute {name!r}")
    from importlib.metadata import PackageNotFoundError, version

    try:
        value = version("telecabine")
    except PackageNotFoundError:  # running from a source tree without install
        value = "0.0.0+src"
    globals()["__version__"] = value
    return value
