"""The PySide6 studio: views, view-models, widgets and the service client bridge.

Reaches the service only through its HTTP API (enforced by import-linter)."""
