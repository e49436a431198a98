//! Command-line flags. Flags override the configuration files and environment.

pub const HELP: &str = "\
slot-generator - create the hourly exam slots that must exist ahead of time

USAGE:
    slot-generator [--horizon-days N] [--capacity N] [--database-url URL] [--dry-run] [--create]
    slot-generator check [--database-url URL]

Creates every missing hourly slot from the next whole hour through now + the horizon, in bulk,
booking by booking.default_mode (approval or first_come). Idempotent: a second run creates
nothing. Safe when two copies run at once. Never deletes or changes existing slots or their
seat counters. Runs pending migrations first.

Then expires the first-come reservations still on a waitlist for hours whose booking window
has closed (starting less than booking.min_lead_hours from now), each with an audit entry of
no actor. The API already shows them as expired; the run makes the database say so too.

CHECK:
    `slot-generator check` compares every counter with its ledger: each slot's confirmed seats
    with the confirmed reservations covering it, each voucher's remaining count with its
    quantity minus its claims, and at most one claim per user and voucher. It only reads, in
    one statement (one snapshot), so it is safe against a live database. Each difference is
    printed with the ids involved; the exit code is 1 when there is one, 0 when all agree.

OPTIONS:
    --horizon-days N     How far ahead slots must exist (default booking.horizon_days, 90)
    --capacity N         Seats per new slot (default booking.slot_capacity, 50000)
    --database-url URL   PostgreSQL URL (default DATABASE_URL; when neither is set, the
                         embedded database file at database.path)
    --dry-run            Print what would be created without writing anything
    --create             Embedded database only: create the file when it does not exist
                         (without it, a missing file is an error: a cron job in the wrong
                         folder must not quietly fill a new, empty database)
    -h, --help           Print this help
    -V, --version        Print the version

CONFIGURATION:
    The defaults built into the binary, then (when present) config/default.toml and
    config/<APP_PROFILE>.toml, then the environment:
    DATABASE_URL, APP_PROFILE, APP__BOOKING__HORIZON_DAYS, APP__BOOKING__SLOT_CAPACITY,
    APP__BOOKING__DEFAULT_MODE, APP__BOOKING__MIN_LEAD_HOURS, APP__BOOKING__UTC_OFFSET (slots
    start on the hour in this offset). APP_CONFIG_DIR points at
    another config folder.

OUTPUT AND EXIT CODE:
    One summary line: a timestamp, the database written to (file path, or PostgreSQL host and
    database name), created N slots, M already present, range FIRST .. LAST, expired K
    waiting reservations (not on --dry-run).
    Exit 0 on success; 1 when the database cannot be reached or the configuration is invalid;
    2 for invalid flags.

CRON (hourly, at minute 5):
    5 * * * * cd /srv/exam-booking && ./slot-generator >> /var/log/slot-generator.log 2>&1
    A skipped run only delays the newest hours near the far edge of the booking window, and
    the stored expiry of waitlists (never what the API shows).
";

#[derive(Debug, Default, PartialEq, Eq)]
pub struct Options {
    pub horizon_days: Option<i64>,
    pub capacity: Option<u32>,
    pub database_url: Option<String>,
    pub dry_run: bool,
    pub create: bool,
    /// `check`: compare counters with their ledgers instead of creating slots.
    pub check: bool,
}

#[derive(Debug, PartialEq, Eq)]
pub enum Parsed {
    Run(Options),
    Help,
    Version,
}

pub fn parse(args: &[String]) -> Result<Parsed, String> {
    let mut o = Options::default();
    let args = match args.split_first() {
        Some((first, rest)) if first == "check" => {
            o.check = true;
            rest
        }
        _ => args,
    };
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let mut value = || {
            it.next()
                .cloned()
                .ok_or_else(|| format!("{flag} needs a value"))
        };
        match flag.as_str() {
            "-h" | "--help" => return Ok(Parsed::Help),
            "-V" | "--version" => return Ok(Parsed::Version),
            "--dry-run" => o.dry_run = true,
            "--create" => o.create = true,
            "--horizon-days" => {
                let n: i64 = value()?
                    .parse()
                    .map_err(|_| "--horizon-days takes a whole number of days".to_owned())?;
                if !(1..=3660).contains(&n) {
                    return Err("--horizon-days must be between 1 and 3660".into());
                }
                o.horizon_days = Some(n);
            }
            "--capacity" => {
                let n: u32 = value()?
                    .parse()
                    .map_err(|_| "--capacity takes a whole number of seats".to_owned())?;
                if n == 0 || n > i32::MAX as u32 {
                    return Err("--capacity must be at least 1".into());
                }
                o.capacity = Some(n);
            }
            "--database-url" => o.database_url = Some(value()?),
            other => return Err(format!("unknown argument '{other}'")),
        }
    }
    Ok(Parsed::Run(o))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &[&str]) -> Vec<String> {
        s.iter().map(|a| (*a).to_owned()).collect()
    }

    #[test]
    fn flags_parse_into_options() {
        let parsed = parse(&args(&[
            "--horizon-days",
            "7",
            "--capacity",
            "100",
            "--dry-run",
        ]));
        assert_eq!(
            parsed,
            Ok(Parsed::Run(Options {
                horizon_days: Some(7),
                capacity: Some(100),
                database_url: None,
                dry_run: true,
                create: false,
                check: false,
            }))
        );
    }

    #[test]
    fn bad_flags_are_reported() {
        assert!(parse(&args(&["--horizon-days"])).is_err());
        assert!(parse(&args(&["--horizon-days", "x"])).is_err());
        assert!(parse(&args(&["--horizon-days", "0"])).is_err());
        assert!(parse(&args(&["--capacity", "0"])).is_err());
        assert!(parse(&args(&["--what"])).is_err());
        assert_eq!(parse(&args(&["--help"])), Ok(Parsed::Help));
        assert!(matches!(
            parse(&args(&["check", "--database-url", "postgres://x/y"])),
            Ok(Parsed::Run(Options { check: true, .. }))
        ));
    }
}
