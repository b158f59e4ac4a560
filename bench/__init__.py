"""Benchmarks: each writes ``bench/results/<name>.json`` with its anchor measured in the same run."""
