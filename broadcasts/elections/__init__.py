"""Election calendars, the FAQ, and reading the questions members ask about them."""
