//! The API's other messages, beside sync's own: accounts and sessions,
//! errors, plans and published content. The server answers with these
//! types and the sync client reads them, so a field renamed on one side
//! fails to build on the other instead of failing on the wire. The OpenAPI
//! document (`server/src/routes/schemas.rs`) states the same shapes with
//! every check the server makes.

use serde::{Deserialize, Serialize};

/// E-mail and password (`POST /api/v1/auth/register`, `…/login`).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Credentials {
    pub email: String,
    pub password: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("email", &self.email)
            .finish_non_exhaustive()
    }
}

/// A refresh token to exchange for a new pair (`POST /api/v1/auth/refresh`).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    pub refresh_token: String,
}

impl std::fmt::Debug for RefreshRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RefreshRequest { … }")
    }
}

/// The current and the new password (`POST /api/v1/auth/password`).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    pub current_password: String,
    pub new_password: String,
}

impl std::fmt::Debug for PasswordChange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PasswordChange { … }")
    }
}

/// What an account may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// A rider or mechanic.
    User,
    /// May sell repair diagrams (marketplace, later).
    Seller,
    /// Publishes plans, the quest catalogue and overlay packs.
    Admin,
}

impl Role {
    /// As stored and serialised.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::User => "user",
            Role::Seller => "seller",
            Role::Admin => "admin",
        }
    }

    /// Reads a stored role; anything unknown is treated as the least
    /// privileged.
    pub fn from_stored(s: &str) -> Role {
        match s {
            "admin" => Role::Admin,
            "seller" => Role::Seller,
            _ => Role::User,
        }
    }
}

/// An account as its owner sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    /// Server id.
    pub id: i64,
    /// Login e-mail (lower case).
    pub email: String,
    /// What the account may do.
    pub role: Role,
}

/// A fresh login: the tokens and who they are for (the answer of
/// register, login and refresh).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    /// Send as `Authorization: Bearer ...`.
    pub access_token: String,
    /// Exchange at `/api/v1/auth/refresh` for a new pair; good once.
    pub refresh_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds the access token is good for.
    pub expires_in: i64,
    /// Seconds the refresh token is good for.
    pub refresh_expires_in: i64,
    /// The account.
    pub user: Account,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("expires_in", &self.expires_in)
            .field("user", &self.user)
            .finish_non_exhaustive()
    }
}

/// Every error answer: `{"error": {"code": …, "message": …}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

/// What went wrong: a stable code to act on and words to show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorDetail {
    pub code: String,
    pub message: String,
}

/// A plan as published (`GET`/`PUT /api/v1/plans/{id}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    pub id: String,
    pub title: String,
    /// The plan's Markdown.
    pub markdown: String,
    /// Counts up with every publication.
    pub version: u64,
}

/// What an admin uploads as a plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanUpload {
    pub markdown: String,
    /// Defaults to the plan's first heading.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
}

/// The version a publication (quest catalogue, overlay pack) now has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Published {
    pub version: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_reach_a_log_line() {
        let c = Credentials {
            email: "rider@example.com".into(),
            password: "hunter2-hunter2".into(),
        };
        let r = RefreshRequest {
            refresh_token: "rwr_secret".into(),
        };
        let s = Session {
            access_token: "rwa_secret".into(),
            refresh_token: "rwr_secret".into(),
            token_type: "Bearer".into(),
            expires_in: 86_400,
            refresh_expires_in: 2_592_000,
            user: Account {
                id: 1,
                email: "rider@example.com".into(),
                role: Role::User,
            },
        };
        let logged = format!("{c:?} {r:?} {s:?}");
        assert!(!logged.contains("hunter2"), "{logged}");
        assert!(!logged.contains("secret"), "{logged}");
        assert!(logged.contains("rider@example.com"), "{logged}");
    }

    #[test]
    fn unknown_fields_in_what_a_client_sends_are_refused() {
        let extra = r#"{"email": "a@b.c", "password": "x", "admin": true}"#;
        assert!(serde_json::from_str::<Credentials>(extra).is_err());
        let upload = r#"{"markdown": "- [ ] chain"}"#;
        let read: PlanUpload = serde_json::from_str(upload).unwrap();
        assert_eq!(read.title, None);
    }

    #[test]
    fn roles_read_back_as_stored_and_unknown_ones_are_the_least() {
        for role in [Role::User, Role::Seller, Role::Admin] {
            assert_eq!(Role::from_stored(role.as_str()), role);
            assert_eq!(
                serde_json::to_value(role).unwrap(),
                serde_json::Value::from(role.as_str())
            );
        }
        assert_eq!(Role::from_stored("root"), Role::User);
    }
}
