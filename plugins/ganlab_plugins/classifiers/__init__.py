"""Classifier plugins."""
