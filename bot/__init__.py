"""Runtime and transport: settings, wiring, stream connection, DingTalk client, HTTP server, CLI."""
