//! Questions the syncer answers between its rounds, with its session: a
//! leaderboard, the rider's display name. Each holds the sync thread at
//! most [`ASK_TIMEOUT`].

use std::time::Duration;

use ridewire_engine::sync::leaderboard::{Board, DisplayName, LeaderboardPage, Period};

use crate::{Error, Result, Transport};

/// A question for the server that needs no round; answered between
/// rounds, with the syncer's session.
pub(crate) enum Ask {
    Leaderboard {
        board: Board,
        period: Period,
        reply: std::sync::mpsc::Sender<Result<LeaderboardPage>>,
    },
    DisplayName {
        name: Option<String>,
        reply: std::sync::mpsc::Sender<Result<DisplayName>>,
    },
}

/// How long a question may hold the sync thread: rounds and stopping wait
/// behind it, so an unreachable server answers "no connection" soon.
const ASK_TIMEOUT: Duration = Duration::from_secs(10);

/// The answer of a question that took longer than [`ASK_TIMEOUT`].
fn too_slow() -> Error {
    Error::Network(format!("no answer within {} s", ASK_TIMEOUT.as_secs()))
}

impl Ask {
    /// Asks the server and hands the answer over (to no one when the asker
    /// went away), giving up after [`ASK_TIMEOUT`].
    pub(crate) async fn answer<T: Transport>(self, transport: &T) {
        match self {
            Ask::Leaderboard {
                board,
                period,
                reply,
            } => {
                let asked = tokio::time::timeout(ASK_TIMEOUT, transport.leaderboard(board, period));
                let _ = reply.send(asked.await.unwrap_or_else(|_| Err(too_slow())));
            }
            Ask::DisplayName { name, reply } => {
                let asked =
                    tokio::time::timeout(ASK_TIMEOUT, transport.set_display_name(name.as_deref()));
                let _ = reply.send(asked.await.unwrap_or_else(|_| Err(too_slow())));
            }
        }
    }
}
