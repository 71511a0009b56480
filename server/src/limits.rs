//! Rate limits: in-memory token buckets per client IP address and per
//! account. A refused request is answered `429` with `Retry-After`.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;

use axum::extract::{ConnectInfo, Request, State};
use axum::middleware::Next;
use axum::response::Response;

use crate::AppState;
use crate::config::Rate;
use crate::error::{AppError, Result};

/// Buckets kept before idle full ones are dropped.
const PRUNE_AT: usize = 10_000;

#[derive(Debug, Clone, Copy)]
struct Bucket {
    /// Requests available, in thousandths (integer arithmetic).
    milli_tokens: u64,
    updated_ms: i64,
}

/// Token buckets for one kind of key.
#[derive(Debug)]
pub struct Limiter<K> {
    rate: Rate,
    buckets: Mutex<Buckets<K>>,
}

#[derive(Debug)]
struct Buckets<K> {
    by_key: HashMap<K, Bucket>,
    /// Size at which idle buckets are swept next; doubles with the live
    /// ones so a flood of addresses costs amortised constant time.
    prune_at: usize,
}

impl<K: Hash + Eq + Clone> Limiter<K> {
    /// Buckets that refill at `rate`.
    pub fn new(rate: Rate) -> Self {
        Limiter {
            rate,
            buckets: Mutex::new(Buckets {
                by_key: HashMap::new(),
                prune_at: PRUNE_AT,
            }),
        }
    }

    /// Takes one request from `key`'s bucket, or says how many seconds until
    /// one is available.
    pub fn take(&self, key: &K, now_ms: i64) -> Result<()> {
        if self.rate.per_minute == 0 {
            return Ok(());
        }
        let full = u64::from(self.rate.burst.max(1)) * 1_000;
        let per_minute = u64::from(self.rate.per_minute);
        let mut buckets = self
            .buckets
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if buckets.by_key.len() >= buckets.prune_at {
            // A bucket that has refilled is the same as no bucket.
            buckets.by_key.retain(|_, b| {
                let idle = u64::try_from(now_ms - b.updated_ms).unwrap_or(0);
                b.milli_tokens + idle * per_minute / 60 < full
            });
            buckets.prune_at = (buckets.by_key.len() * 2).max(PRUNE_AT);
        }
        let bucket = buckets.by_key.entry(key.clone()).or_insert(Bucket {
            milli_tokens: full,
            updated_ms: now_ms,
        });
        // Refill: per_minute tokens per 60,000 ms = per_minute thousandths per 60 ms.
        let elapsed = u64::try_from(now_ms - bucket.updated_ms).unwrap_or(0);
        bucket.milli_tokens = (bucket.milli_tokens + elapsed * per_minute / 60).min(full);
        bucket.updated_ms = now_ms;
        if bucket.milli_tokens >= 1_000 {
            bucket.milli_tokens -= 1_000;
            Ok(())
        } else {
            let missing = 1_000 - bucket.milli_tokens;
            let wait_ms = (missing * 60).div_ceil(per_minute);
            Err(AppError::RateLimited {
                retry_after_s: wait_ms.div_ceil(1_000).max(1),
            })
        }
    }
}

/// The client's address as the connection reports it. Requests built in
/// tests without one share the unspecified address.
pub fn client_ip(request: &Request) -> IpAddr {
    request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip())
        .unwrap_or(IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED))
}

/// Middleware: every request takes from its IP address's bucket.
pub async fn per_ip(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let ip = client_ip(&request);
    match state.limits.per_ip.take(&ip, state.clock.now_ms()) {
        Ok(()) => next.run(request).await,
        Err(e) => axum::response::IntoResponse::into_response(e),
    }
}

/// Middleware for register, login and refresh: a tighter bucket per IP
/// address, against password guessing.
pub async fn auth_per_ip(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let ip = client_ip(&request);
    match state.limits.auth_per_ip.take(&ip, state.clock.now_ms()) {
        Ok(()) => next.run(request).await,
        Err(e) => axum::response::IntoResponse::into_response(e),
    }
}

/// All the limiters of a server.
#[derive(Debug)]
pub struct Limits {
    /// Every request, by client address.
    pub per_ip: Limiter<IpAddr>,
    /// Authenticated requests, by account.
    pub per_user: Limiter<i64>,
    /// Register, login and refresh, by client address.
    pub auth_per_ip: Limiter<IpAddr>,
    /// Diagnoses, by account.
    pub diagnoses_per_user: Limiter<i64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_allows_its_burst_then_refuses_until_it_refills() {
        let limiter = Limiter::new(Rate {
            per_minute: 60,
            burst: 3,
        });
        for _ in 0..3 {
            limiter.take(&1, 0).expect("within burst");
        }
        let Err(AppError::RateLimited { retry_after_s }) = limiter.take(&1, 0) else {
            panic!("fourth request allowed");
        };
        assert_eq!(retry_after_s, 1);
        // Another key has its own bucket.
        limiter.take(&2, 0).expect("other key");
        // One per second refills.
        limiter.take(&1, 1_000).expect("refilled");
        assert!(limiter.take(&1, 1_000).is_err());
    }

    #[test]
    fn a_slow_rate_says_how_long_to_wait() {
        let limiter = Limiter::new(Rate {
            per_minute: 2,
            burst: 1,
        });
        limiter.take(&"ip", 0).expect("first");
        let Err(AppError::RateLimited { retry_after_s }) = limiter.take(&"ip", 0) else {
            panic!("allowed");
        };
        assert_eq!(retry_after_s, 30);
    }

    #[test]
    fn refilled_buckets_are_forgotten_and_busy_ones_kept() {
        let limiter = Limiter::new(Rate {
            per_minute: 60,
            burst: 1,
        });
        for ip in 0..PRUNE_AT as u32 {
            limiter.take(&ip, 0).expect("first request");
        }
        // A minute later every bucket is full again; the next new key
        // sweeps them, and one used just now stays limited.
        limiter.take(&u32::MAX, 60_000).expect("new key");
        limiter.take(&7, 60_000).expect("refilled");
        assert!(limiter.take(&7, 60_000).is_err());
        let buckets = limiter.buckets.lock().expect("lock");
        assert!(buckets.by_key.len() <= 2, "{} kept", buckets.by_key.len());
    }

    #[test]
    fn rate_zero_means_no_limit() {
        let limiter = Limiter::new(Rate::OFF);
        for _ in 0..10_000 {
            limiter.take(&1, 0).expect("unlimited");
        }
    }
}
