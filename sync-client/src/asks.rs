//! Questions the syncer answers between its rounds, with its session: a
//! leaderboard, the rider's display name, another rider's completion and
//! vouching for it, workshops. Each holds the sync thread at most [`ASK_TIMEOUT`].

use std::sync::mpsc::Sender;
use std::time::Duration;

use ridewire_engine::sync::leaderboard::{Board, DisplayName, LeaderboardPage, Period};
use ridewire_engine::sync::workshops::{WorkshopAnswer, WorkshopCall};
use uuid::Uuid;

use crate::{CompletionProof, Error, Result, Transport, Vouched};

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
    Workshop {
        call: WorkshopCall,
        reply: Sender<Result<WorkshopAnswer>>,
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
            Ask::Workshop { call, reply } => {
                reply_with(reply, transport.workshop(&call)).await;
            }
        }
    }
}
