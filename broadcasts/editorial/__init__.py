"""Content and broadcasts from draft to approval: the four-eyes workflow, scheduling,
the content library and the audit log."""
