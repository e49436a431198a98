//! api-server: serves the booking API, applies migrations, or creates an admin account.

mod cli;

use api_server::{build, start};
use cli::Command;
use settings::{LogFormat, Settings};
use std::io::{IsTerminal, Read};
use std::process::ExitCode;

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
    let outcome = match cli::parse(&args) {
        Ok(Command::Help(text)) => {
            print!("{text}");
            Ok(())
        }
        Ok(Command::Version) => {
            println!("api-server {}", env!("CARGO_PKG_VERSION"));
            Ok(())
        }
        Ok(Command::Serve) => serve().await,
        Ok(Command::Migrate { grant_to }) => migrate(grant_to.as_deref()).await,
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
    let page = |path: &str| format!("{base}{path}");
    // The addresses go into the log line too: a service manager's journal shows them.
    tracing::info!(
        profile = %settings.profile,
        swagger_ui = %page("/swagger-ui/"),
        book = %page("/book"),
        admin = %page("/admin"),
        events = %page("/events"),
        "listening on {base}"
    );
    // The friendly lines are for a person at a terminal; a log file gets only log lines.
    if std::io::stdout().is_terminal() {
        println!("api-server listening on {base}");
        println!("  Swagger UI:  {}", page("/swagger-ui/"));
        println!("  Book seats:  {}", page("/book"));
        println!("  Admin:       {}", page("/admin"));
        println!("  Event page:  {}", page("/events"));
        println!(
            "  First admin: {} create-admin --username admin",
            this_command()
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

/// How the person who started this server runs it again from where they are: through cargo
/// when cargo started it (`make run`), else by the binary's path.
fn this_command() -> String {
    // Cargo sets its package variables for the programs `cargo run` starts.
    if std::env::var_os("CARGO_MANIFEST_DIR").is_some() {
        return format!("cargo run --bin {} --", env!("CARGO_PKG_NAME"));
    }
    let Ok(exe) = std::env::current_exe() else {
        return env!("CARGO_PKG_NAME").to_owned();
    };
    match std::env::current_dir().map(|here| exe.strip_prefix(here).map(|p| p.to_owned())) {
        Ok(Ok(relative)) => format!("./{}", relative.display()),
        _ => exe.display().to_string(),
    }
}

async fn migrate(grant_to: Option<&str>) -> Result<(), String> {
    let settings = Settings::load().map_err(|e| e.to_string())?;
    let line = api_server::migrate(&settings, grant_to)
        .await
        .map_err(|e| e.to_string())?;
    println!("{line}");
    Ok(())
}

/// The new admin's password: asked twice at a terminal, without echo; otherwise read from
/// standard input, for scripts.
fn read_password() -> Result<String, String> {
    if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password("Password for the new admin: ")
            .map_err(|e| format!("cannot read the password: {e}"))?;
        let again = rpassword::prompt_password("The same password again: ")
            .map_err(|e| format!("cannot read the password: {e}"))?;
        if first != again {
            return Err("the two passwords differ; nothing was created".into());
        }
        return Ok(first);
    }
    let mut password = String::new();
    std::io::stdin()
        .read_to_string(&mut password)
        .map_err(|e| format!("cannot read the password from standard input: {e}"))?;
    let trimmed = password
        .strip_suffix('\n')
        .map(|p| p.strip_suffix('\r').unwrap_or(p))
        .unwrap_or(&password);
    Ok(trimmed.to_owned())
}

async fn create_admin(username: &str) -> Result<(), String> {
    let password = read_password()?;
    let password = password.as_str();
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
