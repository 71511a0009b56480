//! The rider's account on a RideWire server: signing in, keeping the
//! session, and the one background [`Syncer`] that talks to the server for
//! this device (rounds, and the server's diagnosis agents).
//!
//! What is kept on the device (in the rider's database, `settings` table):
//! the server address, the e-mail address and the session tokens, never the
//! password. Without a server everything works the same, offline.

use std::future::Future;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use ridewire_engine::diagnostics::request::DiagnosticRequest;
use ridewire_offline_store::Store;
use ridewire_sync_client::{
    Account, HttpTransport, OnlineDiagnosis, Session, SyncConfig, SyncReport, SyncStatus, Syncer,
    Trouble, is_cleartext_remote, sync_once,
};

use crate::rider::Rider;
use crate::{Error, Result};

/// Setting: the server's base URL.
pub const SERVER_KEY: &str = "sync.server";
/// Setting: the account's e-mail address.
pub const EMAIL_KEY: &str = "sync.email";
/// Setting: the signed-in session (JSON).
pub const SESSION_KEY: &str = "sync.session";

/// Set once by `ridewire --insecure`: the rider allowed a cleartext
/// `http://` server elsewhere than this machine for this run.
static CLEARTEXT_ALLOWED: AtomicBool = AtomicBool::new(false);

/// Allows cleartext `http://` servers off this machine for this run
/// (`ridewire --insecure`); the Sync panel then warns while one is used.
pub fn allow_cleartext() {
    CLEARTEXT_ALLOWED.store(true, Ordering::SeqCst);
}

/// What to say while passwords and tokens travel in clear text.
pub fn cleartext_warning(server: &str) -> Option<String> {
    is_cleartext_remote(server).ok()?.then(|| {
        format!(
            "Not encrypted: {server} is plain http://, so your password and session can be read \
             on the way. Use https:// outside a network you trust."
        )
    })
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// The transport to `server`: refused when it is cleartext `http://` off
/// this machine, unless the rider passed `--insecure`.
pub(crate) fn transport(server: &str, account: Account) -> Result<HttpTransport> {
    Ok(if CLEARTEXT_ALLOWED.load(Ordering::SeqCst) {
        HttpTransport::new_cleartext(server, account)
    } else {
        HttpTransport::new(server, account)
    }?)
}

/// Runs one piece of network work to its end on this thread (the callers
/// are not async: a worker thread of the app, the command line).
pub(crate) fn block_on<F: Future>(work: F) -> Result<F::Output> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Input(format!("cannot start the network runtime: {e}")))?;
    Ok(runtime.block_on(work))
}

/// A signed-in account.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub server: String,
    pub account: Account,
    pub session: Session,
}

/// Checks what the rider typed to sign in: a server address with its
/// scheme, an e-mail address and a password.
pub fn sign_in_form(server: &str, email: &str, password: String) -> Result<(String, Account)> {
    let server = server.trim().trim_end_matches('/').to_owned();
    let email = email.trim().to_owned();
    if !(server.starts_with("http://") || server.starts_with("https://")) {
        return Err(Error::Input(
            "the server address starts with http:// or https://".into(),
        ));
    }
    if email.is_empty() || password.is_empty() {
        return Err(Error::Input(
            "enter your e-mail address and password".into(),
        ));
    }
    Ok((
        server,
        Account {
            email,
            password: Some(password),
        },
    ))
}

/// Signs in (or creates the account first). Waits on the network: call it
/// from a worker thread.
pub fn sign_in(server: String, account: Account, register: bool) -> Result<SignedIn> {
    let transport = transport(&server, account.clone())?;
    let session = block_on(async {
        if register {
            transport.register().await
        } else {
            transport.login().await
        }
    })??;
    Ok(SignedIn {
        server,
        account: Account {
            email: account.email,
            password: None,
        },
        session,
    })
}

/// Keeps a signed-in account in the rider's database, so the next start
/// signs in by itself. The demo garage keeps no account.
pub fn keep(rider: &mut Rider, signed: &SignedIn) -> Result<()> {
    if rider.is_demo() {
        return Err(Error::Demo("does not sync"));
    }
    let session = serde_json::to_string(&signed.session)
        .map_err(|e| Error::Input(format!("the session cannot be kept: {e}")))?;
    rider.save_setting(SERVER_KEY, &signed.server)?;
    rider.save_setting(EMAIL_KEY, &signed.account.email)?;
    rider.save_setting(SESSION_KEY, &session)
}

/// What the rider's database remembers of their account.
#[derive(Debug, Clone, Default)]
pub struct Saved {
    pub server: Option<String>,
    pub email: Option<String>,
    pub session: Option<Session>,
}

impl Saved {
    /// Reads it from the rider's settings.
    pub fn of(rider: &Rider) -> Self {
        Self::read(|key| rider.setting(key))
    }

    /// Reads it from the rider's database file (empty when it cannot be
    /// read).
    pub fn read_file(database: &Path) -> Self {
        match Store::open(database, now_ms()) {
            Ok(opened) => Self::read(|key| opened.store.setting(key).ok().flatten()),
            Err(_) => Saved::default(),
        }
    }

    fn read(setting: impl Fn(&str) -> Option<String>) -> Self {
        Saved {
            server: setting(SERVER_KEY),
            email: setting(EMAIL_KEY),
            session: setting(SESSION_KEY).and_then(|json| serde_json::from_str(&json).ok()),
        }
    }

    /// The account, when the rider signed in before.
    pub fn signed_in(self) -> Option<SignedIn> {
        Some(SignedIn {
            server: self.server?,
            account: Account {
                email: self.email?,
                password: None,
            },
            session: self.session?,
        })
    }
}

/// Keeps a renewed session in the rider's database (called by the
/// transport on the sync thread).
fn save_session(database: &Path, session: &Session) -> Result<()> {
    let json = serde_json::to_string(session)
        .map_err(|e| Error::Input(format!("the session cannot be kept: {e}")))?;
    let mut store = Store::open(database, now_ms())?.store;
    Ok(store.set_setting(SESSION_KEY, &json)?)
}

/// Starts the background syncer on the rider's database for a signed-in
/// account: the only thing that talks to the server for this device.
pub fn start_syncer(database: &Path, signed: &SignedIn) -> Result<Syncer> {
    let store = Store::open(database, now_ms())?.store;
    let path = database.to_path_buf();
    let transport = transport(&signed.server, signed.account.clone())?
        .with_session(signed.session.clone())
        .on_new_session(move |s| {
            // A session that is not kept is asked for again at the next
            // start (the rider signs in again); nothing is lost.
            let _ = save_session(&path, s);
        });
    Ok(Syncer::start(store, transport, SyncConfig::default())?)
}

/// Starts syncing with the account the rider's database remembers;
/// `None` when there is none (or this is the demo garage).
pub fn resume(rider: &Rider) -> Option<Result<(String, Syncer)>> {
    let database = rider.database()?;
    let signed = Saved::of(rider).signed_in()?;
    Some(start_syncer(&database, &signed).map(|syncer| (signed.server, syncer)))
}

/// `ridewire sync`: signs in when a password is given, runs one round and
/// keeps the server, e-mail and session for the app.
pub fn sync_once_now(
    database: &Path,
    server: Option<&str>,
    email: Option<&str>,
    password: Option<String>,
    register: bool,
) -> Result<(String, SyncReport)> {
    let mut store = Store::open(database, now_ms())?.store;
    let saved = Saved::read(|key| store.setting(key).ok().flatten());
    let server = server
        .map(|s| s.trim_end_matches('/').to_owned())
        .or(saved.server)
        .ok_or_else(|| Error::NotSignedIn("no server yet: pass --server URL".into()))?;
    let email = email
        .map(str::to_owned)
        .or(saved.email)
        .ok_or_else(|| Error::NotSignedIn("no account yet: pass --email ADDRESS".into()))?;
    if password.is_none() && saved.session.is_none() {
        return Err(Error::NotSignedIn(
            "not signed in: give the password in RIDEWIRE_PASSWORD or on standard input".into(),
        ));
    }
    let has_password = password.is_some();
    let mut transport = transport(
        &server,
        Account {
            email: email.clone(),
            password,
        },
    )?;
    if let (false, Some(session)) = (has_password, saved.session) {
        transport = transport.with_session(session);
    }
    let (report, session) = block_on(async {
        if has_password {
            if register {
                transport.register().await?;
            } else {
                transport.login().await?;
            }
        }
        let now = now_ms();
        let report = sync_once(&mut store, &transport, now, now + 1_000).await?;
        Ok::<_, ridewire_sync_client::Error>((report, transport.session().await))
    })??;
    store.set_setting(SERVER_KEY, &server)?;
    store.set_setting(EMAIL_KEY, &email)?;
    if let Some(session) = session {
        let json = serde_json::to_string(&session)
            .map_err(|e| Error::Input(format!("the session cannot be kept: {e}")))?;
        store.set_setting(SESSION_KEY, &json)?;
    }
    Ok((server, report))
}

/// Asks the server's agents once, for the command line: a syncer over the
/// rider's database for the length of the question (it sends what waits,
/// asks, and brings the run back). Answers the server asked and the run;
/// `None` when the rider has not signed in.
pub fn diagnose_once(
    database: &Path,
    request: DiagnosticRequest,
    utc_offset_min: i16,
) -> Option<Result<(String, OnlineDiagnosis)>> {
    let signed = Saved::read_file(database).signed_in()?;
    let asked = || -> Result<OnlineDiagnosis> {
        let syncer = start_syncer(database, &signed)?;
        let answer = syncer.diagnose(request, utc_offset_min)?;
        let answer = crate::task::Pending::from("the sync thread", answer).wait()?;
        syncer.stop();
        Ok(answer?)
    };
    Some(asked().map(|online| (signed.server.clone(), online)))
}

/// How sync stands, in the rider's words, for a line that is always on
/// screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncLine {
    pub text: String,
    pub tone: Tone,
    /// What the rider can do about it, when anything.
    pub advice: Option<String>,
}

/// How a [`SyncLine`] is coloured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    /// All sent and received.
    Good,
    /// Working on it, or waiting to send.
    Busy,
    /// Not signed in: everything stays on this device.
    Quiet,
    /// Something needs the rider or keeps failing.
    Trouble,
}

/// The sync line for a device: `status` of the running syncer (`None`: not
/// signed in), `problem` why syncing could not start, at `now_ms`.
pub fn sync_line(status: Option<&SyncStatus>, problem: Option<&str>, now_ms: i64) -> SyncLine {
    let line = |text: String, tone, advice: Option<&str>| SyncLine {
        text,
        tone,
        advice: advice.map(str::to_owned),
    };
    if let Some(problem) = problem {
        return line(
            format!("Sync is off: {problem}"),
            Tone::Trouble,
            Some("Sign in again under Settings."),
        );
    }
    let Some(s) = status else {
        return line(
            "On this device only".to_owned(),
            Tone::Quiet,
            Some("Sign in under Settings to keep your progress on your other devices."),
        );
    };
    if s.syncing {
        return line("Syncing…".to_owned(), Tone::Busy, None);
    }
    let retry = s
        .next_round_ms
        .map(|at| ((at - now_ms).max(0) + 999) / 1000)
        .map_or_else(String::new, |secs| format!(", next try in {secs} s"));
    match s.last_trouble {
        Some(Trouble::Auth) => {
            return line(
                "Signed out by the server".to_owned(),
                Tone::Trouble,
                Some("Sign in again under Settings; nothing recorded here is lost."),
            );
        }
        Some(Trouble::Network | Trouble::Busy) => {
            let waiting = if s.pending > 0 {
                format!("Offline: {} waiting to send{retry}", s.pending)
            } else {
                format!("Offline{retry}")
            };
            return line(
                waiting,
                Tone::Busy,
                Some("Everything is kept on this device and sent when the server answers."),
            );
        }
        Some(Trouble::Refused) => {
            return line(
                format!("The server refused the last round{retry}"),
                Tone::Trouble,
                Some(s.last_error.as_deref().unwrap_or("see Settings → Sync")),
            );
        }
        Some(Trouble::Storage) => {
            return line(
                "Your data on this device could not be read for sync".to_owned(),
                Tone::Trouble,
                Some(s.last_error.as_deref().unwrap_or("see Settings → Sync")),
            );
        }
        None => {}
    }
    if s.wedged > 0 {
        return line(
            format!("{} event(s) the server will not take", s.wedged),
            Tone::Trouble,
            Some("They stay on this device; see Settings → Sync."),
        );
    }
    if s.pending > 0 {
        return line(format!("{} waiting to send", s.pending), Tone::Busy, None);
    }
    match s.last_success_ms {
        Some(at) => {
            let minutes = (now_ms - at).max(0) / 60_000;
            let ago = match minutes {
                0 => "just now".to_owned(),
                1 => "1 min ago".to_owned(),
                m if m < 120 => format!("{m} min ago"),
                m => format!("{} h ago", m / 60),
            };
            line(format!("Synced {ago}"), Tone::Good, None)
        }
        None => line("Waiting for the first sync".to_owned(), Tone::Busy, None),
    }
}
