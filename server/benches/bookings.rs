//! Booking under load: 200 customers' phones booking at once against the
//! real `ridewire-server` binary on loopback, each asking for a free slot
//! and booking it, as many race for the same slots as a busy Saturday
//! morning.
//!
//! `cargo xtask bench bookings`, or
//! `cargo bench -p ridewire-server --bench bookings`.
//! Prints one JSON line: bookings made, slots lost to a faster client
//! (`409 slot_taken`), other errors, throughput (booking requests answered
//! per second, over the whole run) and the p50/p95/p99 of a booking
//! request in milliseconds.
//!
//! Set-up (not timed): one workshop with 10 bays open all week in
//! 30-minute slots (over 2,800 in the coming week), 200 customers who
//! joined with codes. Each client books
//! 10 slots (the most a customer may hold ahead): it lists the free
//! slots of the coming week and picks one of the first 40 at random, so
//! clients collide often. The server runs with its limits raised (rate
//! limits and the password hash's memory) so the figure is the booking
//! path's, not the limiter's. On this 2-core machine the 200 clients and
//! the server share the CPUs.

// A bench's set-up that fails is the bench failing.
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod support;

use std::time::Instant;

use serde_json::{Value, json};
use support::Server;

const CLIENTS: usize = 200;
const BOOKINGS_EACH: usize = 10;
const PASSWORD: &str = "correct horse battery staple";

async fn call(
    http: &reqwest::Client,
    method: reqwest::Method,
    url: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (u16, Value) {
    let mut request = http.request(method, url);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.expect("request");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn register(http: &reqwest::Client, base: &str, email: &str) -> String {
    let (status, body) = call(
        http,
        reqwest::Method::POST,
        &format!("{base}/api/v1/auth/register"),
        None,
        Some(json!({"email": email, "password": PASSWORD})),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    body["access_token"].as_str().expect("token").to_owned()
}

fn percentile(sorted: &[f64], q: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * q).round() as usize]
}

fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (_server, base) = Server::start(dir.path(), 8192);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async move {
        let http = reqwest::Client::new();
        let post = reqwest::Method::POST;
        let owner = register(&http, &base, "owner@moto.test").await;
        let (_, shop) = call(
            &http,
            post.clone(),
            &format!("{base}/api/v1/workshops"),
            Some(&owner),
            Some(json!({"name": "Moto"})),
        )
        .await;
        let shop = shop["workshop"].as_str().expect("workshop").to_owned();
        for bay in 1..=10 {
            let (status, body) = call(
                &http,
                post.clone(),
                &format!("{base}/api/v1/workshops/{shop}/bays"),
                Some(&owner),
                Some(
                    json!({"name": format!("Bay {bay}"), "opens_min": 0, "closes_min": 1440,
                    "days": [1, 2, 3, 4, 5, 6, 7], "slot_minutes": 30, "utc_offset_min": 0}),
                ),
            )
            .await;
            assert_eq!(status, 201, "{body}");
        }
        let mut customers = Vec::new();
        for i in 0..CLIENTS {
            let token = register(&http, &base, &format!("rider{i}@ridewire.test")).await;
            let (_, code) = call(
                &http,
                post.clone(),
                &format!("{base}/api/v1/workshops/{shop}/invitations"),
                Some(&owner),
                Some(json!({"role": "customer"})),
            )
            .await;
            let (status, body) = call(
                &http,
                post.clone(),
                &format!("{base}/api/v1/invitations/accept"),
                Some(&token),
                Some(json!({"code": code["code"]})),
            )
            .await;
            assert_eq!(status, 200, "{body}");
            customers.push(token);
        }

        let started = Instant::now();
        let tasks: Vec<_> = customers
            .into_iter()
            .enumerate()
            .map(|(i, token)| {
                let (http, base, shop) = (http.clone(), base.clone(), shop.clone());
                tokio::spawn(async move {
                    let mut seed = 0x9E37_79B9_7F4A_7C15u64 ^ (i as u64 + 1);
                    let mut next = move || {
                        seed ^= seed << 13;
                        seed ^= seed >> 7;
                        seed ^= seed << 17;
                        seed
                    };
                    let (mut made, mut lost, mut errors, mut times) = (0, 0, 0, Vec::new());
                    while made < BOOKINGS_EACH {
                        let (_, free) = call(
                            &http,
                            reqwest::Method::GET,
                            &format!("{base}/api/v1/workshops/{shop}/slots?days=7"),
                            Some(&token),
                            None,
                        )
                        .await;
                        let slots = free["slots"].as_array().cloned().unwrap_or_default();
                        if slots.is_empty() {
                            break;
                        }
                        let pick = &slots[(next() as usize) % slots.len().min(40)];
                        let asked = Instant::now();
                        let (status, _) = call(
                            &http,
                            reqwest::Method::POST,
                            &format!("{base}/api/v1/workshops/{shop}/bookings"),
                            Some(&token),
                            Some(json!({"bay": pick["bay"], "start_ms": pick["start_ms"],
                                "service": "Annual service"})),
                        )
                        .await;
                        times.push(asked.elapsed().as_secs_f64() * 1e3);
                        match status {
                            201 => made += 1,
                            409 => lost += 1,
                            _ => {
                                errors += 1;
                                if errors > 10 {
                                    break;
                                }
                            }
                        }
                    }
                    (made, lost, errors, times)
                })
            })
            .collect();
        let (mut made, mut lost, mut errors, mut times) = (0, 0, 0, Vec::new());
        for task in tasks {
            let (m, l, e, t) = task.await.expect("client");
            made += m;
            lost += l;
            errors += e;
            times.extend(t);
        }
        let wall = started.elapsed();
        times.sort_by(f64::total_cmp);
        let round = |x: f64| (x * 100.0).round() / 100.0;
        println!(
            "{}",
            json!({
                "figure": "booking_under_load",
                "clients": CLIENTS,
                "bookings_made": made,
                "slots_lost_to_a_faster_client": lost,
                "errors": errors,
                "booking_requests_per_s": round(times.len() as f64 / wall.as_secs_f64()),
                "wall_s": round(wall.as_secs_f64()),
                "booking_ms": {
                    "p50": round(percentile(&times, 0.5)),
                    "p95": round(percentile(&times, 0.95)),
                    "p99": round(percentile(&times, 0.99)),
                },
            })
        );
    });
}
