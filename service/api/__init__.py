"""The HTTP API (`/api/v1`): routes, auth, errors and the event stream."""
