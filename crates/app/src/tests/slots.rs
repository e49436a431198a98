use super::*;
use crate::error::{AppError, Invalid};
use domain::SlotLoad;
use ports::Slot;
use time::macros::date;

fn slot(start: OffsetDateTime, confirmed: u32) -> Slot {
    Slot {
        starts_at: start,
        load: SlotLoad::new(100, confirmed).expect("load"),
        mode: BookingMode::Approval,
        waitlisted: 0,
    }
}

#[tokio::test]
async fn available_lists_only_bookable_hours_with_seats_left() {
    let mut m = Mocks::default();
    // NOW + 3 days = 2026-11-26 09:30, so on that date hours before 10:00 are too soon.
    m.slots
        .expect_list_between()
        .withf(|from, to| {
            *from == datetime!(2026-11-26 00:00 UTC) && *to == datetime!(2026-11-27 00:00 UTC)
        })
        .returning(|_, _| {
            Ok(vec![
                slot(datetime!(2026-11-26 09:00 UTC), 0),
                slot(datetime!(2026-11-26 10:00 UTC), 100),
                slot(datetime!(2026-11-26 11:00 UTC), 99),
            ])
        });
    let day = m
        .services()
        .slots
        .available(date!(2026 - 11 - 26), None)
        .await
        .expect("listed");
    let starts: Vec<_> = day.slots.iter().map(|s| s.starts_at).collect();
    assert_eq!(starts, vec![datetime!(2026-11-26 11:00 UTC)]);
}

#[tokio::test]
async fn available_for_a_date_wholly_outside_the_window_is_invalid() {
    let s = Mocks::default().services().slots;
    for d in [date!(2026 - 11 - 24), date!(2027 - 06 - 01)] {
        assert!(matches!(
            s.available(d, None).await,
            Err(AppError::Invalid(Invalid::DateOutsideWindow))
        ));
    }
}

#[tokio::test]
async fn all_slots_of_a_day_is_admin_only() {
    let s = Mocks::default().services().slots;
    assert!(matches!(
        s.all_of_day(&OWNER, date!(2026 - 11 - 26)).await,
        Err(AppError::Forbidden)
    ));

    let mut m = Mocks::default();
    m.slots
        .expect_list_between()
        .returning(|_, _| Ok(vec![slot(datetime!(2026-11-24 00:00 UTC), 100)]));
    let day = m
        .services()
        .slots
        .all_of_day(&ADMIN, date!(2026 - 11 - 24))
        .await
        .expect("listed");
    assert_eq!(day.slots.len(), 1, "past and full slots included");
}

#[tokio::test]
async fn ensure_horizon_asks_for_ninety_days_of_slots_from_the_next_hour() {
    let mut m = Mocks::default();
    m.slots
        .expect_ensure()
        .withf(|h, capacity, mode| {
            h.first() == datetime!(2026-11-23 10:00 UTC)
                && h.len() == 24 * 90
                && *capacity == 50_000
                && *mode == BookingMode::Approval
        })
        .times(1)
        .returning(|h, _, _| {
            Ok(ports::EnsureReport {
                created: h.len() as u64,
                already_present: 0,
            })
        });
    let (_, report) = m.services().slots.ensure_horizon().await.expect("ensured");
    assert_eq!(report.created, 2160);
}
