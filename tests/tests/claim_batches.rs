//! `VoucherRepository::claim_many` against real databases: a batch of claims stored with one
//! commit gives each user what claims one after another would have, and batches racing on one
//! voucher never issue more than its quantity.

use domain::audit::AuditAction;
use domain::voucher::{BookDraft, ClaimWindow, Quantity, VoucherCode, VoucherId};
use domain::{Role, UserId, Username};
use integration_tests::store::TestStore;
use integration_tests::{on_both_backends, test_note, Backend};
use ports::{ClaimError, NewUser, NewVoucher};
use std::collections::HashSet;
use std::sync::Arc;
use time::{Duration, OffsetDateTime};

async fn users(db: &TestStore, prefix: &str, n: usize) -> Vec<UserId> {
    let mut ids = Vec::with_capacity(n);
    for i in 0..n {
        let user = db
            .users()
            .create(
                NewUser {
                    username: Username::parse(&format!("{prefix}{i}")).expect("name"),
                    password_hash: "hash".into(),
                    role: Role::User,
                    created_at: OffsetDateTime::now_utc(),
                },
                None,
            )
            .await
            .expect("user");
        ids.push(user.id);
    }
    ids
}

async fn voucher(db: &TestStore, code: &str, quantity: i64, window: ClaimWindow) -> VoucherId {
    let now = OffsetDateTime::now_utc();
    let book = db
        .catalog()
        .create_book(
            BookDraft::new("Batch book", Some("An author"), None).expect("book"),
            now,
            test_note(AuditAction::BookCreated),
        )
        .await
        .expect("book");
    db.catalog()
        .create_voucher(
            NewVoucher {
                book_id: book.id,
                code: VoucherCode::parse(code).expect("code"),
                quantity: Quantity::new(quantity).expect("quantity"),
                window,
                now,
            },
            test_note(AuditAction::VoucherCreated),
        )
        .await
        .expect("voucher")
        .id
}

async fn remaining(db: &TestStore, id: VoucherId) -> u32 {
    db.catalog()
        .get_voucher(id)
        .await
        .expect("read")
        .expect("voucher")
        .remaining
}

async fn a_batch_is_served_in_order_up_to_what_is_left(backend: Backend) {
    let db = TestStore::new(backend).await;
    let ids = users(&db, "reader", 5).await;
    let v = voucher(&db, "BATCH-ORDER", 3, ClaimWindow::default()).await;
    let now = OffsetDateTime::now_utc();
    db.claims()
        .claim(ids[0], v, now)
        .await
        .expect("a lone claim first");

    // reader0 claimed before; 2 are left for readers 1..4, given in the order asked.
    let outcomes = db.claims().claim_many(&ids, v, now).await;
    assert_eq!(outcomes.len(), 5);
    assert!(matches!(outcomes[0], Err(ClaimError::AlreadyClaimed)));
    for (at, outcome) in outcomes.iter().enumerate().skip(1).take(2) {
        let claim = outcome.as_ref().expect("served in order");
        assert_eq!(claim.user_id, ids[at]);
        assert_eq!(claim.voucher_id, v);
        assert_eq!(claim.book.title, "Batch book");
        assert_eq!(claim.used_at, None);
    }
    assert!(matches!(outcomes[3], Err(ClaimError::SoldOut)));
    assert!(matches!(outcomes[4], Err(ClaimError::SoldOut)));
    assert_eq!(remaining(&db, v).await, 0);

    // What the batch answered is what is stored: same ids, codes and claimers.
    let stored = db
        .claims()
        .list_voucher_claims(v, domain::PageRequest::default())
        .await
        .expect("claims")
        .items;
    assert_eq!(stored.len(), 3);
    for claim in outcomes.iter().filter_map(|o| o.as_ref().ok()) {
        let same = stored.iter().find(|s| s.id == claim.id).expect("stored");
        assert_eq!(same.code, claim.code);
        assert_eq!(same.user_id, claim.user_id);
    }
    let codes: HashSet<_> = stored.iter().map(|c| c.code.as_str().to_owned()).collect();
    assert_eq!(codes.len(), 3, "every claim has a code of its own");
}

async fn a_batch_on_a_voucher_that_cannot_be_claimed_is_refused_with_the_reason(backend: Backend) {
    let db = TestStore::new(backend).await;
    let ids = users(&db, "early", 3).await;
    let now = OffsetDateTime::now_utc();
    let later = ClaimWindow::new(Some(now + Duration::hours(1)), None).expect("window");
    let not_yet = voucher(&db, "BATCH-LATER", 10, later).await;
    let outcomes = db.claims().claim_many(&ids, not_yet, now).await;
    assert!(outcomes
        .iter()
        .all(|o| matches!(o, Err(ClaimError::NotOpenYet))));

    let ended = ClaimWindow::new(
        Some(now - Duration::hours(2)),
        Some(now - Duration::hours(1)),
    )
    .expect("window");
    let closed = voucher(&db, "BATCH-ENDED", 10, ended).await;
    let outcomes = db.claims().claim_many(&ids, closed, now).await;
    assert!(outcomes
        .iter()
        .all(|o| matches!(o, Err(ClaimError::Closed))));

    let outcomes = db.claims().claim_many(&ids, VoucherId(999_999), now).await;
    assert_eq!(outcomes.len(), 3);
    assert!(outcomes
        .iter()
        .all(|o| matches!(o, Err(ClaimError::NotFound))));
    assert_eq!(remaining(&db, not_yet).await, 10);
    assert_eq!(remaining(&db, closed).await, 10);
}

/// Twelve batches of 20 at once over 60 readers (each reader in four batches) for 40
/// vouchers: exactly 40 issued, nobody twice, and each claimer told so by exactly one batch.
async fn racing_batches_never_issue_more_than_the_quantity(backend: Backend) {
    let db = Arc::new(TestStore::new(backend).await);
    let ids = users(&db, "racer", 60).await;
    let v = voucher(&db, "BATCH-RACE", 40, ClaimWindow::default()).await;
    let batches: Vec<Vec<UserId>> = (0..12)
        .map(|b| (0..20).map(|i| ids[(b * 5 + i * 3) % 60]).collect())
        .map(|batch: Vec<UserId>| {
            let mut seen = HashSet::new();
            batch.into_iter().filter(|u| seen.insert(*u)).collect()
        })
        .collect();
    let tasks: Vec<_> = batches
        .into_iter()
        .map(|batch| {
            let db = db.clone();
            tokio::spawn(async move {
                db.claims()
                    .claim_many(&batch, v, OffsetDateTime::now_utc())
                    .await
            })
        })
        .collect();
    let mut told_claimed: Vec<UserId> = Vec::new();
    for task in tasks {
        for outcome in task.await.expect("task") {
            match outcome {
                Ok(claim) => told_claimed.push(claim.user_id),
                Err(ClaimError::AlreadyClaimed | ClaimError::SoldOut) => {}
                Err(other) => panic!("unexpected refusal: {other:?}"),
            }
        }
    }
    assert_eq!(told_claimed.len(), 40, "exactly the quantity issued");
    let distinct: HashSet<_> = told_claimed.iter().collect();
    assert_eq!(distinct.len(), 40, "nobody got two");
    assert_eq!(remaining(&db, v).await, 0);
    let stored = db
        .claims()
        .list_voucher_claims(v, domain::PageRequest::new(1, 100).expect("page"))
        .await
        .expect("claims");
    assert_eq!(stored.items.len(), 40);
    let stored_users: HashSet<_> = stored.items.iter().map(|c| c.user_id).collect();
    assert_eq!(stored_users, told_claimed.into_iter().collect());
}

on_both_backends!(
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    a_batch_is_served_in_order_up_to_what_is_left,
    a_batch_on_a_voucher_that_cannot_be_claimed_is_refused_with_the_reason,
    racing_batches_never_issue_more_than_the_quantity,
);
