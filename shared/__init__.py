"""The contract shared by the desktop app and the job service.

Pure Python: pydantic schemas, enums, error codes, the catalogue and the quote engine.
Imports neither `service`, `desktop` nor Qt (enforced by import-linter).
"""
