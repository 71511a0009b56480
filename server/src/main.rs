//! `ridewire-server`: serves the RideWire API.
//!
//! Prints `listening on ADDR` on stdout once the socket is bound (so
//! scripts and tests can start it on port 0 and read the port), and stops
//! gracefully on Ctrl-C or SIGTERM.

use std::io::Write;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;

use clap::Parser;
use ridewire_server::auth::{Role, set_role_by_email};
use ridewire_server::email::EmailKey;
use ridewire_server::{AppError, AppState, Config, Db, Quota, Rate, Source, SystemClock, app};

/// RideWire's backend: accounts, sync, plans, overlay packs.
///
/// Every option can also be set through the environment variable named
/// beside it; a flag wins over the environment.
#[derive(Debug, Parser)]
#[command(name = "ridewire-server", version, about)]
struct Args {
    /// Operator work on the database instead of serving.
    #[command(subcommand)]
    command: Option<Operator>,

    /// Address and port to listen on (port 0 picks a free one).
    #[arg(long, env = "RIDEWIRE_LISTEN", default_value = "127.0.0.1:8787")]
    listen: SocketAddr,

    /// Database: sqlite://PATH, a plain path, or postgres://USER@HOST/NAME
    /// (several replicas may share one; each needs the same --email-key)
    /// [default: the user's data directory, ridewire/server.db].
    #[arg(long, env = "RIDEWIRE_DATABASE")]
    database: Option<String>,

    /// E-mail of an existing account that gets the admin role at start-up
    /// (repeat, or separate with commas in the environment). Registering
    /// with such an address later makes no admin.
    #[arg(long = "admin", env = "RIDEWIRE_ADMIN_EMAILS", value_delimiter = ',')]
    admins: Vec<String>,

    /// Hours an access token is good for.
    #[arg(long, env = "RIDEWIRE_ACCESS_TOKEN_HOURS", default_value_t = 24,
          value_parser = clap::value_parser!(u32).range(1..=24 * 365))]
    access_token_hours: u32,

    /// Days a refresh token is good for.
    #[arg(long, env = "RIDEWIRE_REFRESH_TOKEN_DAYS", default_value_t = 30,
          value_parser = clap::value_parser!(u32).range(1..=3650))]
    refresh_token_days: u32,

    /// Days a login lasts at most, however often it is refreshed; then the
    /// rider signs in again.
    #[arg(long, env = "RIDEWIRE_LOGIN_MAX_DAYS", default_value_t = 90,
          value_parser = clap::value_parser!(u32).range(1..=3650))]
    login_max_days: u32,

    /// Largest request body in bytes (a photo upload of the largest size
    /// takes about 700,000: 512 KiB in base64).
    #[arg(long, env = "RIDEWIRE_MAX_BODY_BYTES", default_value_t = 1024 * 1024)]
    max_body_bytes: usize,

    /// Requests per client IP address: PER_MINUTE/BURST, or 0 for no limit.
    #[arg(long, env = "RIDEWIRE_RATE_PER_IP", default_value = "6000/600", value_parser = parse_rate)]
    rate_per_ip: Rate,

    /// Requests per account: PER_MINUTE/BURST, or 0 for no limit.
    #[arg(long, env = "RIDEWIRE_RATE_PER_USER", default_value = "1200/240", value_parser = parse_rate)]
    rate_per_user: Rate,

    /// Register, login and refresh per client IP address: PER_MINUTE/BURST,
    /// or 0 for no limit.
    #[arg(long, env = "RIDEWIRE_RATE_AUTH_PER_IP", default_value = "30/10", value_parser = parse_rate)]
    rate_auth_per_ip: Rate,

    /// Diagnoses per account (each may call paid hosted models):
    /// PER_MINUTE/BURST, or 0 for no limit.
    #[arg(long, env = "RIDEWIRE_RATE_DIAGNOSES_PER_USER", default_value = "10/5", value_parser = parse_rate)]
    rate_diagnoses_per_user: Rate,

    /// Login attempts per e-mail address, from any address: PER_MINUTE/BURST,
    /// or 0 for no limit.
    #[arg(long, env = "RIDEWIRE_RATE_LOGIN_PER_ACCOUNT", default_value = "10/5", value_parser = parse_rate)]
    rate_login_per_account: Rate,

    /// Password hashes computed at once; more wait up to 5 s, then get 503
    /// with Retry-After [default: the number of CPU cores].
    #[arg(long, env = "RIDEWIRE_MAX_CONCURRENT_HASHES",
          value_parser = clap::value_parser!(u32).range(1..=1024))]
    max_concurrent_hashes: Option<u32>,

    /// A reverse proxy (ADDRESS or ADDRESS/BITS; repeat, or separate with
    /// commas in the environment) whose X-Forwarded-For or Forwarded header
    /// names the client. Only the hop it added is believed; without this
    /// option the header is ignored.
    #[arg(
        long = "trusted-proxy",
        env = "RIDEWIRE_TRUSTED_PROXIES",
        value_delimiter = ','
    )]
    trusted_proxies: Vec<ridewire_server::config::Cidr>,

    /// Paid calls to hosted diagnosis agents per minute, for the whole
    /// server (0: no limit); past it the offline agent answers and the run
    /// says why.
    #[arg(long, env = "RIDEWIRE_AGENT_CALLS_PER_MINUTE", default_value_t = 120)]
    agent_calls_per_minute: u32,

    /// Paid calls to hosted diagnosis agents per UTC day (0: no limit).
    #[arg(long, env = "RIDEWIRE_AGENT_CALLS_PER_DAY", default_value_t = 20_000)]
    agent_calls_per_day: u32,

    /// The key e-mail addresses are stored under (64 hex digits) [default:
    /// the key file beside the database, DATABASE.email-key, made on first
    /// start; keep it out of the database's backups].
    #[arg(long, env = "RIDEWIRE_EMAIL_KEY", hide_env_values = true)]
    email_key: Option<String>,

    /// Argon2id memory cost in KiB for new password hashes.
    #[arg(long, env = "RIDEWIRE_ARGON2_MEMORY_KIB", default_value_t = 19 * 1024)]
    argon2_memory_kib: u32,

    /// Most items one account may store (events, refused events' tombstones,
    /// records, diagnostic runs, photos).
    #[arg(long, env = "RIDEWIRE_QUOTA_ROWS", default_value_t = Quota::default().rows)]
    quota_rows: u64,

    /// Most MiB one account may store (those items' bodies and notes, the
    /// photos' JPEGs).
    #[arg(long, env = "RIDEWIRE_QUOTA_MIB", default_value_t = Quota::default().bytes / (1024 * 1024))]
    quota_mib: u64,
}

/// Operator commands: run on the server's machine, against its database.
#[derive(Debug, clap::Subcommand)]
enum Operator {
    /// Give or take the admin role.
    Admin {
        #[command(subcommand)]
        action: AdminAction,
    },
    /// Copy this SQLite database, whole, into a new PostgreSQL database
    /// (postgres://USER@HOST/NAME); stop the server first. Devices keep
    /// their sessions and cursors.
    MigrateTo { target: String },
}

#[derive(Debug, clap::Subcommand)]
enum AdminAction {
    /// Make the account with this e-mail an admin.
    Grant { email: String },
    /// Make the account with this e-mail a plain user again (ends its sessions).
    Revoke { email: String },
}

/// Runs an operator command on the database at `source`.
fn operate(source: &Source, email_key: Option<String>, command: Operator) -> Result<(), AppError> {
    let action = match command {
        Operator::Admin { action } => action,
        Operator::MigrateTo { target } => return migrate_to(source, email_key, &target),
    };
    let (email, role) = match action {
        AdminAction::Grant { email } => (email, Role::Admin),
        AdminAction::Revoke { email } => (email, Role::User),
    };
    let db = Db::connect(source)?;
    let key = match db.path() {
        Some(path) => EmailKey::load(email_key.as_deref(), path)?,
        None => EmailKey::from_hex(email_key.as_deref().unwrap_or_default()).map_err(|_| {
            AppError::Config("a PostgreSQL database needs --email-key, as its replicas have".into())
        })?,
    };
    let lookup = email.clone();
    let changed = db.write_blocking(move |conn| {
        key.protect_existing(conn)?;
        set_role_by_email(conn, &key, &lookup, role)
    })?;
    if !changed {
        return Err(AppError::Config(format!(
            "no account has the e-mail {email:?}; it must register first"
        )));
    }
    println!("{} is now {}", email.trim().to_lowercase(), role.as_str());
    Ok(())
}

/// `migrate-to`: the copy, what it copied, and the key the replicas need.
fn migrate_to(source: &Source, email_key: Option<String>, target: &str) -> Result<(), AppError> {
    let Source::Sqlite(path) = source else {
        return Err(AppError::Config(
            "migrate-to copies a SQLite database: give it as --database sqlite://PATH".into(),
        ));
    };
    let target = Source::parse(target)?;
    let copied = ridewire_server::db::copy::sqlite_to_postgres(path, &target)?;
    for (table, rows) in &copied.tables {
        println!("{table:<24} {rows:>10} rows");
    }
    println!("copied {} into {}", path.display(), target.describe());
    if email_key.is_none() {
        println!(
            "start every replica with --email-key (or RIDEWIRE_EMAIL_KEY) set to the key in {}",
            EmailKey::file_for(path).display()
        );
    }
    Ok(())
}

fn parse_rate(s: &str) -> Result<Rate, String> {
    let bad = || format!("{s:?} is not PER_MINUTE/BURST (e.g. 600/60) or 0");
    let (per_minute, burst) = match s.split_once('/') {
        Some((p, b)) => (p.trim(), b.trim()),
        None => (s.trim(), s.trim()),
    };
    let per_minute: u32 = per_minute.parse().map_err(|_| bad())?;
    let burst: u32 = burst.parse().map_err(|_| bad())?;
    if per_minute > 0 && burst == 0 {
        return Err(bad());
    }
    Ok(Rate { per_minute, burst })
}

fn database_source(arg: Option<String>) -> Result<Source, AppError> {
    match arg {
        Some(arg) => Source::parse(&arg),
        None => {
            let dir = dirs::data_dir().ok_or_else(|| {
                AppError::Config(
                    "no user data directory here; pass --database sqlite://PATH".into(),
                )
            })?;
            Ok(Source::Sqlite(dir.join("ridewire").join("server.db")))
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        // If the handler cannot be installed, only SIGTERM stops the server.
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    eprintln!("shutting down");
}

async fn run(mut args: Args) -> Result<(), AppError> {
    let source = database_source(args.database.take())?;
    if let Some(command) = args.command.take() {
        if let Source::Sqlite(path) = &source
            && !path.exists()
        {
            return Err(AppError::Config(format!(
                "no server database at {}",
                path.display()
            )));
        }
        return operate(&source, args.email_key.take(), command);
    }
    if let Source::Sqlite(path) = &source
        && let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty())
    {
        std::fs::create_dir_all(dir).map_err(|e| {
            AppError::Config(format!("cannot create the folder {}: {e}", dir.display()))
        })?;
    }
    let db = Db::connect(&source)?;
    let config = Config {
        access_token_ttl_ms: i64::from(args.access_token_hours) * 3_600_000,
        refresh_token_ttl_ms: i64::from(args.refresh_token_days) * 86_400_000,
        login_max_age_ms: i64::from(args.login_max_days) * 86_400_000,
        max_body_bytes: args.max_body_bytes,
        per_ip: args.rate_per_ip,
        per_user: args.rate_per_user,
        auth_per_ip: args.rate_auth_per_ip,
        diagnoses_per_user: args.rate_diagnoses_per_user,
        login_per_account: args.rate_login_per_account,
        agent_calls_per_minute: args.agent_calls_per_minute,
        agent_calls_per_day: args.agent_calls_per_day,
        max_concurrent_hashes: args
            .max_concurrent_hashes
            .map_or(Config::default().max_concurrent_hashes, |n| n as usize),
        trusted_proxies: std::mem::take(&mut args.trusted_proxies),
        email_key: args
            .email_key
            .as_deref()
            .map(EmailKey::from_hex)
            .transpose()?,
        argon2_memory_kib: args.argon2_memory_kib,
        quota: Quota {
            rows: args.quota_rows,
            bytes: args.quota_mib.saturating_mul(1024 * 1024),
        },
        admin_emails: args
            .admins
            .iter()
            .map(|e| e.trim().to_lowercase())
            .filter(|e| !e.is_empty())
            .collect(),
        ..Config::default()
    };
    // Diagnosis providers, models and keys: RIDEWIRE_AGENTS and
    // RIDEWIRE_<NAME>_* (see `ridewire_server::agents`).
    let agents = ridewire_server::agents::Agents::from_env()
        .map_err(|e| AppError::Config(format!("diagnosis agents: {e}")))?;
    let state = AppState::new(db, config, Arc::new(SystemClock))?.with_agents(agents);
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .map_err(|e| AppError::Config(format!("cannot listen on {}: {e}", args.listen)))?;
    let addr = listener
        .local_addr()
        .map_err(|e| AppError::Config(format!("cannot read the bound address: {e}")))?;
    println!("listening on {addr}");
    // Tests and scripts read this line from a pipe: make sure it leaves now.
    let _ = std::io::stdout().flush();
    eprintln!("database {}", source.describe());
    axum::serve(
        listener,
        app(state).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await
    .map_err(|e| AppError::Internal(format!("serving stopped: {e}")))
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    match run(args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    #[test]
    fn rates_read_as_per_minute_and_burst() {
        assert_eq!(
            parse_rate("600/60"),
            Ok(Rate {
                per_minute: 600,
                burst: 60
            })
        );
        assert_eq!(parse_rate("0"), Ok(Rate::OFF));
        assert_eq!(
            parse_rate("30"),
            Ok(Rate {
                per_minute: 30,
                burst: 30
            })
        );
        for bad in ["", "fast", "10/", "10/0", "-1/5", "1/2/3"] {
            assert!(parse_rate(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn database_addresses_are_sqlite_urls_paths_or_postgres_urls() {
        let sqlite = |arg: &str| match database_source(Some(arg.into())) {
            Ok(Source::Sqlite(path)) => Some(path),
            _ => None,
        };
        assert_eq!(
            sqlite("sqlite:///srv/r.db"),
            Some(PathBuf::from("/srv/r.db"))
        );
        assert_eq!(sqlite("data/r.db"), Some(PathBuf::from("data/r.db")));
        assert!(database_source(Some("sqlite://".into())).is_err());
        let pg = database_source(Some("postgres://rw:secret@db:5432/ridewire".into())).expect("pg");
        assert!(matches!(&pg, Source::Postgres(url) if url.contains("secret")));
        assert_eq!(
            pg.describe(),
            "postgres://rw:***@db:5432/ridewire",
            "no password shown"
        );
        let err = database_source(Some("mysql://rw:secret@db/x".into())).expect_err("mysql");
        assert!(err.to_string().contains("postgres://"), "{err}");
        assert!(!err.to_string().contains("secret"), "{err}");
        match database_source(None).expect("default") {
            Source::Sqlite(path) => assert!(path.ends_with("ridewire/server.db")),
            other => panic!("default {other:?}"),
        }
    }
}
