//! `VoucherCatalog`: books and vouchers. A change and its audit note are one transaction; a
//! quantity only grows, guarded in the update itself.

use super::{audit, Db, Store};
use crate::errors::{backend, is_foreign_key_violation, is_unique_violation};
use crate::rows::{readable, secs, BookRow, VoucherRow};
use crate::schema::{books, vouchers};
use async_trait::async_trait;
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use domain::audit::AuditNote;
use domain::voucher::{Book, BookDraft, Voucher, VoucherId};
use domain::{Page, PageRequest};
use ports::{
    BackendError, CreateVoucherError, NewVoucher, UpdateVoucherError, VoucherCatalog,
    VoucherChanges,
};
use time::OffsetDateTime;

type Joined = (VoucherRow, BookRow);

async fn voucher_by_id(conn: &mut Db, id: VoucherId) -> Result<Option<Voucher>, BackendError> {
    vouchers::table
        .inner_join(books::table)
        .filter(vouchers::id.eq(id.0))
        .select((VoucherRow::as_select(), BookRow::as_select()))
        .first::<Joined>(conn)
        .await
        .optional()
        .map_err(backend)?
        .map(|(v, b)| v.into_voucher(b))
        .transpose()
}

#[async_trait]
impl VoucherCatalog for Store {
    async fn create_book(
        &self,
        book: BookDraft,
        now: OffsetDateTime,
        audit: AuditNote,
    ) -> Result<Book, BackendError> {
        let mut conn = self.conn().await?;
        let now = secs(now);
        let row: BookRow = conn
            .transaction(async |conn| {
                let row: BookRow = diesel::insert_into(books::table)
                    .values((
                        books::title.eq(&book.title),
                        books::author.eq(&book.author),
                        books::cover_url.eq(&book.cover_url),
                        books::created_at.eq(now),
                    ))
                    .returning(BookRow::as_returning())
                    .get_result(conn)
                    .await?;
                audit::write(conn, &audit, row.id).await?;
                diesel::QueryResult::Ok(row)
            })
            .await
            .map_err(backend)?;
        row.into_book()
    }

    async fn list_books(&self, page: PageRequest) -> Result<Page<Book>, BackendError> {
        let mut conn = self.conn().await?;
        page_of!(
            conn,
            page,
            books::table.order(books::id.asc()),
            [BookRow],
            books::table,
            |b| b.into_book()
        )
    }

    async fn create_voucher(
        &self,
        new: NewVoucher,
        audit: AuditNote,
    ) -> Result<Voucher, CreateVoucherError> {
        let mut conn = self.conn().await?;
        let quantity = new.quantity.get() as i32;
        let now = secs(new.now);
        let id: i64 = conn
            .transaction(async |conn| {
                let id: i64 = diesel::insert_into(vouchers::table)
                    .values((
                        vouchers::book_id.eq(new.book_id.0),
                        vouchers::code.eq(new.code.as_str()),
                        vouchers::quantity.eq(quantity),
                        vouchers::remaining.eq(quantity),
                        vouchers::opens_at.eq(new.window.opens_at.map(secs)),
                        vouchers::closes_at.eq(new.window.closes_at.map(secs)),
                        vouchers::created_at.eq(now),
                    ))
                    .returning(vouchers::id)
                    .get_result(conn)
                    .await?;
                audit::write(conn, &audit, id).await?;
                diesel::QueryResult::Ok(id)
            })
            .await
            .map_err(|e| {
                if is_unique_violation(&e) {
                    CreateVoucherError::DuplicateCode
                } else if is_foreign_key_violation(&e) {
                    CreateVoucherError::BookNotFound
                } else {
                    CreateVoucherError::Backend(backend(e))
                }
            })?;
        voucher_by_id(&mut conn, VoucherId(id))
            .await?
            .ok_or_else(|| BackendError::msg("a voucher vanished right after insert").into())
    }

    async fn get_voucher(&self, id: VoucherId) -> Result<Option<Voucher>, BackendError> {
        let mut conn = self.conn().await?;
        voucher_by_id(&mut conn, id).await
    }

    async fn list_vouchers(&self, page: PageRequest) -> Result<Page<Voucher>, BackendError> {
        let mut conn = self.conn().await?;
        page_of!(
            conn,
            page,
            vouchers::table
                .inner_join(books::table)
                .order((vouchers::created_at.desc(), vouchers::id.desc())),
            [VoucherRow, BookRow],
            vouchers::table,
            |v, b| v.into_voucher(b)
        )
    }

    async fn list_live(&self, now: OffsetDateTime) -> Result<Vec<Voucher>, BackendError> {
        let now = secs(now);
        let mut conn = self.conn().await?;
        vouchers::table
            .inner_join(books::table)
            .filter(vouchers::closed.eq(false))
            .filter(vouchers::remaining.gt(0))
            // Upcoming ones too: the page counts down to their opening.
            .filter(
                vouchers::closes_at
                    .is_null()
                    .or(vouchers::closes_at.gt(now)),
            )
            .order(vouchers::id.asc())
            .select((VoucherRow::as_select(), BookRow::as_select()))
            .load::<Joined>(&mut conn)
            .await
            .map_err(backend)
            .map(|rows| readable(rows.into_iter().map(|(v, b)| v.into_voucher(b))))
    }

    async fn update_voucher(
        &self,
        id: VoucherId,
        changes: VoucherChanges,
        audit: AuditNote,
    ) -> Result<Voucher, UpdateVoucherError> {
        let mut conn = self.conn().await?;
        let quantity = changes.quantity.map(|q| q.get() as i32);
        let window = changes.window;
        let changed = conn
            .transaction(async |conn| {
                let mut update = diesel::update(vouchers::table)
                    .filter(vouchers::id.eq(id.0))
                    .into_boxed();
                if let Some(q) = quantity {
                    // Never shrink, whatever happened since the caller read the voucher.
                    update = update.filter(vouchers::quantity.le(q));
                }
                let changed = update
                    .set((
                        // SET reads the old row on every side, so remaining grows by the
                        // difference.
                        quantity.map(|q| {
                            vouchers::remaining.eq(vouchers::remaining + q - vouchers::quantity)
                        }),
                        quantity.map(|q| vouchers::quantity.eq(q)),
                        changes.closed.map(|c| vouchers::closed.eq(c)),
                        window.map(|w| vouchers::opens_at.eq(w.opens_at.map(secs))),
                        window.map(|w| vouchers::closes_at.eq(w.closes_at.map(secs))),
                    ))
                    .execute(conn)
                    .await?;
                if changed > 0 {
                    audit::write(conn, &audit, id.0).await?;
                }
                diesel::QueryResult::Ok(changed)
            })
            .await
            .map_err(backend)?;
        let current = voucher_by_id(&mut conn, id).await?;
        match (changed, current) {
            (_, None) => Err(UpdateVoucherError::NotFound),
            (0, Some(v)) if quantity.is_some() => Err(UpdateVoucherError::QuantityShrinks {
                current: v.quantity,
            }),
            (_, Some(v)) => Ok(v),
        }
    }
}
