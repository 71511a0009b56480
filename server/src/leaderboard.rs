//! Leaderboards as the server keeps them: one `standings` row per listed
//! rider (migration 006), holding the numbers of the engine's
//! [`Standing`] of the server's own fold of their accepted events. Every
//! writer that stores events for a user calls [`refresh`] in the same
//! transaction (the push route, a diagnosis the agents answered, a
//! validation), so a board never trails what was stored and never takes a
//! device's word for a number. Riders who did not choose a display name
//! have no row: they cost nothing here and appear nowhere.
//!
//! A page is the top of one partial index (listed riders only) and a rank
//! is a count over the index above the rider: `cargo xtask bench
//! leaderboard` times both with 100,000 riders.

use crate::store::{Connection, OptionalExtension, params};
use ridewire_engine::sync::leaderboard::{
    Board, Entry, LeaderboardPage, Me, Period, Standing, TOP, name_key, week_of, week_start_ms,
};

use crate::error::{AppError, Result};
use crate::sync::progress::ProgressCache;

/// The column `board` ranks over `period`.
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

fn to_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn to_u64(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

fn store(tx: &Connection, user: i64, s: &Standing, now_ms: i64) -> Result<()> {
    tx.prepare_cached(
        "UPDATE standings SET xp = ?2, diagnostics = ?3, quests = ?4, week = ?5, week_xp = ?6,
                              week_diagnostics = ?7, week_quests = ?8, updated_ms = ?9
         WHERE user_id = ?1",
    )?
    .execute(params![
        user,
        to_i64(s.xp),
        to_i64(s.diagnostics),
        to_i64(s.quests),
        s.week,
        to_i64(s.week_xp),
        to_i64(s.week_diagnostics),
        to_i64(s.week_quests),
        now_ms,
    ])?;
    Ok(())
}

/// Brings a listed rider's row up to what `tx` holds of their events (a
/// no-op for riders who are not listed). Call it in the transaction that
/// stored the events.
pub fn refresh(tx: &Connection, progress: &ProgressCache, user: i64, now_ms: i64) -> Result<()> {
    let listed: Option<i64> = tx
        .prepare_cached("SELECT 1 FROM standings WHERE user_id = ?1")?
        .query_row([user], |r| r.get(0))
        .optional()?;
    if listed.is_none() {
        return Ok(());
    }
    let fold = progress.snapshot(tx, user)?;
    store(tx, user, &Standing::of(&fold, now_ms), now_ms)
}

/// Lists the rider under `name` (already checked with
/// `check_display_name`), or takes them off every board with `None`. A
/// name whose [`name_key`] another rider's name has (the same letters in
/// another case or width) is refused with `409 display_name_taken`.
pub fn set_name(
    tx: &Connection,
    progress: &ProgressCache,
    user: i64,
    name: Option<&str>,
    now_ms: i64,
) -> Result<()> {
    let Some(name) = name else {
        tx.execute("DELETE FROM standings WHERE user_id = ?1", [user])?;
        return Ok(());
    };
    let key = name_key(name);
    // Names listed before keys existed and sharing one keep no key; the
    // column's own ASCII-case rule still covers them.
    let taken: bool = tx.query_row(
        "SELECT EXISTS (SELECT 1 FROM standings
             WHERE (name_key = ?1 OR display_name = ?2) AND user_id != ?3)",
        params![key, name, user],
        |r| r.get(0),
    )?;
    if taken {
        return Err(AppError::conflict(
            "display_name_taken",
            "another rider goes by this name on the leaderboards; choose another",
        ));
    }
    tx.execute(
        "INSERT INTO standings (user_id, display_name, name_key) VALUES (?1, ?2, ?3)
         ON CONFLICT (user_id) DO UPDATE SET display_name = excluded.display_name,
             name_key = excluded.name_key",
        params![user, name, key],
    )?;
    let fold = progress.snapshot(tx, user)?;
    store(tx, user, &Standing::of(&fold, now_ms), now_ms)
}

/// Gives the names listed before `name_key` existed their key (migration
/// 008; SQLite only, as PostgreSQL databases start newer), oldest rider
/// first; a name whose key an earlier one holds stays
/// listed without one. Cheap once done: only names without a key are read.
pub fn key_names(conn: &mut rusqlite::Connection) -> Result<()> {
    let tx = conn.transaction()?;
    let unkeyed: Vec<(i64, String)> = tx
        .prepare(
            "SELECT user_id, display_name FROM standings
             WHERE display_name IS NOT NULL AND name_key IS NULL ORDER BY user_id",
        )?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    for (user, name) in unkeyed {
        tx.execute(
            "UPDATE OR IGNORE standings SET name_key = ?2 WHERE user_id = ?1",
            rusqlite::params![user, name_key(&name)],
        )?;
    }
    tx.commit()?;
    Ok(())
}

/// The name the rider is listed under, if any.
pub fn name_of(conn: &Connection, user: i64) -> Result<Option<String>> {
    Ok(conn
        .prepare_cached("SELECT display_name FROM standings WHERE user_id = ?1")?
        .query_row([user], |r| r.get(0))
        .optional()?
        .flatten())
}

/// One board as `user` sees it at `now_ms`: the top [`TOP`] listed riders
/// (equal values share a rank; among them the older account first), how
/// many are listed, and where `user` stands. On the week's board only
/// riders who earned something this week are listed. Run it in one read
/// transaction.
pub fn page(
    conn: &Connection,
    progress: &ProgressCache,
    user: i64,
    board: Board,
    period: Period,
    now_ms: i64,
) -> Result<LeaderboardPage> {
    let week = week_of(now_ms);
    let col = column(board, period);
    let (this_week, same_week) = if period == Period::Week {
        (
            format!("AND week = {week} AND {col} > 0"),
            format!("AND week = {week}"),
        )
    } else {
        (String::new(), String::new())
    };
    let mut top: Vec<Entry> = Vec::with_capacity(TOP);
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT display_name, {col} FROM standings
         WHERE display_name IS NOT NULL {this_week}
         ORDER BY {col} DESC, user_id LIMIT {TOP}"
    ))?;
    let mut rows = stmt.query([])?;
    while let Some(row) = rows.next()? {
        let value = to_u64(row.get(1)?);
        let rank = match top.last() {
            Some(last) if last.value == value => last.rank,
            _ => top.len() as u64 + 1,
        };
        top.push(Entry {
            rank,
            display_name: row.get(0)?,
            value,
        });
    }
    let listed: i64 = conn
        .prepare_cached(&format!(
            "SELECT count(*) FROM standings WHERE display_name IS NOT NULL {this_week}"
        ))?
        .query_row([], |r| r.get(0))?;
    let mine: Option<(Option<String>, i64, i64)> = conn
        .prepare_cached(&format!(
            "SELECT display_name, {col}, week FROM standings WHERE user_id = ?1"
        ))?
        .query_row([user], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?;
    let me = match mine {
        Some((Some(name), value, row_week)) => {
            let value = if period == Period::Week && row_week != week {
                0
            } else {
                to_u64(value)
            };
            // `> ?1` alone bounds the index scan: a `> 0` beside it would
            // make SQLite walk the whole week's list for every rank.
            let above: i64 = conn
                .prepare_cached(&format!(
                    "SELECT count(*) FROM standings
                     WHERE display_name IS NOT NULL {same_week} AND {col} > ?1"
                ))?
                .query_row([to_i64(value)], |r| r.get(0))?;
            Me {
                display_name: Some(name),
                value,
                // Nothing this week: not on the week's board (it lists
                // only riders who earned something in it).
                rank: (period == Period::All || value > 0).then(|| to_u64(above) + 1),
            }
        }
        // Not listed: their own numbers all the same, from the fold.
        _ => {
            let fold = progress.snapshot(conn, user)?;
            Me {
                display_name: None,
                value: Standing::of(&fold, now_ms).value(board, period, week),
                rank: None,
            }
        }
    };
    Ok(LeaderboardPage {
        board,
        period,
        week_start_ms: (period == Period::Week).then(|| week_start_ms(week)),
        generated_ms: now_ms,
        listed: to_u64(listed),
        top,
        me,
    })
}
