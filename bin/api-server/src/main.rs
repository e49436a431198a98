//! api-server: serves the booking API, or creates an admin account.

use api_server::{build, start};
use settings::{LogFormat, Settings};
use std::io::{IsTerminal, Read};
use std::process::ExitCode;

const HELP: &str = "\
api-server - the exam seat booking API

USAGE:
    api-server [serve]                     Serve the API (default)
    api-server create-admin --username NAME
                                           Create an admin; the password is read from
                                           standard input (one trailing newline is trimmed)
    api-server --help | --version

Configuration comes from config/default.toml, config/<APP_PROFILE>.toml and the environment
(DATABASE_URL, REDIS_URL, HOST, PORT, JWT_SECRET, APP_PROFILE, APP__SECTION__KEY); see README.md.
At start the server runs pending migrations and creates missing slots up to the horizon.
";

enum Command {
    Serve,
    CreateAdmin { username: String },
    Help,
    Version,
}

fn parse(args: &[String]) -> Result<Command, String> {
    match args {
        [] => Ok(Command::Serve),
        [one] if one == "serve" => Ok(Command::Serve),
        [one] if one == "--help" || one == "-h" || one == "help" => Ok(Command::Help),
        [one] if one == "--version" || one == "-V" => Ok(Command::Version),
        [cmd, flag, name] if cmd == "create-admin" && flag == "--username" => {
            Ok(Command::CreateAdmin {
                username: name.clone(),
            })
        }
        [cmd, rest @ ..] if cmd == "create-admin" => Err(format!(
            "create-admin takes exactly --username NAME (got {rest:?})"
        )),
        other => Err(format!("unknown arguments {other:?}; see --help")),
    }
}

/// Logs go through a background writer thread, so a slow terminal or disk never holds up a
/// request; the guard flushes what is queued when main returns.
fn init_logging() -> tracing_appender::non_blocking::WorkerGuard {
    let (writer, guard) = tracing_appender::non_blocking(std::io::stdout());
    let format = Settings::load().map_or(LogFormat::Auto, |s| s.log.format);
    let terminal = std::io::stdout().is_terminal();
    let json = match format {
        LogFormat::Json => true,
        LogFormat::Text => false,
        LogFormat::Auto => !terminal,
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| "info,actix_server=warn".into());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        // Colour codes only for a person at a terminal, never in files.
        .with_ansi(terminal && !json);
    if json {
        builder.json().flatten_event(true).init();
    } else {
        builder.init();
    }
    guard
}

#[tokio::main]
async fn main() -> ExitCode {
    let _log_writer = init_logging();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let outcome = match parse(&args) {
        Ok(Command::Help) => {
            print!("{HELP}");
            Ok(())
        }
        Ok(Command::Version) => {
            println!("api-server {}", env!("CARGO_PKG_VERSION"));
            Ok(())
        }
        Ok(Command::Serve) => serve().await,
        Ok(Command::CreateAdmin { username }) => create_admin(&username).await,
        Err(usage) => Err(usage),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("api-server: {message}");
            ExitCode::FAILURE
        }
    }
}

/// A listening socket with a connection queue of `backlog`. The standard library's listener
/// queues only 128 connections: a rush of clients connecting at once then loses SYNs and
/// waits a full second for the retransmission.
fn listen(host: &str, port: u16, backlog: u32) -> std::io::Result<std::net::TcpListener> {
    use socket2::{Domain, Socket, Type};
    use std::net::ToSocketAddrs;
    let addr = (host, port).to_socket_addrs()?.next().ok_or_else(|| {
        std::io::Error::new(std::io::ErrorKind::InvalidInput, "no address to listen on")
    })?;
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, None)?;
    socket.set_reuse_address(true)?;
    socket.bind(&addr.into())?;
    socket.listen(i32::try_from(backlog).unwrap_or(i32::MAX))?;
    Ok(socket.into())
}

async fn serve() -> Result<(), String> {
    let settings = Settings::load().map_err(|e| e.to_string())?;
    let built = build(&settings).await.map_err(|e| e.to_string())?;
    let listener = listen(
        &settings.server.host,
        settings.server.port,
        settings.server.backlog,
    )
    .map_err(|e| {
        format!(
            "cannot listen on {}:{}: {e}",
            settings.server.host, settings.server.port
        )
    })?;
    let running = start(built, &settings, listener).map_err(|e| e.to_string())?;
    let drain = std::time::Duration::from_secs(settings.server.drain_seconds);
    tokio::spawn(shut_down_on_signal(
        running.server.handle(),
        running.draining.clone(),
        drain,
    ));
    let base = format!("http://{}", running.addr);
    tracing::info!(profile = %settings.profile, "listening on {base}");
    // The friendly lines are for a person at a terminal; a log file gets only log lines.
    if std::io::stdout().is_terminal() {
        println!("api-server listening on {base}");
        println!("  Swagger UI:  {base}/swagger-ui/");
        println!("  Book seats:  {base}/book");
        println!("  Admin:       {base}/admin");
        println!("  Event page:  {base}/events");
        println!(
            "  First admin: printf 'a-long-password\\n' | api-server create-admin --username admin"
        );
    }
    running.server.await.map_err(|e| e.to_string())?;
    tracing::info!("shutdown complete");
    Ok(())
}

/// On SIGTERM or SIGINT: answer `/ready` with 503 at once, keep serving for `drain` so a load
/// balancer notices and stops sending, then stop accepting and let in-flight requests finish
/// (up to `server.shutdown_timeout_seconds`).
async fn shut_down_on_signal(
    server: actix_web::dev::ServerHandle,
    draining: std::sync::Arc<std::sync::atomic::AtomicBool>,
    drain: std::time::Duration,
) {
    use tokio::signal::unix::{signal, SignalKind};
    let (Ok(mut term), Ok(mut int)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) else {
        tracing::error!("cannot listen for shutdown signals");
        return;
    };
    let which = tokio::select! {
        _ = term.recv() => "SIGTERM",
        _ = int.recv() => "SIGINT",
    };
    tracing::info!(
        signal = which,
        drain_seconds = drain.as_secs(),
        "shutdown started: /ready answers 503 while the instance drains"
    );
    draining.store(true, std::sync::atomic::Ordering::Release);
    tokio::time::sleep(drain).await;
    tracing::info!("shutdown: listener closing, finishing in-flight requests");
    server.stop(true).await;
}

async fn create_admin(username: &str) -> Result<(), String> {
    let mut password = String::new();
    std::io::stdin()
        .read_to_string(&mut password)
        .map_err(|e| format!("cannot read the password from standard input: {e}"))?;
    let password = password
        .strip_suffix('\n')
        .map(|p| p.strip_suffix('\r').unwrap_or(p))
        .unwrap_or(&password);
    let settings = Settings::load().map_err(|e| e.to_string())?;
    let built = build(&settings).await.map_err(|e| e.to_string())?;
    let user = built
        .services
        .auth
        .create_admin(username, password)
        .await
        .map_err(|e| format!("cannot create the admin: {e}"))?;
    println!(
        "created admin '{}' (id {})",
        user.username.as_str(),
        user.id
    );
    Ok(())
}
