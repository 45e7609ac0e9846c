"""Getting approved messages to people exactly once: planning, the outbox and its states,
the dispatcher, notices to staff, reconciliation and the transports."""
