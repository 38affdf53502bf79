"""The auditor: the ledger's invariants, checked from the database alone.

- the books sum to zero (posted and pending, over every account);
- no wallet is below zero, reservations included;
- each reservation is resolved at most once, by a resolution that matches it;
- every account's balances equal the fold of its transfers, so for every wallet
  available + reserved (its open reservations) equals its posted balance;
- every paid purchase was credited once, with its credits, to its buyer.

`run(conn)` checks everything; `run(conn, user_ids)` limits the per-account checks to those
wallets. Either way it is one round trip when all is well (the details of a violation are
fetched only when there is one), cheap enough to run after every step of a long workload.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import TextClause, bindparam, text
from sqlalchemy.ext.asyncio import AsyncConnection

from service.ledger.accounts import wallet_id


@dataclass
class AuditReport:
    violations: list[str] = field(default_factory=list)
    accounts_checked: int = 0

    @property
    def ok(self) -> bool:
        return not self.violations

    def raise_if_failed(self) -> None:
        if self.violations:
            raise AssertionError("ledger audit failed:\n  " + "\n  ".join(self.violations))


# Accounts whose stored balances differ from the fold of their transfers (open reservations
# count as pending), or wallets where available (as the balance API computes it) + reserved
# (the open reservations) != posted (the fold of posted transfers).
_MISMATCHED = """
WITH open_pending AS (
  SELECT p.debit_account_id, p.credit_account_id, p.amount FROM ledger_transfers p
  WHERE p.kind = 'pending' {scope_p}
    AND NOT EXISTS (SELECT 1 FROM ledger_transfers r WHERE r.pending_id = p.id)
), legs AS (
  SELECT debit_account_id AS account, amount AS dp, 0 AS cp, 0 AS dpe, 0 AS cpe
    FROM ledger_transfers WHERE kind IN ('single', 'post') {scope_debit}
  UNION ALL SELECT credit_account_id, 0, amount, 0, 0
    FROM ledger_transfers WHERE kind IN ('single', 'post') {scope_credit}
  UNION ALL SELECT debit_account_id, 0, 0, amount, 0 FROM open_pending
  UNION ALL SELECT credit_account_id, 0, 0, 0, amount FROM open_pending
), folded AS (
  SELECT account, SUM(dp) AS dp, SUM(cp) AS cp, SUM(dpe) AS dpe, SUM(cpe) AS cpe
  FROM legs GROUP BY account
)
SELECT a.id, a.debits_posted, a.credits_posted, a.debits_pending, a.credits_pending,
       COALESCE(f.dp, 0), COALESCE(f.cp, 0), COALESCE(f.dpe, 0), COALESCE(f.cpe, 0)
FROM ledger_accounts a LEFT JOIN folded f ON f.account = a.id
WHERE {scope_a}
  AND (a.debits_posted != COALESCE(f.dp, 0) OR a.credits_posted != COALESCE(f.cp, 0)
    OR a.debits_pending != COALESCE(f.dpe, 0) OR a.credits_pending != COALESCE(f.cpe, 0)
    OR (a.kind = 'wallet' AND (a.credits_posted - a.debits_posted - a.debits_pending)
        + COALESCE(f.dpe, 0) != COALESCE(f.cp, 0) - COALESCE(f.dp, 0)))
"""

_NEGATIVE_WALLETS = (
    "SELECT id, credits_posted - debits_posted - debits_pending FROM ledger_accounts"
    " WHERE kind = 'wallet' AND credits_posted - debits_posted - debits_pending < 0"
)

_RESOLVED_TWICE = (
    "SELECT pending_id, COUNT(*) FROM ledger_transfers WHERE pending_id IS NOT NULL {scope_t}"
    " GROUP BY pending_id HAVING COUNT(*) > 1"
)

_BAD_RESOLUTIONS = (
    "SELECT r.id FROM ledger_transfers r LEFT JOIN ledger_transfers p ON p.id = r.pending_id"
    " WHERE r.pending_id IS NOT NULL {scope_r} AND (p.id IS NULL OR p.kind != 'pending'"
    " OR p.debit_account_id != r.debit_account_id OR p.credit_account_id != r.credit_account_id"
    " OR (r.kind = 'post' AND r.amount > p.amount) OR (r.kind = 'void' AND r.amount != p.amount))"
)

_UNCREDITED_PURCHASES = (
    "SELECT c.checkout_session_id FROM credit_purchases c"
    " LEFT JOIN ledger_transfers t ON t.id = c.transfer_id"
    " WHERE c.status = 'paid' AND (t.id IS NULL OR t.amount != c.credits"
    " OR t.kind != 'single' OR t.source != 'credit_purchase'"
    " OR t.credit_account_id != 'wallet:' || c.user_id)"
    " UNION ALL SELECT t.id FROM ledger_transfers t WHERE t.source = 'credit_purchase'"
    " AND NOT EXISTS (SELECT 1 FROM credit_purchases c WHERE c.transfer_id = t.id)"
)

_SUMMARY = """
SELECT
  (SELECT COALESCE(SUM(credits_posted - debits_posted), 0) FROM ledger_accounts),
  (SELECT COALESCE(SUM(credits_pending - debits_pending), 0) FROM ledger_accounts),
  (SELECT COUNT(*) FROM ledger_accounts),
  (SELECT COUNT(*) FROM ({negative}) n),
  (SELECT COUNT(*) FROM ({twice}) t),
  (SELECT COUNT(*) FROM ({bad}) b),
  (SELECT COUNT(*) FROM ({mismatched}) m),
  (SELECT COUNT(*) FROM ({purchases}) u)
"""


@dataclass(frozen=True)
class _Queries:
    summary: TextClause
    twice: TextClause
    bad: TextClause
    mismatched: TextClause


def _queries(scoped: bool) -> _Queries:
    if scoped:
        scope = {
            "scope_t": "AND debit_account_id IN :accounts",
            "scope_r": "AND r.debit_account_id IN :accounts",
            "scope_p": "AND (p.debit_account_id IN :accounts OR p.credit_account_id IN :accounts)",
            "scope_debit": "AND debit_account_id IN :accounts",
            "scope_credit": "AND credit_account_id IN :accounts",
            "scope_a": "a.id IN :accounts",
        }
    else:
        scope = dict.fromkeys(
            ("scope_t", "scope_r", "scope_p", "scope_debit", "scope_credit"), ""
        ) | {"scope_a": "1 = 1"}
    twice = _RESOLVED_TWICE.format(**scope)
    bad = _BAD_RESOLUTIONS.format(**scope)
    mismatched = _MISMATCHED.format(**scope)
    # Purchases are checked by the full audit; a scoped one counts none.
    purchases = "SELECT 1 WHERE 1 = 0" if scoped else _UNCREDITED_PURCHASES
    summary = _SUMMARY.format(
        negative=_NEGATIVE_WALLETS, twice=twice, bad=bad, mismatched=mismatched, purchases=purchases
    )

    def prepared(sql: str) -> TextClause:
        clause = text(sql)
        return clause.bindparams(bindparam("accounts", expanding=True)) if scoped else clause

    return _Queries(prepared(summary), prepared(twice), prepared(bad), prepared(mismatched))


_ALL = _queries(scoped=False)
_SOME = _queries(scoped=True)


async def run(conn: AsyncConnection, user_ids: list[str] | None = None) -> AuditReport:
    queries = _ALL if user_ids is None else _SOME
    scope = {} if user_ids is None else {"accounts": [wallet_id(u) for u in user_ids] or [""]}
    posted, pending, accounts, negative, twice, bad, mismatched, uncredited = (
        await conn.execute(queries.summary, scope)
    ).one()
    report = AuditReport(accounts_checked=int(accounts) if user_ids is None else len(user_ids))
    posted, pending = int(posted), int(pending)  # PostgreSQL sums are numeric
    if posted != 0 or pending != 0:
        report.violations.append(f"books do not sum to zero: posted {posted}, pending {pending}")
    if negative:
        for account, available in await conn.execute(text(_NEGATIVE_WALLETS)):
            report.violations.append(f"{account} is below zero: {available} available")
    if twice:
        for pending_id, times in await conn.execute(queries.twice, scope):
            report.violations.append(f"reservation {pending_id} resolved {times} times")
    if bad:
        for (transfer_id,) in await conn.execute(queries.bad, scope):
            report.violations.append(f"resolution {transfer_id} does not match its reservation")
    if mismatched:
        for account, *values in await conn.execute(queries.mismatched, scope):
            report.violations.append(
                f"{account}: balances (debits_posted, credits_posted, debits_pending, "
                f"credits_pending) are {tuple(map(int, values[:4]))} but its transfers sum "
                f"to {tuple(map(int, values[4:]))}"
            )
    if uncredited:
        for (purchase,) in await conn.execute(text(_UNCREDITED_PURCHASES)):
            report.violations.append(f"purchase {purchase} is not credited exactly once")
    return report
