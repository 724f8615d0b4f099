"""The ground every other package stands on: settings, errors, client factories, decoding, segmentation.

Imports `schemas` only (enforced by the import-linter contract in pyproject.toml).
"""
