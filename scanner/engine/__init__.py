"""Matching stage: keyword prefilter, regex confirmation, entropy, validators, filters."""
