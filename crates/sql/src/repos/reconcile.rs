//! `Reconciliation`: every counter checked against its ledger in one read-only statement, so
//! from one snapshot, on a live database.

use super::Store;
use crate::errors::backend;
use crate::rows::instant;
use async_trait::async_trait;
use diesel::sql_types::{BigInt, Text};
use diesel::QueryableByName;
use diesel_async::RunQueryDsl;
use ports::{BackendError, Discrepancy, Reconciliation};

/// One row per finding: `kind` says which, the three numbers what was found.
const FIND_DISCREPANCIES: &str = "\
    WITH ledger AS ( \
        SELECT s.starts_at, CAST(s.confirmed AS BIGINT) AS confirmed, \
               CAST(COALESCE(SUM(r.seats), 0) AS BIGINT) AS booked \
        FROM exam_slots s \
        LEFT JOIN reservations r \
          ON r.status = 'confirmed' AND r.starts_at <= s.starts_at AND r.ends_at > s.starts_at \
        GROUP BY s.starts_at, s.confirmed \
    ), off AS (SELECT starts_at, confirmed, booked FROM ledger WHERE confirmed <> booked) \
    SELECT 'slot' AS kind, starts_at AS a, confirmed AS b, booked AS c FROM off \
    UNION ALL \
    SELECT 'slot_reservation', o.starts_at, r.id, CAST(r.seats AS BIGINT) \
    FROM off o JOIN reservations r \
      ON r.status = 'confirmed' AND r.starts_at <= o.starts_at AND r.ends_at > o.starts_at \
    UNION ALL \
    SELECT 'voucher', v.id, CAST(v.remaining AS BIGINT), \
           CAST(v.quantity AS BIGINT) - COUNT(c.id) \
    FROM vouchers v LEFT JOIN voucher_claims c ON c.voucher_id = v.id \
    GROUP BY v.id, v.remaining, v.quantity \
    HAVING CAST(v.remaining AS BIGINT) <> CAST(v.quantity AS BIGINT) - COUNT(c.id) \
    UNION ALL \
    SELECT 'duplicate_claim', voucher_id, user_id, COUNT(*) \
    FROM voucher_claims GROUP BY voucher_id, user_id HAVING COUNT(*) > 1";

#[derive(QueryableByName)]
struct Finding {
    #[diesel(sql_type = Text)]
    kind: String,
    #[diesel(sql_type = BigInt)]
    a: i64,
    #[diesel(sql_type = BigInt)]
    b: i64,
    #[diesel(sql_type = BigInt)]
    c: i64,
}

#[async_trait]
impl Reconciliation for Store {
    async fn discrepancies(&self) -> Result<Vec<Discrepancy>, BackendError> {
        let mut conn = self.conn().await?;
        let findings: Vec<Finding> = diesel::sql_query(FIND_DISCREPANCIES)
            .load(&mut conn)
            .await
            .map_err(backend)?;
        let mut out: Vec<Discrepancy> = Vec::new();
        let mut covering: Vec<(i64, (i64, i64))> = Vec::new();
        for f in findings {
            match f.kind.as_str() {
                "slot" => out.push(Discrepancy::Slot {
                    starts_at: instant(f.a)?,
                    confirmed: f.b,
                    ledger: f.c,
                    reservations: Vec::new(),
                }),
                "slot_reservation" => covering.push((f.a, (f.b, f.c))),
                "voucher" => out.push(Discrepancy::Voucher {
                    voucher: f.a,
                    remaining: f.b,
                    expected: f.c,
                }),
                _ => out.push(Discrepancy::DuplicateClaims {
                    voucher: f.a,
                    user: f.b,
                    claims: f.c,
                }),
            }
        }
        for d in &mut out {
            if let Discrepancy::Slot {
                starts_at,
                reservations,
                ..
            } = d
            {
                let at = starts_at.unix_timestamp();
                reservations.extend(covering.iter().filter(|(s, _)| *s == at).map(|(_, r)| *r));
                reservations.sort_unstable();
            }
        }
        Ok(out)
    }
}
