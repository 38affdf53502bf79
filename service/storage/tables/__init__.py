"""Every table, one module per concept. Importing this package registers them on Base."""

from service.storage.tables.analytics import AnalyticsEventRow
from service.storage.tables.config import ConfigEntryRow
from service.storage.tables.generations import GenerationEventRow, GenerationRow
from service.storage.tables.ledger import AccountRow, PurchaseRow, TransferRow
from service.storage.tables.media import MediaRow
from service.storage.tables.users import UserRoleRow, UserRow

__all__ = [
    "AccountRow",
    "AnalyticsEventRow",
    "ConfigEntryRow",
    "GenerationEventRow",
    "GenerationRow",
    "MediaRow",
    "PurchaseRow",
    "TransferRow",
    "UserRoleRow",
    "UserRow",
]
