//! Leaderboard pages and the refresh a push does, with 1,000 riders and
//! with 100,000, on a database file the server's own migrations made.
//!
//! `cargo xtask bench leaderboard`, or
//! `cargo bench -p ridewire-server --bench leaderboard`.
//! Prints one JSON line per figure:
//! - `page_ms`: `leaderboard::page` in a read transaction, as
//!   `GET /api/v1/leaderboards/{board}` runs it, for xp/all, xp/week and
//!   quests/week, asked by a rider near the top (rank ~10), in the middle,
//!   at the bottom and by one who is not listed (their own numbers come from
//!   their fold, warm as after a pull);
//! - `refresh_ms`: `leaderboard::refresh` of a listed rider in the
//!   transaction of a push that stored one diagnostic run (10 XP), with the
//!   fold warm as after the previous round's pull.
//!
//! Lines for 100,000 riders carry `p50_vs_1k`, the median over the median
//! with 1,000: how the figure grows with the number of riders.
//!
//! The riders' numbers are drawn (a fixed seed) so that most have ridden
//! little and a few a lot; nine in ten chose a display name and about a
//! quarter earned something this week. Their rows go straight into
//! `users` and `standings` in one transaction; the two riders who ask with
//! a history push it through the server's own push.
//!
//! `RIDEWIRE_BENCH_RUNS` sets the number of timed pages per case (default
//! 200; refreshes are at most 32, the diagnostic runs one week can reward).

use std::sync::Arc;
use std::time::{Duration, Instant};

use ridewire_engine::event::{DeviceChain, DeviceId, EventId, EventKind};
use ridewire_engine::sync::leaderboard::{Board, Period, week_of, week_start_ms};
use ridewire_server::config::Quota;
use ridewire_server::db::Db;
use ridewire_server::leaderboard;
use ridewire_server::params;
use ridewire_server::sync::progress::{Folding, ProgressCache};
use ridewire_server::sync::push::{self, PushOutcome, Writer};
use serde_json::{Value, json};

const DAY_MS: i64 = 86_400_000;
const HOUR_MS: i64 = 3_600_000;
/// Diagnostic runs a rider has pushed before the bench begins.
const HISTORY: u32 = 30;
/// Refreshes timed at most: one run every five hours from Monday stays
/// within the five rewarded runs a day, and within the week.
const MAX_REFRESHES: usize = 32;

/// Sunday 20:00 UTC: the week's board has had a whole week to fill.
fn now_ms() -> i64 {
    week_start_ms(week_of(1_780_000_000_000)) + 6 * DAY_MS + 20 * HOUR_MS
}

/// The `standings` column a board ranks by (the bench's own copy of the
/// mapping, to pick the riders who ask).
fn column(board: Board, period: Period) -> &'static str {
    match (period, board) {
        (Period::All, Board::Xp) => "xp",
        (Period::All, Board::Diagnostics) => "diagnostics",
        (Period::All, Board::Quests) => "quests",
        (Period::Week, Board::Xp) => "week_xp",
        (Period::Week, Board::Diagnostics) => "week_diagnostics",
        (Period::Week, Board::Quests) => "week_quests",
    }
}

/// A small, seeded source of numbers (SplitMix64), so every run draws the
/// same riders.
struct Dice(u64);

impl Dice {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// One rider's row, as the server's fold would have left it.
struct Numbers {
    xp: i64,
    diagnostics: i64,
    quests: i64,
    week: i64,
    week_xp: i64,
    week_diagnostics: i64,
    week_quests: i64,
}

fn draw(dice: &mut Dice, this_week: i64) -> Numbers {
    // Most riders ride a little, a few a lot.
    let keen = dice.unit().powi(3);
    let diagnostics = (keen * 300.0 * (0.5 + dice.unit())) as i64;
    let quests = (keen.sqrt() * 40.0 * (0.5 + dice.unit())) as i64;
    let xp = diagnostics * 10 + quests * 90 + (keen * 200.0 * dice.unit()) as i64;
    // A week holds at most 35 rewarded runs (five a day) and a few quests.
    let week_diagnostics = (keen.sqrt() * 35.0 * dice.unit()) as i64;
    let week_quests = (keen.sqrt() * 4.0 * dice.unit()).round() as i64;
    let week_xp = week_diagnostics * 10 + week_quests * 90 + (keen * 150.0 * dice.unit()) as i64;
    let active = dice.unit() < 0.15 + 0.6 * keen;
    Numbers {
        xp,
        diagnostics,
        quests,
        // A row last refreshed in an earlier week counts nothing this week,
        // whatever its week_* columns still hold.
        week: if active {
            this_week
        } else {
            this_week - 1 - (dice.next() % 30) as i64
        },
        week_xp,
        week_diagnostics,
        week_quests,
    }
}

/// Fills `users` and `standings` with `riders` drawn riders, nine in ten
/// listed, in one transaction.
fn add_riders(db: &Db, riders: usize) {
    let this_week = week_of(now_ms());
    db.write_blocking(move |tx| {
        let mut dice = Dice(0x5eed_0000 + riders as u64);
        let mut user = tx.prepare(
            "INSERT INTO users (email, password_hash, role, created_ms)
             VALUES (?1, 'bench', 'user', ?2) RETURNING id",
        )?;
        let mut standing = tx.prepare(
            "INSERT INTO standings (user_id, display_name, xp, diagnostics, quests, week,
                                    week_xp, week_diagnostics, week_quests, updated_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        )?;
        for n in 0..riders {
            let joined = now_ms() - 700 * DAY_MS + n as i64 * 1_000;
            let id: i64 = user.query_row(params![format!("bench-{n}"), joined], |r| r.get(0))?;
            let s = draw(&mut dice, this_week);
            if dice.unit() < 0.9 {
                standing.execute(params![
                    id,
                    format!("Rider {n}"),
                    s.xp,
                    s.diagnostics,
                    s.quests,
                    s.week,
                    s.week_xp,
                    s.week_diagnostics,
                    s.week_quests,
                    week_start_ms(s.week),
                ])?;
            }
        }
        Ok(())
    })
    .unwrap_or_else(|e| panic!("adding riders: {e}"));
}

/// A rider's phone, making diagnostic runs the way the app does.
struct Phone {
    chain: DeviceChain,
    made: u32,
}

impl Phone {
    fn new(n: u128) -> Self {
        Phone {
            chain: DeviceChain::new(DeviceId(uuid::Uuid::from_u128(n))),
            made: 0,
        }
    }

    /// A diagnostic run at `at_ms`, with the evidence the server re-runs.
    fn run(&mut self, at_ms: i64) -> Value {
        self.made += 1;
        let tag = self.chain.device.0.as_u128();
        let kind = EventKind::DiagnosticRun {
            diagnostic_id: uuid::Uuid::from_u128((tag << 32) + u128::from(self.made)),
            vehicle: None,
            quest: None,
            evidence: Some(Box::new(
                ridewire_engine::demo::offline_run_evidence().unwrap_or_else(|e| panic!("{e}")),
            )),
        };
        let mut random = [tag as u8; 10];
        random[..4].copy_from_slice(&self.made.to_be_bytes());
        let event = self
            .chain
            .append(EventId::v7(at_ms, random), at_ms, 0, kind)
            .unwrap_or_else(|e| panic!("{e}"));
        serde_json::to_value(&event).unwrap_or_else(|e| panic!("{e}"))
    }
}

/// Stores `events` from `phone` for `user` through the server's push, and
/// refreshes the rider's row as the push route does; returns how long the
/// refresh took.
fn push_events(
    db: &Db,
    progress: &Arc<ProgressCache>,
    user: i64,
    phone: &Phone,
    events: Vec<Value>,
) -> Duration {
    let device = phone.chain.device;
    let progress = Arc::clone(progress);
    db.write_blocking(move |tx| {
        let outcome = push::push(
            tx,
            user,
            now_ms(),
            device,
            &events,
            Writer::Device,
            Quota::default(),
        )?;
        match outcome {
            PushOutcome::Acked(answer) if answer.rejected.is_empty() => {}
            other => panic!("the push was not taken whole: {other:?}"),
        }
        let start = Instant::now();
        leaderboard::refresh(tx, &progress, user, now_ms())?;
        Ok(start.elapsed())
    })
    .unwrap_or_else(|e| panic!("push: {e}"))
}

/// Folds the rider's progress into the cache, as a pull does.
async fn pull(db: &Db, progress: &Arc<ProgressCache>, user: i64) {
    let folds = Arc::clone(progress);
    let folding = db
        .read(move |conn| {
            let tx = conn.unchecked_transaction()?;
            folds.summary(&tx, user)
        })
        .await
        .unwrap_or_else(|e| panic!("pull: {e}"));
    if let Folding::Refold(refold) = folding {
        progress
            .finish(refold)
            .unwrap_or_else(|e| panic!("fold: {e}"));
    }
}

/// A new account with `HISTORY` diagnostic runs from a phone, over the
/// three weeks before this one, folded as after a pull.
async fn rider_with_history(db: &Db, progress: &Arc<ProgressCache>, n: u128) -> (i64, Phone) {
    let user = db
        .write_blocking(move |tx| {
            Ok(tx.query_row(
                "INSERT INTO users (email, password_hash, role, created_ms)
                 VALUES (?1, 'bench', 'user', ?2) RETURNING id",
                params![format!("asker-{n}"), now_ms() - 30 * DAY_MS],
                |r| r.get::<_, i64>(0),
            )?)
        })
        .unwrap_or_else(|e| panic!("account: {e}"));
    let mut phone = Phone::new(n);
    let first = week_start_ms(week_of(now_ms())) - 21 * DAY_MS;
    let history = (0..HISTORY)
        .map(|k| phone.run(first + i64::from(k) * 7 * HOUR_MS))
        .collect();
    push_events(db, progress, user, &phone, history);
    pull(db, progress, user).await;
    (user, phone)
}

/// A database of `riders` riders, and the two riders with a history.
struct Field {
    db: Db,
    progress: Arc<ProgressCache>,
    riders: usize,
    /// Listed (through `set_name`); pushes during the refresh figure.
    listed: (i64, Phone),
    /// Never chose a name.
    unlisted: i64,
    _dir: tempfile::TempDir,
}

async fn field(riders: usize) -> Field {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let db = Db::open(&dir.path().join("leaderboard.db")).unwrap_or_else(|e| panic!("{e}"));
    let start = Instant::now();
    add_riders(&db, riders);
    let progress = Arc::new(ProgressCache::default());
    let listed = rider_with_history(&db, &progress, 1).await;
    let unlisted = rider_with_history(&db, &progress, 2).await.0;
    let (user, folds) = (listed.0, Arc::clone(&progress));
    db.write_blocking(move |tx| {
        leaderboard::set_name(tx, &folds, user, Some("Bench Rider"), now_ms())
    })
    .unwrap_or_else(|e| panic!("set_name: {e}"));
    eprintln!(
        "{riders} riders ready in {:.1} s",
        start.elapsed().as_secs_f64()
    );
    Field {
        db,
        progress,
        riders,
        listed,
        unlisted,
        _dir: dir,
    }
}

/// The listed rider who stands where `asker` says on the board.
async fn rider_at(db: &Db, board: Board, period: Period, asker: Asker) -> i64 {
    let col = column(board, period);
    let filter = match period {
        Period::Week => format!("AND week = {} AND {col} > 0", week_of(now_ms())),
        Period::All => String::new(),
    };
    db.read(move |conn| {
        let listed: i64 = conn.query_row(
            &format!("SELECT count(*) FROM standings WHERE display_name IS NOT NULL {filter}"),
            [],
            |r| r.get(0),
        )?;
        let offset = match asker {
            Asker::Top => 9.min(listed - 1),
            Asker::Middle => listed / 2,
            Asker::Bottom | Asker::NotListed => listed - 1,
        };
        Ok(conn.query_row(
            &format!(
                "SELECT user_id FROM standings WHERE display_name IS NOT NULL {filter}
                 ORDER BY {col} DESC, user_id LIMIT 1 OFFSET ?1"
            ),
            [offset],
            |r| r.get(0),
        )?)
    })
    .await
    .unwrap_or_else(|e| panic!("picking a rider: {e}"))
}

/// Who asks for a page.
#[derive(Clone, Copy)]
enum Asker {
    /// The rider at rank ~10.
    Top,
    Middle,
    /// The last rider listed on the board.
    Bottom,
    /// A rider who never chose a name.
    NotListed,
}

impl Asker {
    const ALL: [Asker; 4] = [Asker::Top, Asker::Middle, Asker::Bottom, Asker::NotListed];

    fn as_str(self) -> &'static str {
        match self {
            Asker::Top => "top",
            Asker::Middle => "middle",
            Asker::Bottom => "bottom",
            Asker::NotListed => "not_listed",
        }
    }
}

/// `runs` timed pages of `board` over `period` asked by `user`, each in its
/// own read transaction; the samples (ms), the rank the asker saw and how
/// many are listed.
async fn time_pages(
    field: &Field,
    user: i64,
    board: Board,
    period: Period,
    runs: usize,
) -> (Vec<f64>, Option<u64>, u64) {
    let progress = Arc::clone(&field.progress);
    field
        .db
        .read(move |conn| {
            let mut samples = Vec::with_capacity(runs);
            let mut last = None;
            for run in 0..(runs + runs / 10 + 2) {
                let tx = conn.unchecked_transaction()?;
                let start = Instant::now();
                let page = leaderboard::page(&tx, &progress, user, board, period, now_ms())?;
                let took = start.elapsed().as_secs_f64() * 1e3;
                drop(tx);
                // The first tenth warms the caches.
                if run >= runs / 10 + 2 {
                    samples.push(took);
                }
                last = Some(std::hint::black_box(page));
            }
            let page = last.unwrap_or_else(|| panic!("no page"));
            Ok((samples, page.me.rank, page.listed))
        })
        .await
        .unwrap_or_else(|e| panic!("page: {e}"))
}

/// The median of `samples`.
fn median(samples: &[f64]) -> f64 {
    let mut sorted = samples.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted[sorted.len() / 2]
}

/// Percentiles of `samples` (ms) with the line's other fields, as a JSON
/// line.
fn report(figure: &str, samples: &[f64], fields: Value) {
    let mut sorted = samples.to_vec();
    sorted.sort_by(f64::total_cmp);
    let at = |q: f64| {
        let i = ((sorted.len() as f64 - 1.0) * q).round() as usize;
        (sorted[i] * 1000.0).round() / 1000.0
    };
    let mut line = json!({
        "bench": "leaderboard",
        "figure": figure,
        "runs": sorted.len(),
        "unit": "ms",
    });
    if let (Some(line), Some(fields)) = (line.as_object_mut(), fields.as_object()) {
        line.extend(fields.clone());
    }
    if let Some(line) = line.as_object_mut() {
        for (name, q) in [("min", 0.0), ("p50", 0.5), ("p95", 0.95), ("max", 1.0)] {
            line.insert(name.into(), json!(at(q)));
        }
    }
    println!("{line}");
}

/// Every figure for one field; `baseline` holds the 1,000-rider medians in
/// the same order, to compare with.
async fn figures(field: &mut Field, runs: usize, baseline: Option<&[f64]>) -> Vec<f64> {
    let cases = [
        (Board::Xp, Period::All),
        (Board::Xp, Period::Week),
        (Board::Quests, Period::Week),
    ];
    let mut medians = Vec::new();
    for (board, period) in cases {
        for asker in Asker::ALL {
            let user = match asker {
                Asker::NotListed => field.unlisted,
                listed => rider_at(&field.db, board, period, listed).await,
            };
            let (samples, rank, listed) = time_pages(field, user, board, period, runs).await;
            let p50 = median(&samples);
            let mut fields = json!({
                "riders": field.riders,
                "board": board.as_str(),
                "period": period.as_str(),
                "asker": asker.as_str(),
                "rank": rank,
                "listed": listed,
            });
            if let Some(base) = baseline.and_then(|b| b.get(medians.len())) {
                fields["p50_vs_1k"] = json!((p50 / base * 10.0).round() / 10.0);
            }
            report("page_ms", &samples, fields);
            medians.push(p50);
        }
    }

    let (user, phone) = &mut field.listed;
    let user = *user;
    let xp_before = xp_of(&field.db, user).await;
    let monday = week_start_ms(week_of(now_ms()));
    let mut samples = Vec::new();
    for round in 0..runs.min(MAX_REFRESHES) {
        let event = phone.run(monday + HOUR_MS + round as i64 * 5 * HOUR_MS);
        let took = push_events(&field.db, &field.progress, user, phone, vec![event]);
        samples.push(took.as_secs_f64() * 1e3);
        pull(&field.db, &field.progress, user).await;
    }
    let xp_after = xp_of(&field.db, user).await;
    assert_eq!(
        xp_after - xp_before,
        10 * samples.len() as i64,
        "every refreshed run earned 10 XP on the board"
    );
    let p50 = median(&samples);
    let mut fields = json!({"riders": field.riders, "events_before": HISTORY});
    if let Some(base) = baseline.and_then(|b| b.get(medians.len())) {
        fields["p50_vs_1k"] = json!((p50 / base * 10.0).round() / 10.0);
    }
    report("refresh_ms", &samples, fields);
    medians.push(p50);
    medians
}

async fn xp_of(db: &Db, user: i64) -> i64 {
    db.read(move |conn| {
        Ok(
            conn.query_row("SELECT xp FROM standings WHERE user_id = ?1", [user], |r| {
                r.get(0)
            })?,
        )
    })
    .await
    .unwrap_or_else(|e| panic!("xp: {e}"))
}

#[tokio::main]
async fn main() {
    let runs: usize = std::env::var("RIDEWIRE_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200)
        .max(1);
    let mut small = field(1_000).await;
    let baseline = figures(&mut small, runs, None).await;
    drop(small);
    let mut large = field(100_000).await;
    figures(&mut large, runs, Some(&baseline)).await;
}
