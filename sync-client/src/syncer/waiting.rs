//! Between rounds: the syncer waits for a command, its next round, or
//! news from the server (a long-poll pull), whichever comes first.

use std::collections::VecDeque;

use ridewire_engine::sync::Cursor;
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::{Command, DiagnoseJob, RoundReport};
use crate::Transport;
use crate::asks::Ask;

/// What the loop does after looking at its commands.
pub(super) enum Next {
    Round,
    Diagnose(Box<DiagnoseJob>),
    Ask(Ask),
    Stop,
}

/// Waits until `due` or a command; several queued "sync now" count once
/// (those waiting for a report join `waiting`). A command already waiting
/// goes first (a diagnosis asked right after the start runs with the first
/// round instead of after it).
pub(super) async fn wait(
    receiver: &mut mpsc::UnboundedReceiver<Command>,
    due: Instant,
    waiting: &mut Vec<std::sync::mpsc::Sender<RoundReport>>,
    asks: &mut VecDeque<Ask>,
    news: impl Future<Output = ()>,
) -> Next {
    tokio::select! {
        biased;
        command = receiver.recv() => match command {
            Some(first @ (Command::SyncNow | Command::Round(_))) => {
                if let Command::Round(reply) = first {
                    waiting.push(reply);
                }
                while let Ok(command) = receiver.try_recv() {
                    match command {
                        Command::SyncNow => {}
                        Command::Round(reply) => waiting.push(reply),
                        // A diagnosis runs a round of its own.
                        Command::Diagnose(job) => return Next::Diagnose(job),
                        // Answered after the round.
                        Command::Ask(ask) => asks.push_back(ask),
                        Command::Stop => return Next::Stop,
                    }
                }
                Next::Round
            }
            Some(Command::Diagnose(job)) => Next::Diagnose(job),
            Some(Command::Ask(ask)) => Next::Ask(ask),
            Some(Command::Stop) | None => Next::Stop,
        },
        () = tokio::time::sleep_until(due) => Next::Round,
        // The server has something for this device: a round now.
        () = news => Next::Round,
    }
}

/// Resolves when the server has news after `cursor` (another device's
/// event, a workshop's answer): a long-poll pull, asked again while
/// nothing comes. Never resolves without a cursor or a connection (the
/// round's interval and backoff then decide).
pub(super) async fn news<T: Transport>(transport: &T, cursor: Option<Cursor>) {
    let Some(cursor) = cursor else {
        return std::future::pending().await;
    };
    loop {
        match transport.news_after(&cursor, crate::LISTEN_WAIT).await {
            Ok(true) => return,
            Ok(false) => {}
            Err(_) => return std::future::pending().await,
        }
    }
}
