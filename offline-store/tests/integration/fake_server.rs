//! An in-memory stand-in for the server's sync rules, so the store and the
//! sync client are tested without HTTP. It follows the protocol as the
//! engine documents it: events kept once per device and sequence, chains
//! checked, gaps answered with the expected sequence, refused events counted
//! as held, progress folded with the engine. The real server is tested
//! against the real client in the server crate.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use ridewire_engine::event::{DeviceId, Event, EventId, Hash};
use ridewire_engine::progress::Progress;
use ridewire_engine::quest::Catalog;
use ridewire_engine::sync::record::{self, Edit, Outcome, Record, RecordKind};
use ridewire_engine::sync::{
    Change, Cursor, Gap, ProgressSummary, PullResponse, PushRequest, PushResponse, RejectReason,
    Rejected,
};
use ridewire_offline_store::sync::{EditAnswer, Pushed, Transport};
use ridewire_offline_store::{Error, Result};

#[derive(Default)]
struct State {
    epoch: String,
    log: Vec<Change>,
    held: HashMap<DeviceId, (u64, Hash)>,
    ids: HashSet<EventId>,
    events: Vec<Event>,
    records: BTreeMap<(RecordKind, String), Record>,
}

/// The stand-in server.
pub struct FakeServer {
    state: Mutex<State>,
    catalog: Catalog,
    /// Requests to fail before they reach the server.
    pub fail_requests: AtomicUsize,
    /// Requests to carry out and then lose the answer of.
    pub lose_answers: AtomicUsize,
    /// Requests seen (failed ones included).
    pub requests: AtomicUsize,
    /// Sequences refused as forged values, whatever they hold.
    pub refuse: Mutex<HashSet<u64>>,
}

fn take(counter: &AtomicUsize) -> bool {
    counter
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok()
}

impl FakeServer {
    pub fn new(catalog: Catalog) -> Self {
        let server = FakeServer {
            state: Mutex::new(State {
                epoch: "epoch1".into(),
                ..State::default()
            }),
            catalog: catalog.clone(),
            fail_requests: AtomicUsize::new(0),
            lose_answers: AtomicUsize::new(0),
            requests: AtomicUsize::new(0),
            refuse: Mutex::new(HashSet::new()),
        };
        server.state.lock().unwrap().log.push(Change::Catalog {
            body: serde_json::to_value(&catalog).unwrap(),
        });
        server
    }

    /// Adds a change made elsewhere (a plan, an overlay pack).
    pub fn publish(&self, change: Change) {
        self.state.lock().unwrap().log.push(change);
    }

    /// The server's data was restored: a new epoch, and only the first
    /// `keep` changes of the log survive.
    pub fn restore(&self, epoch: &str, keep: usize) {
        let mut s = self.state.lock().unwrap();
        s.epoch = epoch.into();
        s.log.truncate(keep);
        let events: Vec<Event> = s
            .log
            .iter()
            .filter_map(|c| match c {
                Change::Event { event } => Some(event.clone()),
                _ => None,
            })
            .collect();
        s.held.clear();
        s.ids.clear();
        for e in &events {
            s.held.insert(e.device, (e.seq, e.hash));
            s.ids.insert(e.id);
        }
        s.events = events;
    }

    /// Every event the server holds, as stored.
    pub fn events(&self) -> Vec<Event> {
        self.state.lock().unwrap().events.clone()
    }

    pub fn progress(&self) -> ProgressSummary {
        let s = self.state.lock().unwrap();
        let p = Progress::from_events(&self.catalog, &s.events);
        ProgressSummary::of(&p, p.event_count())
    }

    fn before(&self) -> Result<()> {
        self.requests.fetch_add(1, Ordering::SeqCst);
        if take(&self.fail_requests) {
            return Err(Error::Network("connection refused (injected)".into()));
        }
        Ok(())
    }

    fn after<T>(&self, answer: T) -> Result<T> {
        if take(&self.lose_answers) {
            return Err(Error::Network("connection reset (injected)".into()));
        }
        Ok(answer)
    }

    fn push_now(&self, request: &PushRequest) -> Pushed {
        let mut s = self.state.lock().unwrap();
        let (mut acked, mut last) = s
            .held
            .get(&request.device)
            .copied()
            .unwrap_or((0, Hash::ZERO));
        if let Some(first) = request.events.first()
            && first.seq > acked + 1
        {
            return Pushed::Gap(Gap {
                expected_seq: acked + 1,
            });
        }
        let mut rejected = Vec::new();
        let refuse = self.refuse.lock().unwrap().clone();
        for event in &request.events {
            if event.seq <= acked {
                continue;
            }
            let reason = if refuse.contains(&event.seq) {
                Some(RejectReason::ForgedValue)
            } else if event.device != request.device {
                Some(RejectReason::WrongDevice)
            } else if event.compute_hash().ok() != Some(event.hash) {
                Some(RejectReason::HashMismatch)
            } else if event.prev_hash != last {
                Some(RejectReason::BrokenChain)
            } else if s.ids.contains(&event.id) {
                Some(RejectReason::DuplicateId)
            } else {
                None
            };
            acked = event.seq;
            last = event.hash;
            match reason {
                Some(reason) => rejected.push(Rejected {
                    event_id: event.id,
                    seq: event.seq,
                    reason,
                }),
                None => {
                    s.ids.insert(event.id);
                    s.events.push(event.clone());
                    s.log.push(Change::Event {
                        event: event.clone(),
                    });
                }
            }
        }
        s.held.insert(request.device, (acked, last));
        Pushed::Acked(PushResponse {
            device: request.device,
            acked_through: acked,
            rejected,
        })
    }
}

impl Transport for FakeServer {
    async fn push(&self, request: &PushRequest) -> Result<Pushed> {
        self.before()?;
        let answer = self.push_now(request);
        self.after(answer)
    }

    async fn pull(&self, cursor: &Cursor, limit: usize) -> Result<PullResponse> {
        self.before()?;
        let progress = self.progress();
        let s = self.state.lock().unwrap();
        let reset = !cursor.epoch.is_empty() && !cursor.is_from(&s.epoch);
        let start = if reset {
            0
        } else {
            usize::try_from(cursor.position).unwrap()
        };
        let end = (start + limit).min(s.log.len());
        let answer = PullResponse {
            cursor: Cursor {
                epoch: s.epoch.clone(),
                position: end as u64,
            },
            reset,
            changes: s.log[start.min(end)..end].to_vec(),
            more: end < s.log.len(),
            progress,
        };
        drop(s);
        self.after(answer)
    }

    async fn send_edit(&self, edit: &Edit) -> Result<EditAnswer> {
        self.before()?;
        let mut s = self.state.lock().unwrap();
        let key = (edit.kind, edit.key.clone());
        let current = s
            .records
            .get(&key)
            .cloned()
            .unwrap_or_else(|| Record::empty(edit.kind, edit.key.clone()));
        let answer = match record::apply(&current, edit) {
            Ok(Outcome::Applied(next)) => {
                s.records.insert(key, next.clone());
                s.log.push(Change::Record {
                    record: next.clone(),
                });
                EditAnswer::Saved(next)
            }
            Ok(Outcome::Conflict(c)) => EditAnswer::Conflict(c),
            Err(e) => {
                return Err(Error::Refused {
                    status: 422,
                    code: "invalid_edit".into(),
                    message: e.to_string(),
                });
            }
        };
        drop(s);
        self.after(answer)
    }
}
