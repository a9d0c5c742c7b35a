"""Persistence: the engine, migrations, credential encryption and the repositories."""
