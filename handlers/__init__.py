"""Use cases: what happens on each chat message, card action, API request and scheduled job."""
