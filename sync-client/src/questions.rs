//! The questions a [`SyncHandle`] (and a [`Syncer`]) puts to the sync
//! thread, answered between rounds ([`crate::asks`]): a leaderboard, the
//! rider's display name, another rider's completion, vouching for it.

use std::sync::mpsc::{Receiver, Sender, channel};

use ridewire_engine::sync::leaderboard::{Board, DisplayName, LeaderboardPage, Period};
use ridewire_engine::sync::workshops::{WorkshopAnswer, WorkshopCall};
use uuid::Uuid;

use crate::asks::Ask;
use crate::syncer::{Command, stopped};
use crate::{CompletionProof, Result, SyncHandle, Syncer, Vouched};

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

    /// Asks the server about workshops, between rounds.
    pub fn workshop(&self, call: WorkshopCall) -> Result<Receiver<Result<WorkshopAnswer>>> {
        self.ask(|reply| Ask::Workshop { call, reply })
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
