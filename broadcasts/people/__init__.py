"""Groups, members, roles and phone numbers; who acts when staff use the CLI."""
