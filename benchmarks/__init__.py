"""Performance figures for the README, each reproducible with one command."""
