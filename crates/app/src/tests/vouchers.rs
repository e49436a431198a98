use super::*;
use crate::error::{AppError, Conflict, Invalid};
use crate::{VoucherInput, VoucherPatch};
use domain::voucher::{Book, BookId, Claim, ClaimId, ClaimWindow, Voucher, VoucherCode, VoucherId};
use domain::PageRequest;
use ports::{Admission, BackendError, ClaimError, UseClaimError};

fn book() -> Book {
    Book {
        id: BookId(1),
        title: "Dune".into(),
        author: Some("Frank Herbert".into()),
        cover_url: None,
        created_at: NOW,
    }
}

fn voucher(remaining: u32) -> Voucher {
    Voucher {
        id: VoucherId(5),
        book: book(),
        code: VoucherCode::parse("DUNE-1").expect("code"),
        quantity: 200,
        remaining,
        closed: false,
        window: ClaimWindow::default(),
        created_at: NOW,
    }
}

fn claim() -> Claim {
    Claim {
        id: ClaimId(9),
        user_id: OWNER.user_id,
        voucher_id: VoucherId(5),
        code: domain::RedemptionCode::from_random([7; 10]),
        book: book(),
        claimed_at: NOW,
        used_at: None,
    }
}

#[tokio::test]
async fn a_sold_out_answer_from_the_gate_never_claims_and_is_remembered_once_confirmed() {
    let mut m = Mocks::default();
    m.gate
        .expect_admit()
        .times(1)
        .returning(|_, _| Ok(Admission::SoldOut));
    // The record confirms nothing is left: the voucher is remembered as sold out, so the
    // second press asks neither the gate nor the database. No claim is ever attempted.
    m.catalog
        .expect_get_voucher()
        .times(1)
        .returning(|_| Ok(Some(voucher(0))));
    let s = m.services().vouchers;
    for _ in 0..2 {
        assert!(matches!(
            s.claim(&OWNER, VoucherId(5)).await,
            Err(AppError::Conflict(Conflict::SoldOut))
        ));
    }
    assert!(s.known_sold_out(VoucherId(5)));
}

#[tokio::test]
async fn a_gate_at_zero_with_stock_in_flight_is_not_remembered() {
    let mut m = Mocks::default();
    m.gate
        .expect_admit()
        .times(2)
        .returning(|_, _| Ok(Admission::SoldOut));
    // Units are still in flight (the record has some left): answer sold out, but do not
    // remember it, as an in-flight claim may give its unit back. The record is asked once,
    // not on every press.
    m.catalog
        .expect_get_voucher()
        .times(1)
        .returning(|_| Ok(Some(voucher(3))));
    let s = m.services().vouchers;
    for _ in 0..2 {
        assert!(matches!(
            s.claim(&OWNER, VoucherId(5)).await,
            Err(AppError::Conflict(Conflict::SoldOut))
        ));
    }
    assert!(!s.known_sold_out(VoucherId(5)));
}

#[tokio::test]
async fn a_known_claimer_is_told_already_claimed_by_the_gate() {
    let mut m = Mocks::default();
    m.gate
        .expect_admit()
        .returning(|_, _| Ok(Admission::AlreadyClaimed));
    assert!(matches!(
        m.services().vouchers.claim(&OWNER, VoucherId(5)).await,
        Err(AppError::Conflict(Conflict::AlreadyClaimed))
    ));
}

#[tokio::test]
async fn an_admitted_claim_is_stored_without_writing_the_gate_again() {
    let mut m = Mocks::default();
    // Admission already counted the user as a claimer: no second gate write on success.
    m.gate
        .expect_admit()
        .returning(|_, _| Ok(Admission::Admitted));
    m.claims
        .expect_claim()
        .times(1)
        .returning(|_, _, _| Ok(claim()));
    m.gate.expect_claimed().times(0);
    let c = m
        .services()
        .vouchers
        .claim(&OWNER, VoucherId(5))
        .await
        .expect("claimed");
    assert_eq!(c.id, ClaimId(9));
}

#[tokio::test]
async fn an_unknown_gate_is_seeded_from_the_database_then_asked_again() {
    let mut m = Mocks::default();
    let mut answers = vec![Admission::Admitted, Admission::Unknown];
    m.gate
        .expect_admit()
        .times(2)
        .returning(move |_, _| Ok(answers.pop().expect("answer")));
    m.catalog
        .expect_get_voucher()
        .returning(|_| Ok(Some(voucher(17))));
    m.gate
        .expect_seed()
        .withf(|_, remaining| *remaining == 17)
        .times(1)
        .returning(|_, _| Ok(()));
    m.claims.expect_claim().returning(|_, _, _| Ok(claim()));
    m.services()
        .vouchers
        .claim(&OWNER, VoucherId(5))
        .await
        .expect("claimed");
}

#[tokio::test]
async fn the_database_saying_sold_out_marks_the_gate() {
    let mut m = Mocks::default();
    m.gate
        .expect_admit()
        .returning(|_, _| Ok(Admission::Admitted));
    m.claims
        .expect_claim()
        .returning(|_, _, _| Err(ClaimError::SoldOut));
    m.gate.expect_sold_out().times(1).returning(|_| Ok(()));
    assert!(matches!(
        m.services().vouchers.claim(&OWNER, VoucherId(5)).await,
        Err(AppError::Conflict(Conflict::SoldOut))
    ));
}

#[tokio::test]
async fn a_refused_admitted_claim_gives_its_unit_back() {
    let mut m = Mocks::default();
    m.gate
        .expect_admit()
        .returning(|_, _| Ok(Admission::Admitted));
    m.claims
        .expect_claim()
        .returning(|_, _, _| Err(ClaimError::AlreadyClaimed));
    m.gate.expect_give_back().times(1).returning(|_, _| Ok(()));
    m.gate.expect_claimed().times(1).returning(|_, _| Ok(()));
    assert!(matches!(
        m.services().vouchers.claim(&OWNER, VoucherId(5)).await,
        Err(AppError::Conflict(Conflict::AlreadyClaimed))
    ));
}

#[tokio::test]
async fn an_unreachable_gate_falls_back_to_the_database() {
    let mut m = Mocks::default();
    m.gate
        .expect_admit()
        .returning(|_, _| Err(BackendError::msg("redis down")));
    m.claims
        .expect_claim()
        .times(1)
        .returning(|_, _, _| Ok(claim()));
    m.gate
        .expect_claimed()
        .returning(|_, _| Err(BackendError::msg("redis down")));
    m.services()
        .vouchers
        .claim(&OWNER, VoucherId(5))
        .await
        .expect("claimed");
}

#[tokio::test]
async fn claims_outside_the_window_are_rule_violations() {
    for (refusal, expected) in [
        (ClaimError::NotOpenYet, "not open"),
        (ClaimError::Closed, "closed"),
    ] {
        let mut m = Mocks::default();
        m.gate
            .expect_admit()
            .returning(|_, _| Ok(Admission::Admitted));
        let mut once = Some(refusal);
        m.claims
            .expect_claim()
            .returning(move |_, _, _| Err(once.take().expect("once")));
        m.gate.expect_give_back().returning(|_, _| Ok(()));
        let got = m.services().vouchers.claim(&OWNER, VoucherId(5)).await;
        assert!(
            matches!(got, Err(AppError::Invalid(Invalid::ClaimWindow(_)))),
            "{expected}"
        );
    }
}

#[tokio::test]
async fn using_a_claim_twice_is_a_conflict() {
    let mut m = Mocks::default();
    m.claims
        .expect_use_claim()
        .returning(|_, _, _| Err(UseClaimError::AlreadyUsed));
    assert!(matches!(
        m.services().vouchers.use_claim(&OWNER, ClaimId(9)).await,
        Err(AppError::Conflict(Conflict::AlreadyUsed))
    ));
}

#[tokio::test]
async fn users_cannot_reach_admin_voucher_use_cases() {
    let s = Mocks::default().services().vouchers;
    let page = PageRequest::default();
    assert!(matches!(
        s.create_book(&OWNER, "Dune", None, None).await,
        Err(AppError::Forbidden)
    ));
    assert!(matches!(
        s.list_books(&OWNER, page).await,
        Err(AppError::Forbidden)
    ));
    assert!(matches!(
        s.list_vouchers(&OWNER, page).await,
        Err(AppError::Forbidden)
    ));
    assert!(matches!(
        s.update_voucher(&OWNER, VoucherId(5), VoucherPatch::default())
            .await,
        Err(AppError::Forbidden)
    ));
    assert!(matches!(
        s.voucher_claims(&OWNER, VoucherId(5), page).await,
        Err(AppError::Forbidden)
    ));
    let input = VoucherInput {
        book_id: 1,
        code: "DUNE-1".into(),
        quantity: 5,
        opens_at: None,
        closes_at: None,
    };
    assert!(matches!(
        s.create_voucher(&OWNER, input).await,
        Err(AppError::Forbidden)
    ));
}

#[tokio::test]
async fn quantity_may_only_grow_and_a_change_resets_the_gate() {
    let mut m = Mocks::default();
    m.catalog
        .expect_get_voucher()
        .returning(|_| Ok(Some(voucher(0))));
    let s = m.services().vouchers;
    let shrink = VoucherPatch {
        quantity: Some(100),
        ..VoucherPatch::default()
    };
    assert!(matches!(
        s.update_voucher(&ADMIN, VoucherId(5), shrink).await,
        Err(AppError::Invalid(Invalid::Voucher(_)))
    ));

    let mut m = Mocks::default();
    m.catalog
        .expect_get_voucher()
        .returning(|_| Ok(Some(voucher(0))));
    m.catalog
        .expect_update_voucher()
        .withf(|_, c, note| {
            c.quantity.map(|q| q.get()) == Some(250)
                && note.changes
                    == [domain::audit::FieldChange {
                        field: "quantity",
                        before: 200u32.into(),
                        after: 250u32.into(),
                    }]
        })
        .times(1)
        .returning(|_, _, _| Ok(voucher(50)));
    m.gate.expect_forget().times(1).returning(|_| Ok(()));
    let grow = VoucherPatch {
        quantity: Some(250),
        ..VoucherPatch::default()
    };
    let v = m
        .services()
        .vouchers
        .update_voucher(&ADMIN, VoucherId(5), grow)
        .await
        .expect("grown");
    assert_eq!(v.remaining, 50);
}
