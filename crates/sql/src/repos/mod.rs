//! The repository ports, implemented once and compiled once per backend (see the crate docs).
//!
//! `super` is the backend module: it names `Db` (the connection type), `Store` (the type the
//! ports are implemented on, with a `conn()` that checks a connection out of its pool) and
//! `dialect` (the statements the two databases spell differently), and `PROBE_NAME`. `Store`
//! also has a `mode_hints()` (see `mode_hints`).

/// One page of a list: `rows`, a filtered and ordered query, is read as the row types given and
/// `COUNT(*) OVER ()`, so the page and the total come in one round trip; `count` (the same
/// filter, counted) runs only when the page lies past the last row. Each row becomes an item
/// through `|pattern| item`, a `Result`; a row that cannot be read is left out and logged.
macro_rules! page_of {
    ($conn:expr, $page:expr, $rows:expr, [$($row_type:ty),+], $count:expr,
     |$($row:pat_param),+| $item:expr) => {{
        let page: domain::PageRequest = $page;
        let rows: Vec<($($row_type,)+ i64)> = diesel_async::RunQueryDsl::load(
            $rows
                .select((
                    $(<$row_type>::as_select(),)+
                    diesel::dsl::sql::<diesel::sql_types::BigInt>("COUNT(*) OVER ()"),
                ))
                .limit(i64::from(page.per_page()))
                .offset(page.offset() as i64),
            &mut *$conn,
        )
        .await
        .map_err(crate::errors::backend)?;
        crate::rows::into_page(
            rows,
            page,
            |row| {
                let (.., total) = row;
                *total
            },
            || diesel_async::RunQueryDsl::get_result($count.count(), &mut *$conn),
            |($($row,)+ _)| $item,
        )
        .await
    }};
}

mod audit;
mod catalog;
mod claims;
mod confirms;
mod creates;
mod first_come;
mod guards;
mod health;
mod idempotency;
mod outbox;
mod reconcile;
mod redemptions;
mod reservations;
mod slots;
mod users;

use super::{dialect, Db, Dialect, Store, PROBE_NAME};
