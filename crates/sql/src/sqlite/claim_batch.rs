//! A batch of claims of one voucher on SQLite, as one synchronous transaction: the same
//! outcome as PostgreSQL's one statement (`postgres::statements::ClaimBatchInOneStatement`). Users who
//! already hold a claim are left out; the first of the others, in the order asked, get as
//! many units as are left, taken with one guarded decrement.

use crate::rows::{BatchClaimRow, BookRow, VoucherRow};
use crate::schema::{books, voucher_claims, vouchers};
use diesel::prelude::*;
use diesel::result::Error;
use diesel::SqliteConnection;
use std::collections::{HashMap, HashSet};

/// One row per asked user, in the order asked. `users` holds no one twice.
pub(super) fn claim_batch(
    conn: &mut SqliteConnection,
    users: &[i64],
    codes: &[String],
    voucher_id: i64,
    now: i64,
) -> QueryResult<Vec<BatchClaimRow>> {
    // The write lock from the first read: nothing read below can change before the commit.
    conn.immediate_transaction(|conn| {
        let voucher: Option<(VoucherRow, BookRow)> = vouchers::table
            .inner_join(books::table)
            .filter(vouchers::id.eq(voucher_id))
            .select((VoucherRow::as_select(), BookRow::as_select()))
            .first(conn)
            .optional()?;
        let holders: HashSet<i64> = voucher_claims::table
            .filter(voucher_claims::voucher_id.eq(voucher_id))
            .filter(voucher_claims::user_id.eq_any(users))
            .select(voucher_claims::user_id)
            .load::<i64>(conn)?
            .into_iter()
            .collect();
        let fresh: Vec<(i64, &str)> = users
            .iter()
            .zip(codes)
            .filter(|(user, _)| !holders.contains(user))
            .map(|(user, code)| (*user, code.as_str()))
            .collect();
        let units = match &voucher {
            Some((v, _)) if v.refusal_at(now).is_none() => {
                fresh.len().min(usize::try_from(v.remaining).unwrap_or(0))
            }
            _ => 0,
        };
        let mut claimed: HashMap<i64, i64> = HashMap::with_capacity(units);
        if units > 0 {
            let taking = i32::try_from(units).map_err(|_| Error::RollbackTransaction)?;
            let taken = diesel::update(vouchers::table.find(voucher_id))
                .filter(vouchers::remaining.ge(taking))
                .set(vouchers::remaining.eq(vouchers::remaining - taking))
                .execute(conn)?;
            if taken != 1 {
                // Cannot happen under the write lock; refuse rather than oversell.
                return Err(Error::RollbackTransaction);
            }
            let rows: Vec<_> = fresh[..units]
                .iter()
                .map(|(user, code)| {
                    (
                        voucher_claims::user_id.eq(*user),
                        voucher_claims::voucher_id.eq(voucher_id),
                        voucher_claims::claimed_at.eq(now),
                        voucher_claims::redemption_code.eq(*code),
                    )
                })
                .collect();
            claimed = diesel::insert_into(voucher_claims::table)
                .values(&rows)
                .returning((voucher_claims::user_id, voucher_claims::id))
                .get_results::<(i64, i64)>(conn)?
                .into_iter()
                .collect();
        }
        let book = voucher.map(|(_, book)| book);
        Ok(users
            .iter()
            .map(|user| BatchClaimRow {
                user_id: *user,
                claim_id: claimed.get(user).copied(),
                already_claimed: holders.contains(user),
                book_id: book.as_ref().map(|b| b.id),
                book_title: book.as_ref().map(|b| b.title.clone()),
                book_author: book.as_ref().and_then(|b| b.author.clone()),
                book_cover_url: book.as_ref().and_then(|b| b.cover_url.clone()),
                book_created_at: book.as_ref().map(|b| b.created_at),
            })
            .collect())
    })
}
