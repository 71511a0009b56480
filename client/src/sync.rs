//! Syncing with a RideWire server: sign in once, then a background thread
//! sends this device's events and fetches other devices' work; the screens
//! refresh when a round brings something new.
//!
//! What is kept on the device (in the rider's database, `settings` table):
//! the server address, the e-mail address and the session tokens, never the
//! password. Without a server the app works exactly the same, offline.

use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, TryRecvError};

use bevy::prelude::*;
use bevy_egui::egui::{self, RichText};
use ridewire_engine::diagnostics::request::DiagnosticRequest;
use ridewire_offline_store::Store;
use ridewire_offline_store::sync::{
    Account, HttpTransport, Session, SyncConfig, SyncReport, SyncStatus, Syncer,
    is_cleartext_remote, record_of, sync_once,
};

use crate::player::{Clock, Player, RecordEvent};
use crate::shared::Run;
use crate::{AppSystems, theme};

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

/// The transport to `server`: refused when it is cleartext `http://` off
/// this machine, unless the rider passed `--insecure`.
fn transport(server: &str, account: Account) -> Result<HttpTransport, String> {
    if CLEARTEXT_ALLOWED.load(Ordering::SeqCst) {
        HttpTransport::new_cleartext(server, account)
    } else {
        HttpTransport::new(server, account)
    }
    .map_err(|e| e.to_string())
}

/// What the Sync panel says while passwords and tokens travel in clear text.
pub fn cleartext_warning(server: &str) -> Option<String> {
    is_cleartext_remote(server).ok()?.then(|| {
        format!(
            "Not encrypted: {server} is plain http://, so your password and session can be read \
             on the way. Use https:// outside a network you trust."
        )
    })
}

pub(super) fn plugin(app: &mut App) {
    app.init_resource::<SyncLink>()
        .init_resource::<SignInForm>()
        .add_message::<SignIn>()
        .add_systems(
            Update,
            (
                resume_from_settings.run_if(resource_added::<Player>),
                start_sign_in,
                finish_sign_in,
                nudge_after_records,
                refresh_after_rounds,
            )
                .chain()
                .after(AppSystems::Record),
        );
}

/// The background syncer, when the rider has signed in.
#[derive(Resource, Default)]
pub struct SyncLink {
    syncer: Option<Syncer>,
    /// The server it talks to.
    pub server: Option<String>,
    /// Why sync could not start.
    pub problem: Option<String>,
    seen_rounds: u64,
}

impl SyncLink {
    /// The syncer's latest status, when one runs.
    pub fn status(&self) -> Option<SyncStatus> {
        self.syncer.as_ref().map(Syncer::status)
    }

    /// Asks for a round now.
    pub fn sync_now(&self) {
        if let Some(syncer) = &self.syncer {
            // A stopped thread shows up in the status; nothing to add here.
            let _ = syncer.sync_now();
        }
    }
}

/// What the rider typed to sign in.
#[derive(Resource, Default)]
pub struct SignInForm {
    pub server: String,
    pub email: String,
    pub password: String,
    /// The answer of the last attempt.
    pub message: Option<Result<String, String>>,
    job: Option<Mutex<Receiver<SignInResult>>>,
}

impl SignInForm {
    /// Whether a sign-in is under way.
    pub fn busy(&self) -> bool {
        self.job.is_some()
    }
}

type SignInResult = Result<(String, Account, Session), String>;

/// Sign in (or create the account) with the form's details.
#[derive(Message, Debug, Clone, Copy)]
pub struct SignIn {
    /// Create the account first.
    pub register: bool,
}

fn now_ms() -> i64 {
    Clock::System.now().0
}

/// Keeps a new session in the rider's database so the next start signs in
/// by itself.
fn save_session(database: &Path, session: &Session) {
    let saved = serde_json::to_string(session)
        .map_err(|e| e.to_string())
        .and_then(|json| {
            let mut store = Store::open(database, now_ms())
                .map_err(|e| e.to_string())?
                .store;
            store
                .set_setting(SESSION_KEY, &json)
                .map_err(|e| e.to_string())
        });
    if let Err(e) = saved {
        warn!("the new sync session could not be saved: {e}");
    }
}

/// Starts the background syncer on `database`.
pub fn start_syncer(
    database: &Path,
    server: &str,
    account: Account,
    session: Option<Session>,
) -> Result<Syncer, String> {
    let store = Store::open(database, now_ms())
        .map_err(|e| e.to_string())?
        .store;
    let mut transport = transport(server, account)?;
    if let Some(session) = session {
        transport = transport.with_session(session);
    }
    let path = database.to_path_buf();
    let transport = transport.on_new_session(move |s| save_session(&path, s));
    Syncer::start(store, transport, SyncConfig::default()).map_err(|e| e.to_string())
}

/// The saved server, e-mail and session, when the rider signed in before.
fn saved(player: &Player) -> Option<(String, String, Session)> {
    let server = player.setting(SERVER_KEY)?;
    let email = player.setting(EMAIL_KEY)?;
    let session = serde_json::from_str(&player.setting(SESSION_KEY)?).ok()?;
    Some((server, email, session))
}

fn resume_from_settings(
    player: Option<Res<Player>>,
    mut link: ResMut<SyncLink>,
    mut form: ResMut<SignInForm>,
) {
    let Some(player) = player else { return };
    let Some(database) = player.database() else {
        return;
    };
    if let Some(server) = player.setting(SERVER_KEY) {
        form.server = server;
    }
    if let Some(email) = player.setting(EMAIL_KEY) {
        form.email = email;
    }
    let Some((server, email, session)) = saved(&player) else {
        return;
    };
    let account = Account {
        email,
        password: None,
    };
    match start_syncer(&database, &server, account, Some(session)) {
        Ok(syncer) => {
            link.syncer = Some(syncer);
            link.server = Some(server);
        }
        Err(e) => link.problem = Some(e),
    }
}

/// Signs in on a worker thread (it waits on the network).
fn sign_in_blocking(server: String, account: Account, register: bool) -> SignInResult {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let transport = transport(&server, account.clone())?;
    let session = runtime
        .block_on(async {
            if register {
                transport.register().await
            } else {
                transport.login().await
            }
        })
        .map_err(|e| e.to_string())?;
    Ok((server, account, session))
}

fn start_sign_in(
    mut asks: MessageReader<SignIn>,
    mut form: ResMut<SignInForm>,
    player: Option<Res<Player>>,
) {
    let Some(ask) = asks.read().last().copied() else {
        return;
    };
    if form.busy() {
        return;
    }
    if player.as_ref().and_then(|p| p.database()).is_none() {
        form.message = Some(Err(
            "the demo garage does not sync: start without --demo".into()
        ));
        return;
    }
    let server = form.server.trim().trim_end_matches('/').to_owned();
    let email = form.email.trim().to_owned();
    if !(server.starts_with("http://") || server.starts_with("https://")) {
        form.message = Some(Err(
            "the server address starts with http:// or https://".into()
        ));
        return;
    }
    if email.is_empty() || form.password.is_empty() {
        form.message = Some(Err("enter your e-mail address and password".into()));
        return;
    }
    let account = Account {
        email,
        password: Some(std::mem::take(&mut form.password)),
    };
    let (send, receive) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = send.send(sign_in_blocking(server, account, ask.register));
    });
    form.job = Some(Mutex::new(receive));
    form.message = None;
}

fn finish_sign_in(
    mut form: ResMut<SignInForm>,
    mut link: ResMut<SyncLink>,
    player: Option<ResMut<Player>>,
) {
    let answer = match &form.job {
        None => return,
        Some(job) => match job.lock() {
            Ok(receiver) => receiver.try_recv(),
            Err(_) => Err(TryRecvError::Disconnected),
        },
    };
    let result = match answer {
        Err(TryRecvError::Empty) => return,
        Err(TryRecvError::Disconnected) => Err("the sign-in stopped unexpectedly".to_owned()),
        Ok(result) => result,
    };
    form.job = None;
    let Some(mut player) = player else { return };
    let outcome = result.and_then(|(server, account, session)| {
        let database = player.database().ok_or("no database to sync")?;
        let json = serde_json::to_string(&session).map_err(|e| e.to_string())?;
        player.save_setting(SERVER_KEY, &server)?;
        player.save_setting(EMAIL_KEY, &account.email)?;
        player.save_setting(SESSION_KEY, &json)?;
        // Stop the old syncer before the new one takes over the outbox.
        link.syncer = None;
        let syncer = start_syncer(&database, &server, account, Some(session))?;
        link.syncer = Some(syncer);
        link.server = Some(server.clone());
        link.problem = None;
        Ok(format!("signed in; syncing with {server}"))
    });
    form.message = Some(outcome);
}

/// New local events go out at once when a server is set up.
fn nudge_after_records(mut records: MessageReader<RecordEvent>, link: Res<SyncLink>) {
    if records.read().count() > 0 {
        link.sync_now();
    }
}

/// After a round, read what it brought (other devices' events, a new
/// catalogue) into the screens.
fn refresh_after_rounds(
    mut link: ResMut<SyncLink>,
    player: Option<ResMut<Player>>,
    history: Option<ResMut<crate::diagnostics::History>>,
) {
    let Some(status) = link.status() else { return };
    if status.rounds == link.seen_rounds {
        return;
    }
    link.seen_rounds = status.rounds;
    let Some(mut player) = player else { return };
    if let Err(e) = player.reload() {
        warn!("could not re-read the rider's data after a sync: {e}");
    }
    // Runs answered for the rider's other devices, and notes written there.
    if let Some(mut history) = history {
        history.0 = player.recent_diagnoses(crate::diagnostics::HISTORY_SHOWN);
    }
}

/// `ridewire sync`: signs in when a password is given, runs one round and
/// keeps the server, e-mail and session for the app.
pub fn run_once(
    database: &Path,
    server: Option<&str>,
    email: Option<&str>,
    password: Option<String>,
    register: bool,
) -> Result<(String, SyncReport), String> {
    let mut store = Store::open(database, now_ms())
        .map_err(|e| e.to_string())?
        .store;
    let setting = |store: &Store, key: &str| store.setting(key).ok().flatten();
    let server = server
        .map(|s| s.trim_end_matches('/').to_owned())
        .or_else(|| setting(&store, SERVER_KEY))
        .ok_or("no server yet: pass --server URL")?;
    let email = email
        .map(str::to_owned)
        .or_else(|| setting(&store, EMAIL_KEY))
        .ok_or("no account yet: pass --email ADDRESS")?;
    let saved_session: Option<Session> =
        setting(&store, SESSION_KEY).and_then(|json| serde_json::from_str(&json).ok());
    if password.is_none() && saved_session.is_none() {
        return Err(
            "not signed in: give the password in RIDEWIRE_PASSWORD or on standard input".into(),
        );
    }
    let has_password = password.is_some();
    let account = Account {
        email: email.clone(),
        password,
    };
    let mut transport = transport(&server, account)?;
    if let (false, Some(session)) = (has_password, saved_session) {
        transport = transport.with_session(session);
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let (report, session) = runtime.block_on(async {
        if has_password {
            let signed_in = if register {
                transport.register().await
            } else {
                transport.login().await
            };
            signed_in.map_err(|e| e.to_string())?;
        }
        let now = now_ms();
        let report = sync_once(&mut store, &transport, now, now + 1_000)
            .await
            .map_err(|e| e.to_string())?;
        Ok::<_, String>((report, transport.session().await))
    })?;
    store
        .set_setting(SERVER_KEY, &server)
        .map_err(|e| e.to_string())?;
    store
        .set_setting(EMAIL_KEY, &email)
        .map_err(|e| e.to_string())?;
    if let Some(session) = session {
        let json = serde_json::to_string(&session).map_err(|e| e.to_string())?;
        store
            .set_setting(SESSION_KEY, &json)
            .map_err(|e| e.to_string())?;
    }
    Ok((server, report))
}

/// The "Sync" card of the settings screen: status, "Sync now", and the
/// sign-in form.
pub fn section(
    ui: &mut egui::Ui,
    form: &mut SignInForm,
    link: &SyncLink,
    sign_in: &mut MessageWriter<SignIn>,
) {
    ui.label(RichText::new("Sync").size(20.0).strong());
    if let Some(problem) = &link.problem {
        ui.label(RichText::new(format!("Sync could not start: {problem}")).color(theme::WARN));
    }
    match (link.status(), &link.server) {
        (Some(status), Some(server)) => {
            ui.label(format!("Server: {server} ({})", form.email));
            if let Some(warning) = cleartext_warning(server) {
                ui.label(RichText::new(warning).color(theme::WARN));
            }
            let when = status.last_success_ms.map_or_else(
                || "not yet".to_owned(),
                |ms| {
                    chrono::DateTime::from_timestamp_millis(ms).map_or_else(String::new, |t| {
                        t.with_timezone(&chrono::Local)
                            .format("%H:%M:%S")
                            .to_string()
                    })
                },
            );
            let state = if status.syncing {
                " · syncing now"
            } else {
                ""
            };
            ui.label(format!(
                "Last synced: {when}{state} · {} waiting to send · {} refused by the server",
                status.pending, status.wedged
            ));
            if let Some(e) = &status.last_error {
                ui.label(
                    RichText::new(format!(
                        "Last attempt failed ({} in a row): {e}. Your work is kept and goes out when \
                         the server answers.",
                        status.failures
                    ))
                    .color(theme::WARN),
                );
            }
            if let Some(problem) = &status.diagnoses_problem {
                ui.label(
                    RichText::new(format!("Diagnosis runs and notes not synced: {problem}"))
                        .color(theme::MUTED),
                );
            }
            if let Some(progress) = &status.server_progress {
                ui.label(
                    RichText::new(format!(
                        "Server says: level {} · {} XP · {} events",
                        progress.level, progress.xp, progress.events
                    ))
                    .color(theme::MUTED),
                );
            }
            if ui.button("Sync now").clicked() {
                link.sync_now();
            }
        }
        _ => {
            ui.label(
                RichText::new("Offline only. Sign in to a RideWire server to back up your work and share it with your other devices.")
                    .color(theme::MUTED),
            );
        }
    }
    ui.add_space(6.0);
    egui::Grid::new("sync-form").num_columns(2).show(ui, |ui| {
        ui.label("Server");
        ui.add(egui::TextEdit::singleline(&mut form.server).hint_text("http://127.0.0.1:8787"));
        ui.end_row();
        ui.label("E-mail");
        ui.add(egui::TextEdit::singleline(&mut form.email));
        ui.end_row();
        ui.label("Password");
        ui.add(egui::TextEdit::singleline(&mut form.password).password(true));
        ui.end_row();
    });
    ui.horizontal(|ui| {
        let idle = !form.busy();
        if ui.add_enabled(idle, egui::Button::new("Sign in")).clicked() {
            sign_in.write(SignIn { register: false });
        }
        if ui
            .add_enabled(idle, egui::Button::new("Create account"))
            .clicked()
        {
            sign_in.write(SignIn { register: true });
        }
        if !idle {
            ui.label(RichText::new("signing in…").color(theme::MUTED));
        }
    });
    match &form.message {
        Some(Ok(m)) => {
            ui.label(RichText::new(m).color(theme::OK));
        }
        Some(Err(e)) => {
            ui.label(RichText::new(e).color(theme::WARN));
        }
        None => {}
    }
}

/// Asks the server's agents when the rider has signed in: `None` without a
/// server, else the run as the server stored it (pulled into `database`
/// straight away) or why it could not be asked.
pub fn diagnose_online(
    database: &Path,
    request: &DiagnosticRequest,
    clock: &Clock,
) -> Option<Result<Run, String>> {
    let mut store = Store::open(database, now_ms()).ok()?.store;
    let setting = |store: &Store, key: &str| store.setting(key).ok().flatten();
    let server = setting(&store, SERVER_KEY)?;
    let email = setting(&store, EMAIL_KEY)?;
    let session: Session = serde_json::from_str(&setting(&store, SESSION_KEY)?).ok()?;
    let online = || -> Result<Run, String> {
        let path = database.to_path_buf();
        let transport = transport(
            &server,
            Account {
                email,
                password: None,
            },
        )?
        .with_session(session)
        .on_new_session(move |s| save_session(&path, s));
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| e.to_string())?;
        let (_, offset) = clock.now();
        runtime.block_on(async {
            let stored = transport
                .diagnose(request, offset)
                .await
                .map_err(|e| e.to_string())?;
            // Bring the server's DiagnosticRun event (and its XP) here now.
            let now = now_ms();
            let pulled = sync_once(&mut store, &transport, now, now + 1_000).await;
            let recorded = match pulled {
                Ok(_) => {
                    // The run's event is here now: keep its full record too,
                    // for the screen's earlier runs.
                    if let Err(e) = store.keep_remote_diagnosis(&record_of(&stored)) {
                        warn!("the server's run could not be kept in the history: {e}");
                    }
                    format!("on {server}, and on this device")
                }
                Err(e) => format!("on {server}; reaches this device with the next sync ({e})"),
            };
            Ok(Run {
                id: stored.id,
                request: stored.request,
                result: stored.panel.diagnosis,
                xp: stored.xp_earned,
                achievements: stored.achievements,
                recorded,
            })
        })
    };
    Some(online())
}
