"""Mutation testing of the rules that must never break (`make mutate`; see __main__)."""
