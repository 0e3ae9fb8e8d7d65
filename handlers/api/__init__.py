"""Use cases behind the mini-program API: each takes a session and the signed-in caller, and returns a model."""
