//! The command line: which command to run, and the help for each.

pub const HELP: &str = "\
api-server - the exam seat booking API

USAGE:
    api-server [serve]                      Serve the API (the default)
    api-server migrate [--grant-to ROLE]    Apply pending migrations, then exit
    api-server create-admin --username NAME Create an admin account
    api-server COMMAND --help               Help for one command
    api-server --help | --version

Configuration comes from config/default.toml, config/<APP_PROFILE>.toml and the environment
(DATABASE_URL, REDIS_URL, HOST, PORT, JWT_SECRET, APP_PROFILE, APP__SECTION__KEY); see README.md.
At start the server applies pending migrations (when its database role may) and creates
missing slots up to the horizon.
";

pub const MIGRATE_HELP: &str = "\
api-server migrate - apply pending migrations, then exit

USAGE:
    api-server migrate [--grant-to ROLE]

Run it with the DATABASE_URL of the role that owns the schema. With --grant-to (PostgreSQL),
it then grants ROLE, an existing role that owns nothing, exactly what the server needs: rows of
every table may be read and written, audit rows only read and added. Start the servers with
that role's URL: they cannot alter, truncate or rewrite the audit trail. Run it again after
every upgrade (it is idempotent).

On the embedded database it migrates the file at database.path.
";

pub const CREATE_ADMIN_HELP: &str = "\
api-server create-admin - create an admin account

USAGE:
    api-server create-admin --username NAME

At a terminal it asks for the password twice, without echoing it. Otherwise it reads the
password from standard input (one trailing newline is trimmed), for scripts:

    printf 'a-long-admin-password\\n' | api-server create-admin --username admin

Run it with the server's configuration (the same folder, or the same DATABASE_URL), so that
it writes where the server reads. The creation is recorded in the audit trail.
";

#[derive(Debug, PartialEq, Eq)]
pub enum Command {
    Serve,
    Migrate { grant_to: Option<String> },
    CreateAdmin { username: String },
    Help(&'static str),
    Version,
}

fn is_help(arg: &str) -> bool {
    matches!(arg, "--help" | "-h" | "help")
}

/// The value of `--name VALUE` or `--name=VALUE` among `args`, which must hold nothing else.
fn only_flag(args: &[String], name: &str) -> Option<String> {
    match args {
        [flag, value] if flag == name && !value.starts_with('-') => Some(value.clone()),
        [joined] => joined
            .strip_prefix(name)
            .and_then(|rest| rest.strip_prefix('='))
            .filter(|value| !value.is_empty())
            .map(str::to_owned),
        _ => None,
    }
}

/// # Errors
/// A message naming what was not understood and where to look.
pub fn parse(args: &[String]) -> Result<Command, String> {
    let (first, rest) = match args.split_first() {
        None => return Ok(Command::Serve),
        Some((first, rest)) => (first.as_str(), rest),
    };
    if rest.iter().any(|a| is_help(a)) {
        return match first {
            "migrate" => Ok(Command::Help(MIGRATE_HELP)),
            "create-admin" => Ok(Command::Help(CREATE_ADMIN_HELP)),
            "serve" => Ok(Command::Help(HELP)),
            _ => Err(format!("unknown command '{first}'; see api-server --help")),
        };
    }
    match first {
        "serve" if rest.is_empty() => Ok(Command::Serve),
        "migrate" if rest.is_empty() => Ok(Command::Migrate { grant_to: None }),
        "migrate" => only_flag(rest, "--grant-to")
            .map(|role| Command::Migrate {
                grant_to: Some(role),
            })
            .ok_or_else(|| {
                format!("migrate takes only --grant-to ROLE (got {rest:?}); see api-server migrate --help")
            }),
        "create-admin" => only_flag(rest, "--username")
            .map(|username| Command::CreateAdmin { username })
            .ok_or_else(|| {
                format!(
                    "create-admin needs --username NAME (got {rest:?}); see api-server \
                     create-admin --help"
                )
            }),
        flag if is_help(flag) && rest.is_empty() => Ok(Command::Help(HELP)),
        "--version" | "-V" if rest.is_empty() => Ok(Command::Version),
        _ => Err(format!("unknown arguments {args:?}; see api-server --help")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(raw: &[&str]) -> Vec<String> {
        raw.iter().map(|a| (*a).to_owned()).collect()
    }

    #[test]
    fn commands_and_their_flags_parse() {
        assert_eq!(parse(&[]), Ok(Command::Serve));
        assert_eq!(parse(&args(&["serve"])), Ok(Command::Serve));
        assert_eq!(
            parse(&args(&["create-admin", "--username", "root"])),
            Ok(Command::CreateAdmin {
                username: "root".into()
            })
        );
        assert_eq!(
            parse(&args(&["create-admin", "--username=root"])),
            Ok(Command::CreateAdmin {
                username: "root".into()
            })
        );
        assert_eq!(
            parse(&args(&["migrate"])),
            Ok(Command::Migrate { grant_to: None })
        );
        assert_eq!(
            parse(&args(&["migrate", "--grant-to", "booking_app"])),
            Ok(Command::Migrate {
                grant_to: Some("booking_app".into())
            })
        );
    }

    #[test]
    fn every_command_has_help() {
        assert_eq!(parse(&args(&["--help"])), Ok(Command::Help(HELP)));
        assert_eq!(
            parse(&args(&["create-admin", "--help"])),
            Ok(Command::Help(CREATE_ADMIN_HELP))
        );
        assert_eq!(
            parse(&args(&["create-admin", "--username", "x", "-h"])),
            Ok(Command::Help(CREATE_ADMIN_HELP))
        );
        assert_eq!(
            parse(&args(&["migrate", "--help"])),
            Ok(Command::Help(MIGRATE_HELP))
        );
    }

    #[test]
    fn mistakes_say_where_to_look() {
        for wrong in [
            &["create-admin"][..],
            &["create-admin", "--username"],
            &["create-admin", "--user", "x"],
            &["migrate", "--grant-to"],
            &["frobnicate"],
        ] {
            let err = parse(&args(wrong)).expect_err("refused");
            assert!(err.contains("--help"), "{err}");
        }
    }
}
