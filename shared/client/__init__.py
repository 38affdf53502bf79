"""The one typed client of the service's HTTP API, used by the desktop and the CLI."""

from shared.client.discovery import ServiceFile, connect_or_start, read_service_file
from shared.client.http import ServiceClient, ServiceUnreachable

__all__ = [
    "ServiceClient",
    "ServiceFile",
    "ServiceUnreachable",
    "connect_or_start",
    "read_service_file",
]
