"""Hoax reports from members."""
