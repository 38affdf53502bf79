"""Test helpers that start real parts (databases, servers) for the suite."""
