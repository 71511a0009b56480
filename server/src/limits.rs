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
use crate::config::{Cidr, Rate};
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

/// The client's address: the connection's peer, or, when the peer is one of
/// the operator's `trusted` reverse proxies, the address that proxy put
/// last in `X-Forwarded-For` (or `Forwarded: for=`). Only the hop the proxy
/// added is believed; what the client wrote before it is not. Requests built
/// in tests without a connection share the unspecified address.
pub fn client_ip(request: &Request, trusted: &[Cidr]) -> IpAddr {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip())
        .unwrap_or(IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED));
    if !trusted.iter().any(|c| c.contains(peer)) {
        return peer;
    }
    forwarded_for(request.headers()).unwrap_or(peer)
}

/// The last hop of `X-Forwarded-For`, else of `Forwarded`'s `for=`.
fn forwarded_for(headers: &axum::http::HeaderMap) -> Option<IpAddr> {
    let last_of = |name: &str| {
        headers
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .last()
            .map(str::trim)
            .map(str::to_owned)
    };
    if let Some(hop) = last_of("x-forwarded-for") {
        return parse_hop(&hop);
    }
    let hop = last_of("forwarded")?;
    let value = hop.split(';').find_map(|pair| {
        pair.trim()
            .strip_prefix("for=")
            .or_else(|| pair.trim().strip_prefix("For="))
    })?;
    parse_hop(value.trim_matches('"'))
}

/// An address as a proxy writes it: `1.2.3.4`, `1.2.3.4:5678`, `[::1]:80`, `::1`.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    if let Ok(ip) = hop.parse() {
        return Some(ip);
    }
    if let Ok(addr) = hop.parse::<SocketAddr>() {
        return Some(addr.ip());
    }
    hop.trim_start_matches('[')
        .split(']')
        .next()
        .and_then(|h| h.parse().ok())
}

/// The key a client's address is limited under: an IPv6 client usually
/// holds a whole /64, so its addresses share one bucket.
pub fn limit_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(std::net::Ipv6Addr::from(u128::from(v6) & (u128::MAX << 64))),
        },
        v4 => v4,
    }
}

/// Middleware: every request takes from its IP address's bucket.
pub async fn per_ip(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let ip = limit_key(client_ip(&request, &state.config.trusted_proxies));
    match state.limits.per_ip.take(&ip, state.clock.now_ms()) {
        Ok(()) => next.run(request).await,
        Err(e) => axum::response::IntoResponse::into_response(e),
    }
}

/// Middleware for register, login and refresh: a tighter bucket per IP
/// address, against password guessing.
pub async fn auth_per_ip(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let ip = limit_key(client_ip(&request, &state.config.trusted_proxies));
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
    /// Logins, by the e-mail tried (guessing one account's password from
    /// many addresses).
    pub login_per_account: Limiter<String>,
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
    fn blocks_hold_their_addresses_and_ipv6_clients_share_their_64() {
        let block: Cidr = "10.1.0.0/16".parse().expect("cidr");
        assert!(block.contains("10.1.200.3".parse().expect("ip")));
        assert!(!block.contains("10.2.0.1".parse().expect("ip")));
        assert!(block.contains("::ffff:10.1.0.9".parse().expect("ip")));
        let one: Cidr = "2001:db8::1".parse().expect("cidr");
        assert!(one.contains("2001:db8::1".parse().expect("ip")));
        assert!(!one.contains("2001:db8::2".parse().expect("ip")));
        let all: Cidr = "0.0.0.0/0".parse().expect("cidr");
        assert!(all.contains("203.0.113.9".parse().expect("ip")));
        for bad in ["", "10.0.0.0/33", "::/129", "proxy", "10.0.0.0/x"] {
            assert!(bad.parse::<Cidr>().is_err(), "{bad:?}");
        }
        let a = limit_key("2001:db8:1:2:aaaa::1".parse().expect("ip"));
        let b = limit_key("2001:db8:1:2:bbbb::7".parse().expect("ip"));
        let c = limit_key("2001:db8:1:3::1".parse().expect("ip"));
        assert_eq!(a, b);
        assert_ne!(a, c);
        let v4: IpAddr = "198.51.100.4".parse().expect("ip");
        assert_eq!(limit_key(v4), v4);
    }

    #[test]
    fn only_a_trusted_proxys_last_hop_is_believed() {
        use axum::body::Body;
        let request = |peer: &str, headers: &[(&str, &str)]| {
            let mut builder = axum::http::Request::builder().uri("/health");
            for (name, value) in headers {
                builder = builder.header(*name, *value);
            }
            let mut request = builder.body(Body::empty()).expect("request");
            request.extensions_mut().insert(ConnectInfo(
                format!("{peer}:40000").parse::<SocketAddr>().expect("peer"),
            ));
            request
        };
        let trusted: Vec<Cidr> = vec!["10.0.0.0/8".parse().expect("cidr")];
        let ip = |s: &str| s.parse::<IpAddr>().expect("ip");
        // A client's own header is ignored when it connects directly.
        let direct = request("203.0.113.5", &[("x-forwarded-for", "1.1.1.1")]);
        assert_eq!(client_ip(&direct, &trusted), ip("203.0.113.5"));
        // Through the proxy: the hop it appended, not what the client wrote.
        let proxied = request("10.0.0.2", &[("x-forwarded-for", "1.1.1.1, 198.51.100.7")]);
        assert_eq!(client_ip(&proxied, &trusted), ip("198.51.100.7"));
        let forwarded = request(
            "10.0.0.2",
            &[(
                "forwarded",
                "for=1.1.1.1, for=\"[2001:db8::5]:4711\";proto=https",
            )],
        );
        assert_eq!(client_ip(&forwarded, &trusted), ip("2001:db8::5"));
        // Without the option nobody is trusted.
        assert_eq!(client_ip(&proxied, &[]), ip("10.0.0.2"));
        // A garbled header falls back to the proxy's address.
        let garbled = request("10.0.0.2", &[("x-forwarded-for", "not-an-ip")]);
        assert_eq!(client_ip(&garbled, &trusted), ip("10.0.0.2"));
    }

    #[test]
    fn rate_zero_means_no_limit() {
        let limiter = Limiter::new(Rate::OFF);
        for _ in 0..10_000 {
            limiter.take(&1, 0).expect("unlimited");
        }
    }
}
