//! What an operator can tune: token lifetimes, limits, password hashing
//! cost, admin accounts. `main.rs` fills it from flags and environment.

use std::collections::BTreeSet;
use std::net::IpAddr;

/// A token bucket: `per_minute` requests on average, `burst` at once.
/// `per_minute == 0` turns the limit off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    /// Requests per minute refilled.
    pub per_minute: u32,
    /// Most requests at once.
    pub burst: u32,
}

impl Rate {
    /// No limit.
    pub const OFF: Rate = Rate {
        per_minute: 0,
        burst: 0,
    };
}

/// Server settings.
#[derive(Debug, Clone)]
pub struct Config {
    /// How long an access token is good for.
    pub access_token_ttl_ms: i64,
    /// How long a refresh token is good for.
    pub refresh_token_ttl_ms: i64,
    /// How long a login lasts at most, however often it is refreshed.
    pub login_max_age_ms: i64,
    /// Largest request body in bytes.
    pub max_body_bytes: usize,
    /// Requests per client IP address, for every endpoint.
    pub per_ip: Rate,
    /// Requests per account, for authenticated endpoints.
    pub per_user: Rate,
    /// Register, login and refresh per client IP address (password guessing).
    pub auth_per_ip: Rate,
    /// Diagnoses per account: each one may call paid hosted models.
    pub diagnoses_per_user: Rate,
    /// Login attempts per e-mail address, from any address.
    pub login_per_account: Rate,
    /// Password hashes computed at once (Argon2id takes memory and a core
    /// each); more wait a little, then are answered `503`.
    pub max_concurrent_hashes: usize,
    /// How long a password check waits for a hashing slot before `503`.
    pub hash_queue_wait_ms: u64,
    /// Paid calls to hosted diagnosis agents per minute, for the whole
    /// server (0: no limit); past it the offline agent answers alone.
    pub agent_calls_per_minute: u32,
    /// The same per UTC day.
    pub agent_calls_per_day: u32,
    /// The key of e-mail addresses at rest (`RIDEWIRE_EMAIL_KEY`); `None`:
    /// the key file beside the database, made on first start.
    pub email_key: Option<crate::email::EmailKey>,
    /// Reverse proxies whose `X-Forwarded-For`/`Forwarded` is believed.
    pub trusted_proxies: Vec<Cidr>,
    /// Argon2id memory cost in KiB.
    pub argon2_memory_kib: u32,
    /// Argon2id passes.
    pub argon2_iterations: u32,
    /// E-mail addresses of existing accounts given the admin role at
    /// start-up (lower case). Registering with one of them makes no admin.
    pub admin_emails: BTreeSet<String>,
    /// What one account may store: rows (events, refused events' tombstones,
    /// records, diagnostic runs, photos) and bytes (their bodies and notes,
    /// the photos' JPEGs).
    pub quota: Quota,
}

/// A per-account storage quota.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quota {
    /// Most rows.
    pub rows: u64,
    /// Most bytes.
    pub bytes: u64,
}

impl Default for Quota {
    /// 250,000 rows and 256 MiB: years of a busy rider's events (an event
    /// is a few hundred bytes), far below what one account could use to
    /// fill the server's disk for everyone.
    fn default() -> Self {
        Quota {
            rows: 250_000,
            bytes: 256 * 1024 * 1024,
        }
    }
}

/// One day.
pub const DAY_MS: i64 = 24 * 60 * 60 * 1_000;

impl Default for Config {
    fn default() -> Self {
        Config {
            access_token_ttl_ms: DAY_MS,
            refresh_token_ttl_ms: 30 * DAY_MS,
            login_max_age_ms: 90 * DAY_MS,
            max_body_bytes: 1024 * 1024,
            per_ip: Rate {
                per_minute: 6_000,
                burst: 600,
            },
            per_user: Rate {
                per_minute: 1_200,
                burst: 240,
            },
            auth_per_ip: Rate {
                per_minute: 30,
                burst: 10,
            },
            diagnoses_per_user: Rate {
                per_minute: 10,
                burst: 5,
            },
            login_per_account: Rate {
                per_minute: 10,
                burst: 5,
            },
            max_concurrent_hashes: std::thread::available_parallelism()
                .map_or(2, std::num::NonZeroUsize::get),
            hash_queue_wait_ms: 5_000,
            agent_calls_per_minute: 120,
            agent_calls_per_day: 20_000,
            trusted_proxies: Vec::new(),
            email_key: None,
            argon2_memory_kib: argon2::Params::DEFAULT_M_COST,
            argon2_iterations: argon2::Params::DEFAULT_T_COST,
            admin_emails: BTreeSet::new(),
            quota: Quota::default(),
        }
    }
}

/// A block of addresses, `ADDRESS/BITS` (a bare address is a block of one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    network: IpAddr,
    bits: u8,
}

impl Cidr {
    /// Whether `ip` lies in the block.
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.network, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX.checked_shl(32 - u32::from(self.bits)).unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.bits))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            (IpAddr::V4(_), IpAddr::V6(v6)) => v6
                .to_ipv4_mapped()
                .is_some_and(|v4| self.contains(IpAddr::V4(v4))),
            (IpAddr::V6(_), IpAddr::V4(_)) => false,
        }
    }
}

impl std::str::FromStr for Cidr {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<Self, String> {
        let bad = || format!("{s:?} is not an address or ADDRESS/BITS block, e.g. 10.0.0.0/8");
        let (addr, bits) = match s.trim().split_once('/') {
            Some((a, b)) => (a, Some(b)),
            None => (s.trim(), None),
        };
        let network: IpAddr = addr.parse().map_err(|_| bad())?;
        let max = if network.is_ipv4() { 32 } else { 128 };
        let bits = match bits {
            Some(b) => b.parse::<u8>().ok().filter(|b| *b <= max).ok_or_else(bad)?,
            None => max,
        };
        Ok(Cidr { network, bits })
    }
}
