"""Tests of the scoring engines (in-memory and dask)."""
