"""The editorial calendar: entries (one-off, recurring, anchored to an election stage) for one
or more groups, campaigns that group them, the guards that move or hold them (quiet hours,
blackout windows), and the worker's scan that turns each due occurrence into exactly one
broadcast.

The database is the source of truth: `calendar_targets` holds each (entry, group)'s next due
time, `calendar_occurrences` records every occurrence once (a unique key), and the scheduler only
wakes the scan up.
"""
