//! The hottest hand-written statements, as query types diesel may prepare once per connection
//! and reuse. A raw `sql_query` is parsed and planned by the database on every call; on a
//! two-core machine that planning is a large part of a request. Each type writes its SQL with
//! bind parameters that the backend numbers itself (`$n` on PostgreSQL, `?` on SQLite), and
//! loads its rows by name like `sql_query` does.
//!
//! The statements here are written once for both backends; PostgreSQL's own (the one-statement
//! confirms, claims and batch inserts) are in `postgres/statements.rs`.

use diesel::backend::Backend;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::sql_types::{BigInt, HasSqlType, Integer, Untyped};
use diesel::QueryResult;

/// Columns every reservation statement returns.
pub(crate) const RETURNING: &str =
    " RETURNING id, user_id, starts_at, ends_at, seats, status, created_at, updated_at, booking_mode";

/// Declares a statement type: its fields are its binds, its `walk_ast` its SQL. A type of its
/// own gives diesel a static query id to cache the prepared statement under.
macro_rules! statement {
    ($name:ident { $($field:ident: $ty:ty),* $(,)? }) => {
        #[derive(Debug, Clone)]
        pub(crate) struct $name {
            $(pub $field: $ty),*
        }

        impl QueryId for $name {
            type QueryId = $name;
            const HAS_STATIC_QUERY_ID: bool = true;
        }

        impl Query for $name {
            type SqlType = Untyped;
        }

    };
}
pub(crate) use statement;

statement!(InsertIfRoom {
    user_id: i64,
    starts_at: i64,
    ends_at: i64,
    seats: i32,
    now: i64,
    hours: i64,
});

/// Inserts a pending reservation only if every covered slot exists with enough room right now.
impl<DB> QueryFragment<DB> for InsertIfRoom
where
    DB: Backend + HasSqlType<BigInt> + HasSqlType<Integer>,
    i64: diesel::serialize::ToSql<BigInt, DB>,
    i32: diesel::serialize::ToSql<Integer, DB>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        out.push_sql(
            "INSERT INTO reservations \
             (user_id, starts_at, ends_at, seats, status, created_at, updated_at) SELECT ",
        );
        out.push_bind_param::<BigInt, _>(&self.user_id)?;
        out.push_sql(", ");
        out.push_bind_param::<BigInt, _>(&self.starts_at)?;
        out.push_sql(", ");
        out.push_bind_param::<BigInt, _>(&self.ends_at)?;
        out.push_sql(", ");
        out.push_bind_param::<Integer, _>(&self.seats)?;
        out.push_sql(", 'pending', ");
        out.push_bind_param::<BigInt, _>(&self.now)?;
        out.push_sql(", ");
        out.push_bind_param::<BigInt, _>(&self.now)?;
        room_guard(
            &mut out,
            &self.starts_at,
            &self.ends_at,
            &self.seats,
            &self.hours,
            " WHERE ",
            true,
        )?;
        out.push_sql(RETURNING);
        Ok(())
    }
}

statement!(UpdatePendingIfRoom {
    id: i64,
    starts_at: i64,
    ends_at: i64,
    seats: i32,
    now: i64,
    hours: i64,
});

/// Changes a pending reservation only if it is still pending and the new range has room.
impl<DB> QueryFragment<DB> for UpdatePendingIfRoom
where
    DB: Backend + HasSqlType<BigInt> + HasSqlType<Integer>,
    i64: diesel::serialize::ToSql<BigInt, DB>,
    i32: diesel::serialize::ToSql<Integer, DB>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        out.push_sql("UPDATE reservations SET starts_at = ");
        out.push_bind_param::<BigInt, _>(&self.starts_at)?;
        out.push_sql(", ends_at = ");
        out.push_bind_param::<BigInt, _>(&self.ends_at)?;
        out.push_sql(", seats = ");
        out.push_bind_param::<Integer, _>(&self.seats)?;
        out.push_sql(", updated_at = ");
        out.push_bind_param::<BigInt, _>(&self.now)?;
        out.push_sql(" WHERE id = ");
        out.push_bind_param::<BigInt, _>(&self.id)?;
        out.push_sql(" AND status = 'pending'");
        room_guard(
            &mut out,
            &self.starts_at,
            &self.ends_at,
            &self.seats,
            &self.hours,
            " AND ",
            false,
        )?;
        out.push_sql(RETURNING);
        Ok(())
    }
}

/// `<joiner> (slots in [start, end) with capacity - confirmed >= seats) = hours`.
fn room_guard<'b, DB>(
    out: &mut AstPass<'_, 'b, DB>,
    starts_at: &'b i64,
    ends_at: &'b i64,
    seats: &'b i32,
    hours: &'b i64,
    joiner: &str,
    approval_only: bool,
) -> QueryResult<()>
where
    DB: Backend + HasSqlType<BigInt> + HasSqlType<Integer>,
    i64: diesel::serialize::ToSql<BigInt, DB>,
    i32: diesel::serialize::ToSql<Integer, DB>,
{
    out.push_sql(joiner);
    out.push_sql("(SELECT COUNT(*) FROM exam_slots WHERE starts_at >= ");
    out.push_bind_param::<BigInt, _>(starts_at)?;
    out.push_sql(" AND starts_at < ");
    out.push_bind_param::<BigInt, _>(ends_at)?;
    out.push_sql(" AND capacity - confirmed >= ");
    out.push_bind_param::<Integer, _>(seats)?;
    if approval_only {
        // A create books by approval only where every hour does; first-come hours take
        // their seats another way (`repos::first_come`).
        out.push_sql(" AND booking_mode = 'approval'");
    }
    out.push_sql(") = ");
    out.push_bind_param::<BigInt, _>(hours)?;
    Ok(())
}
