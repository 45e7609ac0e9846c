"""Configuration: settings from the environment, and election calendars as data."""
