//! slot-generator: creates the hourly exam slots that must exist ahead of time. Run from cron.

mod cli;

use app::{BookingPolicy, SlotService};
use domain::{BookingWindow, ServiceOffset};
use ports::{
    Clock, Discrepancy, Reconciliation, ReservationRepository, SlotRepository, SystemClock,
};
use settings::{DatabaseChoice, Settings};
use std::process::ExitCode;
use std::sync::Arc;
use time::format_description::well_known::Rfc3339;

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let options = match cli::parse(&args) {
        Ok(cli::Parsed::Run(o)) => o,
        Ok(cli::Parsed::Help) => {
            print!("{}", cli::HELP);
            return ExitCode::SUCCESS;
        }
        Ok(cli::Parsed::Version) => {
            println!("slot-generator {}", env!("CARGO_PKG_VERSION"));
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("slot-generator: {e}\nTry --help.");
            return ExitCode::from(2);
        }
    };
    let outcome = if options.check {
        check(options).await
    } else {
        run(options).await.map(|line| (line, true))
    };
    match outcome {
        Ok((report, clean)) => {
            println!("{report}");
            if clean {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
        Err(e) => {
            eprintln!("slot-generator: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The store both commands use.
trait Store: SlotRepository + ReservationRepository + Reconciliation {}
impl<T: SlotRepository + ReservationRepository + Reconciliation> Store for T {}

async fn open(settings: &Settings, create: bool) -> Result<(Arc<dyn Store>, String), String> {
    let prepare = |e: ports::BackendError| format!("cannot prepare the database: {e}");
    let choice = settings.database_choice().map_err(|e| e.to_string())?;
    let target = choice.describe();
    let store: Arc<dyn Store> = match choice {
        // One connection is plenty: the statements run one after another.
        DatabaseChoice::Postgres { url } => Arc::new(
            adapter_sql::open_postgres(url.expose(), 1)
                .await
                .map_err(prepare)?,
        ),
        DatabaseChoice::Embedded { path } => {
            if !path.exists() && !create {
                return Err(format!(
                    "no database file at {}: run from the api-server's folder, set \
                     APP__DATABASE__PATH or DATABASE_URL, or pass --create to start a new one",
                    path.display()
                ));
            }
            Arc::new(adapter_sql::open_sqlite(&path).await.map_err(prepare)?)
        }
    };
    Ok((store, target))
}

fn load_settings(o: &cli::Options) -> Result<Settings, String> {
    let mut settings = Settings::load().map_err(|e| e.to_string())?;
    if let Some(url) = &o.database_url {
        settings.database.url = settings::Secret::new(url.clone());
    }
    Ok(settings)
}

/// `slot-generator check`: every counter against its ledger, read-only, in one snapshot. The
/// report lists each difference with the ids involved; it is clean when there is none.
async fn check(o: cli::Options) -> Result<(String, bool), String> {
    let settings = load_settings(&o)?;
    let (store, target) = open(&settings, false).await?;
    let found = store
        .discrepancies()
        .await
        .map_err(|e| format!("cannot read the database: {e}"))?;
    let fmt = |t: time::OffsetDateTime| t.format(&Rfc3339).unwrap_or_default();
    let mut report: Vec<String> = found.iter().map(|d| explain(d, &fmt)).collect();
    report.push(format!(
        "{} {target}: check found {} difference{}",
        fmt(time::OffsetDateTime::now_utc()),
        found.len(),
        if found.len() == 1 { "" } else { "s" }
    ));
    Ok((report.join("\n"), found.is_empty()))
}

fn explain(d: &Discrepancy, fmt: &dyn Fn(time::OffsetDateTime) -> String) -> String {
    match d {
        Discrepancy::Slot {
            starts_at,
            confirmed,
            ledger,
            reservations,
        } => {
            let ids: Vec<String> = reservations
                .iter()
                .map(|(id, seats)| format!("#{id} ({seats})"))
                .collect();
            format!(
                "slot {}: confirmed is {confirmed}, its confirmed reservations add up to {ledger} \
                 [{}]",
                fmt(*starts_at),
                if ids.is_empty() {
                    "none".to_owned()
                } else {
                    ids.join(", ")
                }
            )
        }
        Discrepancy::Voucher {
            voucher,
            remaining,
            expected,
        } => format!(
            "voucher #{voucher}: remaining is {remaining}, quantity minus claims is {expected}"
        ),
        Discrepancy::DuplicateClaims {
            voucher,
            user,
            claims,
        } => format!("voucher #{voucher}: user #{user} holds {claims} claims"),
    }
}

async fn run(o: cli::Options) -> Result<String, String> {
    let settings = load_settings(&o)?;
    let b = &settings.booking;
    let policy = BookingPolicy {
        window: BookingWindow {
            min_lead: time::Duration::hours(b.min_lead_hours),
            max_ahead: time::Duration::days(b.max_ahead_days),
        },
        offset: ServiceOffset::new(settings.utc_offset().map_err(|e| e.to_string())?),
        slot_capacity: o.capacity.unwrap_or(b.slot_capacity),
        horizon: time::Duration::days(o.horizon_days.unwrap_or(b.horizon_days)),
        default_mode: b.default_mode.into(),
    };
    let (store, target) = open(&settings, o.create).await?;
    let slot_store: Arc<dyn SlotRepository> = store.clone();
    let slots = SlotService::from_parts(slot_store, Arc::new(SystemClock), policy);
    let (horizon, report) = if o.dry_run {
        slots.plan_horizon().await
    } else {
        slots.ensure_horizon().await
    }
    .map_err(|e| format!("cannot create slots: {e}"))?;
    // The hours whose booking window has closed take no more promotions: what still waits
    // for them has expired.
    let expired = if o.dry_run {
        String::new()
    } else {
        let ids = app::reservations::expire_closed_waitlists(
            store.as_ref(),
            SystemClock.now(),
            &policy.window,
        )
        .await
        .map_err(|e| format!("cannot expire waiting reservations: {e}"))?;
        format!(", expired {} waiting reservations", ids.len())
    };
    let fmt = |t: time::OffsetDateTime| t.format(&Rfc3339).unwrap_or_default();
    let verb = if o.dry_run { "would create" } else { "created" };
    Ok(format!(
        "{} {target}: {verb} {} slots, {} already present, range {} .. {} ({} hourly slots, \
         capacity {}){expired}",
        fmt(time::OffsetDateTime::now_utc()),
        report.created,
        report.already_present,
        fmt(horizon.first()),
        fmt(horizon.last()),
        horizon.len(),
        policy.slot_capacity,
    ))
}
