//! Questions the syncer answers between its rounds, with its session: a
//! leaderboard, the rider's display name, another rider's completion and
//! vouching for it. Each holds the sync thread at most [`ASK_TIMEOUT`].

use std::sync::mpsc::{Receiver, Sender, channel};
use std::time::Duration;

use ridewire_engine::sync::leaderboard::{Board, DisplayName, LeaderboardPage, Period};
use uuid::Uuid;

use crate::syncer::{Command, stopped};
use crate::{CompletionProof, Error, Result, SyncHandle, Syncer, Transport, Vouched};

/// A question for the server that needs no round; answered between
/// rounds, with the syncer's session.
pub(crate) enum Ask {
    Leaderboard {
        board: Board,
        period: Period,
        reply: Sender<Result<LeaderboardPage>>,
    },
    DisplayName {
        name: Option<String>,
        reply: Sender<Result<DisplayName>>,
    },
    CompletionProof {
        completion: Uuid,
        reply: Sender<Result<CompletionProof>>,
    },
    Vouch {
        completion: Uuid,
        reply: Sender<Result<Vouched>>,
    },
}

/// How long a question may hold the sync thread: rounds and stopping wait
/// behind it, so an unreachable server answers "no connection" soon.
const ASK_TIMEOUT: Duration = Duration::from_secs(10);

/// Sends `answer`'s outcome to `reply` (to no one when the asker went
/// away), giving up after [`ASK_TIMEOUT`].
async fn reply_with<T>(reply: Sender<Result<T>>, answer: impl Future<Output = Result<T>>) {
    let answered = tokio::time::timeout(ASK_TIMEOUT, answer)
        .await
        .unwrap_or_else(|_| {
            Err(Error::Network(format!(
                "no answer within {} s",
                ASK_TIMEOUT.as_secs()
            )))
        });
    let _ = reply.send(answered);
}

impl Ask {
    /// Asks the server and hands the answer over.
    pub(crate) async fn answer<T: Transport>(self, transport: &T) {
        match self {
            Ask::Leaderboard {
                board,
                period,
                reply,
            } => reply_with(reply, transport.leaderboard(board, period)).await,
            Ask::DisplayName { name, reply } => {
                reply_with(reply, transport.set_display_name(name.as_deref())).await;
            }
            Ask::CompletionProof { completion, reply } => {
                reply_with(reply, transport.completion_proof(completion)).await;
            }
            Ask::Vouch { completion, reply } => {
                reply_with(reply, transport.vouch(completion)).await;
            }
        }
    }
}

impl SyncHandle {
    /// Puts `ask` (made with its reply channel) to the sync thread.
    fn ask<T>(&self, ask: impl FnOnce(Sender<Result<T>>) -> Ask) -> Result<Receiver<Result<T>>> {
        let (reply, answer) = channel();
        self.commands
            .send(Command::Ask(ask(reply)))
            .map_err(|_| stopped())?;
        Ok(answer)
    }

    /// Asks the server for one leaderboard, between rounds (a round
    /// running is waited for). The answer arrives on the returned channel.
    pub fn leaderboard(
        &self,
        board: Board,
        period: Period,
    ) -> Result<Receiver<Result<LeaderboardPage>>> {
        self.ask(|reply| Ask::Leaderboard {
            board,
            period,
            reply,
        })
    }

    /// Lists the rider on the boards under `name` (`None`: off every
    /// board), between rounds. The answer arrives on the returned channel.
    pub fn set_display_name(&self, name: Option<String>) -> Result<Receiver<Result<DisplayName>>> {
        self.ask(|reply| Ask::DisplayName { name, reply })
    }

    /// What another rider's completion `completion` shows (its quest and
    /// photo), between rounds.
    pub fn completion_proof(&self, completion: Uuid) -> Result<Receiver<Result<CompletionProof>>> {
        self.ask(|reply| Ask::CompletionProof { completion, reply })
    }

    /// Vouches for another rider's completion `completion`, between rounds.
    pub fn vouch(&self, completion: Uuid) -> Result<Receiver<Result<Vouched>>> {
        self.ask(|reply| Ask::Vouch { completion, reply })
    }
}

impl Syncer {
    /// One leaderboard from the server ([`SyncHandle::leaderboard`]).
    pub fn leaderboard(
        &self,
        board: Board,
        period: Period,
    ) -> Result<Receiver<Result<LeaderboardPage>>> {
        self.handle.leaderboard(board, period)
    }

    /// Joins or leaves the boards ([`SyncHandle::set_display_name`]).
    pub fn set_display_name(&self, name: Option<String>) -> Result<Receiver<Result<DisplayName>>> {
        self.handle.set_display_name(name)
    }
}
