//! E-mail addresses at rest: a copy of the database must not list who uses
//! RideWire. The `users.email` column holds a keyed hash of the address
//! (HMAC-SHA256, for look-up and uniqueness) and `users.email_enc` the
//! address encrypted with ChaCha20-Poly1305 (to show it to its owner). The
//! key comes from `RIDEWIRE_EMAIL_KEY` (64 hex digits), or else from a key
//! file beside the database, made on first start (mode 0600): keep it out
//! of the database's backups.

use std::path::{Path, PathBuf};

use crate::store::{Connection, params};
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use sha2::{Digest, Sha256};

use crate::error::{AppError, Result};

/// The server's key for e-mail addresses.
#[derive(Clone)]
pub struct EmailKey([u8; 32]);

impl std::fmt::Debug for EmailKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("EmailKey(…)")
    }
}

/// What `users.email` holds: `h1:` and the keyed hash in hex.
const HASH_PREFIX: &str = "h1:";

impl EmailKey {
    /// A key from its 64 hex digits.
    pub fn from_hex(hex_key: &str) -> Result<Self> {
        let mut key = [0u8; 32];
        hex::decode_to_slice(hex_key.trim(), &mut key).map_err(|_| {
            AppError::Config("the e-mail key must be 64 hex digits (32 bytes)".into())
        })?;
        Ok(EmailKey(key))
    }

    /// A fresh random key.
    pub fn generate() -> Result<Self> {
        let mut key = [0u8; 32];
        getrandom::fill(&mut key).map_err(|e| AppError::Internal(format!("no randomness: {e}")))?;
        Ok(EmailKey(key))
    }

    /// The key file beside `database`: `server.db` → `server.db.email-key`.
    pub fn file_for(database: &Path) -> PathBuf {
        let mut name = database.as_os_str().to_owned();
        name.push(".email-key");
        PathBuf::from(name)
    }

    /// The key from `hex_key` (the environment) when given, else from the
    /// key file beside `database`, made now when there is none.
    pub fn load(hex_key: Option<&str>, database: &Path) -> Result<Self> {
        if let Some(hex_key) = hex_key.filter(|k| !k.trim().is_empty()) {
            return Self::from_hex(hex_key);
        }
        let file = Self::file_for(database);
        match std::fs::read_to_string(&file) {
            Ok(text) => Self::from_hex(&text).map_err(|_| {
                AppError::Config(format!("{} is not a 64-hex-digit key", file.display()))
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let key = Self::generate()?;
                write_private(&file, &hex::encode(key.0)).map_err(|e| {
                    AppError::Config(format!("cannot write {}: {e}", file.display()))
                })?;
                Ok(key)
            }
            Err(e) => Err(AppError::Config(format!(
                "cannot read {}: {e}",
                file.display()
            ))),
        }
    }

    /// What `users.email` stores for `email` (already normalised).
    pub fn lookup(&self, email: &str) -> String {
        // HMAC-SHA256 (RFC 2104) with a 32-byte key.
        let mut inner = Sha256::new();
        let mut outer = Sha256::new();
        let mut ipad = [0x36u8; 64];
        let mut opad = [0x5cu8; 64];
        for (i, b) in self.0.iter().enumerate() {
            ipad[i] ^= b;
            opad[i] ^= b;
        }
        inner.update(ipad);
        inner.update(email.as_bytes());
        outer.update(opad);
        outer.update(inner.finalize());
        format!("{HASH_PREFIX}{}", hex::encode(outer.finalize()))
    }

    /// `email` encrypted: a random 12-byte nonce, then the ciphertext.
    pub fn seal(&self, email: &str) -> Result<Vec<u8>> {
        let mut nonce = [0u8; 12];
        getrandom::fill(&mut nonce)
            .map_err(|e| AppError::Internal(format!("no randomness: {e}")))?;
        let cipher = ChaCha20Poly1305::new(Key::from_slice(&self.0));
        let sealed = cipher
            .encrypt(Nonce::from_slice(&nonce), email.as_bytes())
            .map_err(|_| AppError::Internal("e-mail encryption failed".into()))?;
        Ok([nonce.as_slice(), &sealed].concat())
    }

    /// The address in `sealed`; an error when the key is not the one it
    /// was sealed with.
    pub fn open(&self, sealed: &[u8]) -> Result<String> {
        let wrong = || {
            AppError::Internal(
                "an e-mail address does not open with this key (RIDEWIRE_EMAIL_KEY or the key \
                 file changed?)"
                    .into(),
            )
        };
        if sealed.len() < 12 {
            return Err(wrong());
        }
        let (nonce, body) = sealed.split_at(12);
        let cipher = ChaCha20Poly1305::new(Key::from_slice(&self.0));
        let plain = cipher
            .decrypt(Nonce::from_slice(nonce), body)
            .map_err(|_| wrong())?;
        String::from_utf8(plain).map_err(|_| wrong())
    }

    /// Rewrites every address still stored in clear text (from before
    /// migration 005) as its hash and sealed copy; returns how many.
    pub fn protect_existing(&self, conn: &Connection) -> Result<usize> {
        let plain: Vec<(i64, String)> = conn
            .prepare("SELECT id, email FROM users WHERE email_enc IS NULL")?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<crate::store::Result<_>>()?;
        for (id, email) in &plain {
            conn.execute(
                "UPDATE users SET email = ?1, email_enc = ?2 WHERE id = ?3",
                params![self.lookup(email), self.seal(email)?, id],
            )?;
        }
        Ok(plain.len())
    }

    /// The address of account `id`.
    pub fn of_account(&self, conn: &Connection, id: i64) -> Result<String> {
        let sealed: Vec<u8> =
            conn.query_row("SELECT email_enc FROM users WHERE id = ?1", [id], |r| {
                r.get(0)
            })?;
        self.open(&sealed)
    }
}

/// Writes `text` to a new file only its owner may read.
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(text.as_bytes())?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_is_found_by_its_hash_and_read_back_only_with_the_key() {
        let key = EmailKey::generate().expect("key");
        let other = EmailKey::generate().expect("key");
        let email = "rider@ridewire.test";
        assert_eq!(key.lookup(email), key.lookup(email));
        assert_ne!(key.lookup(email), other.lookup(email));
        assert!(!key.lookup(email).contains("rider"));
        let sealed = key.seal(email).expect("seal");
        assert!(!String::from_utf8_lossy(&sealed).contains("rider"));
        assert_ne!(
            sealed,
            key.seal(email).expect("seal"),
            "a fresh nonce each time"
        );
        assert_eq!(key.open(&sealed).expect("open"), email);
        assert!(other.open(&sealed).is_err());
        assert!(key.open(&sealed[..5]).is_err());
    }

    #[test]
    fn the_key_file_is_made_once_and_kept_private() {
        let dir = tempfile::tempdir().expect("dir");
        let database = dir.path().join("server.db");
        let first = EmailKey::load(None, &database).expect("made");
        let again = EmailKey::load(None, &database).expect("read");
        assert_eq!(first.0, again.0);
        let file = EmailKey::file_for(&database);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&file).expect("file").permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let from_env = EmailKey::load(Some(&"ab".repeat(32)), &database).expect("env");
        assert_eq!(from_env.0, [0xab; 32]);
        assert!(EmailKey::load(Some("not hex"), &database).is_err());
    }
}
