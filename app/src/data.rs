//! The rider's data, theirs to take and to remove: a copy of everything as
//! one JSON file (this device's file and, when signed in, the server's
//! copy), deleting the account on the server, wiping this device. The
//! server asks for a login made in the last minutes before an export or a
//! deletion, so both take the password; the wipe's confirmation is the
//! caller's to ask.

use std::io::Write;
use std::path::{Path, PathBuf};

use ridewire_sync_client::Account;
use serde_json::{Value, json};

use crate::account::{self, EMAIL_KEY, SERVER_KEY, SESSION_KEY};
use crate::rider::Rider;
use crate::{Error, Result};

/// Names this kind of file.
pub const EXPORT_FORMAT: &str = "ridewire-export/1";

/// How far an export is, readable from any thread.
pub type ExportProgress = crate::task::Progress;

/// What an export wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exported {
    pub path: PathBuf,
    pub bytes: u64,
    /// The server's copy is in it.
    pub with_server: bool,
}

/// The account this device is signed in to: server and e-mail.
pub fn signed_in_as(rider: &Rider) -> Option<(String, String)> {
    Some((rider.setting(SERVER_KEY)?, rider.setting(EMAIL_KEY)?))
}

/// Logs in to the account this device is signed in to with `password`.
fn fresh_login(rider: &Rider, password: String) -> Result<ridewire_sync_client::HttpTransport> {
    let (server, email) = signed_in_as(rider)
        .ok_or_else(|| Error::NotSignedIn("this device is not signed in to a server".into()))?;
    if password.is_empty() {
        return Err(Error::Input("enter your password".into()));
    }
    let transport = account::transport(
        &server,
        Account {
            email,
            password: Some(password),
        },
    )?;
    account::block_on(transport.login())??;
    Ok(transport)
}

/// The server's copy of the account (needs the password: the server wants
/// a fresh login). Waits on the network: call it off the UI thread.
pub fn server_copy(rider: &Rider, password: String) -> Result<Value> {
    let transport = fresh_login(rider, password)?;
    Ok(account::block_on(transport.export_account())??)
}

/// Writes this device's data (and `server`, the server's copy, when given)
/// to `to` as one JSON file, through a temporary file beside it that is
/// moved into place when complete: an interrupted export leaves no half
/// file and never replaces a good one. The kept session is left out.
pub fn export(
    rider: &Rider,
    server: Option<Value>,
    to: &Path,
    progress: &ExportProgress,
) -> Result<Exported> {
    progress.set(0.0);
    // Reading the file is most of the work; writing the rest.
    let device = rider.export(&[SESSION_KEY], &mut |done, total| {
        progress.set(0.9 * done as f32 / total.max(1) as f32);
    })?;
    let with_server = server.is_some();
    let (now, offset) = crate::clock::now();
    let whole = json!({
        "format": EXPORT_FORMAT,
        "exported_at_ms": now,
        "utc_offset_min": offset,
        "this_device": device,
        "server": server,
    });
    let folder = to
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let failed = |e: std::io::Error| Error::Folder {
        path: to.to_owned(),
        reason: e.to_string(),
    };
    let name = to
        .file_name()
        .ok_or_else(|| Error::Input(format!("{} is not a file name", to.display())))?;
    let mut part_name = std::ffi::OsString::from(".");
    part_name.push(name);
    part_name.push(format!(".{}.part", std::process::id()));
    let part = folder.join(part_name);
    let written = (|| -> std::io::Result<u64> {
        let file = std::fs::File::create(&part)?;
        let mut out = std::io::BufWriter::new(file);
        serde_json::to_writer_pretty(&mut out, &whole)?;
        out.flush()?;
        let file = out.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        let bytes = file.metadata()?.len();
        std::fs::rename(&part, to)?;
        Ok(bytes)
    })();
    let bytes = match written {
        Ok(bytes) => bytes,
        Err(e) => {
            let _ = std::fs::remove_file(&part);
            return Err(failed(e));
        }
    };
    progress.set(1.0);
    Ok(Exported {
        path: to.to_owned(),
        bytes,
        with_server,
    })
}

/// Deletes the account on the server (after a fresh login with
/// `password`) and forgets it here: server, e-mail and session. What this
/// device recorded stays on it. Waits on the network: call it off the UI
/// thread.
pub fn delete_account(rider: &mut Rider, password: String) -> Result<()> {
    let transport = fresh_login(rider, password)?;
    account::block_on(transport.delete_account())??;
    for key in [SESSION_KEY, EMAIL_KEY, SERVER_KEY] {
        rider.forget_setting(key)?;
    }
    Ok(())
}

/// The whole export for a worker thread while the app keeps its own
/// session open: opens the data file at `database` (SQLite lets both
/// read), fetches the server's copy when `password` is given, and writes
/// `to` as [`export`] does.
pub fn export_file(
    database: &Path,
    password: Option<String>,
    to: &Path,
    progress: &ExportProgress,
) -> Result<Exported> {
    let rider = Rider::open(database, crate::clock::now().0)?;
    let server = password
        .map(|password| server_copy(&rider, password))
        .transpose()?;
    export(&rider, server, to, progress)
}

/// [`delete_account`] for a worker thread, on its own session of the data
/// file at `database`; stop the device's syncer first (it would otherwise
/// keep asking with a session the server no longer knows).
pub fn delete_account_of(database: &Path, password: String) -> Result<()> {
    let mut rider = Rider::open(database, crate::clock::now().0)?;
    delete_account(&mut rider, password)
}

/// Deletes this device's data file at `database` with SQLite's companions
/// (`-wal`, `-shm`). Close the rider first. A file moved aside earlier
/// because it was damaged is left alone.
pub fn wipe(database: &Path) -> Result<()> {
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let mut name = database.as_os_str().to_owned();
        name.push(suffix);
        match std::fs::remove_file(&name) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                return Err(Error::Folder {
                    path: PathBuf::from(name),
                    reason: e.to_string(),
                });
            }
        }
    }
    Ok(())
}
