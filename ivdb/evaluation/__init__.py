"""Evaluation of linkage on labelled synthetic data."""
