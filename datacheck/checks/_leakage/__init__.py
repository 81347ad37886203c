"""Helpers shared by ``split_leakage``, ``preprocessing_leakage`` and ``split_consistency``."""
