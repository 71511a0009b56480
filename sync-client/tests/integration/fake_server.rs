//! An in-memory stand-in for the server's sync rules, so the store and the
//! sync client are tested without HTTP. It follows the protocol as the
//! engine documents it: events kept once per device and sequence, chains
//! checked, gaps answered with the expected sequence, refused events counted
//! as held, progress folded with the engine; diagnostic runs its agents
//! answered, recorded as events of its own device, with the rider's notes
//! (the later-written note wins). The real server is tested against the
//! real client in the server crate.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use ridewire_engine::diagnostics::gate::GatedDiagnosis;
use ridewire_engine::diagnostics::request::DiagnosticRequest;
use ridewire_engine::event::{DeviceChain, DeviceId, Event, EventId, EventKind, Hash};
use ridewire_engine::progress::Progress;
use ridewire_engine::quest::Catalog;
use ridewire_engine::sync::record::{self, Edit, Outcome, Record, RecordKind};
use ridewire_engine::sync::{
    Change, Cursor, Gap, ProgressSummary, PullResponse, PushRequest, PushResponse, RejectReason,
    Rejected,
};
use ridewire_sync_client::{
    EditAnswer, HeldFeedback, HistoryPage, Pushed, RemotePanel, RemoteRun, RunLine, Transport,
};
use ridewire_sync_client::{Error, Result};
use uuid::Uuid;

#[derive(Default)]
struct State {
    epoch: String,
    log: Vec<Change>,
    held: HashMap<DeviceId, (u64, Hash)>,
    ids: HashSet<EventId>,
    events: Vec<Event>,
    records: BTreeMap<(RecordKind, String), Record>,
    /// The device the server records its agents' runs on.
    server_device: Option<DeviceChain>,
    /// Runs its agents answered, oldest first.
    runs: Vec<RemoteRun>,
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
    /// Answers `404 no_such_endpoint` to anything about diagnoses, as a
    /// server from before they were shared.
    pub no_diagnoses: AtomicBool,
    /// Requests about diagnoses to fail before they reach the server.
    pub fail_diagnosis_requests: AtomicUsize,
    /// Requests about diagnoses seen: history pages, runs, notes.
    pub history_requests: AtomicUsize,
    pub run_requests: AtomicUsize,
    pub feedback_requests: AtomicUsize,
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
            no_diagnoses: AtomicBool::new(false),
            fail_diagnosis_requests: AtomicUsize::new(0),
            history_requests: AtomicUsize::new(0),
            run_requests: AtomicUsize::new(0),
            feedback_requests: AtomicUsize::new(0),
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

    /// The server's agents answer a run at `at_ms` (as `POST
    /// /api/v1/diagnostics` does for any of the rider's devices): stored
    /// whole, and recorded as a `DiagnosticRun` event on the server's own
    /// device, which the rider's devices pull.
    pub fn answer_run(
        &self,
        request: &DiagnosticRequest,
        result: &GatedDiagnosis,
        at_ms: i64,
    ) -> RemoteRun {
        let mut s = self.state.lock().unwrap();
        let n = s.runs.len() as u128 + 1;
        let id = Uuid::from_u128(0xD1A6_0000 + n);
        let mut chain = s
            .server_device
            .clone()
            .unwrap_or_else(|| DeviceChain::new(DeviceId(Uuid::from_u128(0x5E47E7))));
        let mut random = [0x5E; 10];
        random[..8].copy_from_slice(&(n as u64).to_be_bytes());
        let event = chain
            .append(
                EventId::v7(at_ms, random),
                at_ms,
                0,
                EventKind::DiagnosticRun {
                    diagnostic_id: id,
                    vehicle: None,
                    quest: None,
                    evidence: None,
                },
            )
            .unwrap();
        let before = Progress::from_events(&self.catalog, &s.events);
        s.server_device = Some(chain);
        s.held.insert(event.device, (event.seq, event.hash));
        s.ids.insert(event.id);
        s.events.push(event.clone());
        s.log.push(Change::Event {
            event: event.clone(),
        });
        let after = Progress::from_events(&self.catalog, &s.events);
        let run = RemoteRun {
            id,
            event_id: event.id.0,
            created_ms: at_ms,
            request: request.clone(),
            panel: RemotePanel {
                diagnosis: result.clone(),
                calls: Vec::new(),
            },
            xp_earned: after.xp() - before.xp(),
            achievements: after
                .achievements()
                .iter()
                .filter(|a| a.event == event.id)
                .map(|a| a.id.clone())
                .collect(),
            feedback: None,
            feedback_ms: None,
        };
        s.runs.push(run.clone());
        run
    }

    /// A run as the server holds it now.
    pub fn run(&self, id: Uuid) -> Option<RemoteRun> {
        let s = self.state.lock().unwrap();
        s.runs.iter().find(|r| r.id == id).cloned()
    }

    /// Forgets a run's record (its event stays), as a restored server may.
    pub fn forget_run(&self, id: Uuid) {
        self.state.lock().unwrap().runs.retain(|r| r.id != id);
    }

    /// Requests about diagnoses have their own faults and counters, so the
    /// push and pull tests see the same requests as before.
    fn diagnoses_reachable(&self) -> Result<()> {
        if take(&self.fail_diagnosis_requests) {
            return Err(Error::Network("connection refused (injected)".into()));
        }
        if self.no_diagnoses.load(Ordering::SeqCst) {
            return Err(Error::Refused {
                status: 404,
                code: "no_such_endpoint".into(),
                message: "no such endpoint".into(),
            });
        }
        Ok(())
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

    async fn diagnosis_history(&self, before: Option<Uuid>, limit: usize) -> Result<HistoryPage> {
        self.history_requests.fetch_add(1, Ordering::SeqCst);
        self.diagnoses_reachable()?;
        let s = self.state.lock().unwrap();
        let newest_first: Vec<&RemoteRun> = s.runs.iter().rev().collect();
        let start = match before {
            None => 0,
            Some(id) => match newest_first.iter().position(|r| r.id == id) {
                Some(at) => at + 1,
                None => {
                    return Err(Error::Refused {
                        status: 400,
                        code: "invalid_cursor".into(),
                        message: "no such run".into(),
                    });
                }
            },
        };
        let page: Vec<RunLine> = newest_first
            .iter()
            .skip(start)
            .take(limit)
            .map(|r| RunLine {
                id: r.id,
                created_ms: r.created_ms,
                request: r.request.clone(),
                decision: serde_json::to_value(r.panel.diagnosis.decision)
                    .ok()
                    .and_then(|d| d.as_str().map(str::to_owned))
                    .unwrap_or_default(),
                diagnosis: r
                    .panel
                    .diagnosis
                    .consensus
                    .as_ref()
                    .map(|c| c.diagnosis.clone()),
                highlighted_components: r.panel.diagnosis.highlighted_components.clone(),
                xp_earned: r.xp_earned,
                event_id: r.event_id,
                feedback: r.feedback.clone(),
                feedback_ms: r.feedback_ms,
            })
            .collect();
        let more = start + page.len() < newest_first.len();
        let answer = HistoryPage {
            next_before: page.last().filter(|_| more).map(|r| r.id),
            runs: page,
        };
        drop(s);
        Ok(answer)
    }

    async fn diagnosis(&self, id: Uuid) -> Result<RemoteRun> {
        self.run_requests.fetch_add(1, Ordering::SeqCst);
        self.diagnoses_reachable()?;
        let answer = self.run(id).ok_or_else(|| Error::Refused {
            status: 404,
            code: "not_found".into(),
            message: "no such diagnostic run".into(),
        })?;
        Ok(answer)
    }

    async fn send_feedback(&self, id: Uuid, feedback: &str, at_ms: i64) -> Result<HeldFeedback> {
        self.feedback_requests.fetch_add(1, Ordering::SeqCst);
        self.diagnoses_reachable()?;
        let mut s = self.state.lock().unwrap();
        let Some(run) = s.runs.iter_mut().find(|r| r.id == id) else {
            return Err(Error::Refused {
                status: 404,
                code: "not_found".into(),
                message: "no such diagnostic run".into(),
            });
        };
        if run.feedback_ms.is_none_or(|held| held <= at_ms) {
            run.feedback = Some(feedback.to_owned());
            run.feedback_ms = Some(at_ms);
        }
        let answer = HeldFeedback {
            id,
            feedback: run.feedback.clone().unwrap_or_default(),
            feedback_ms: run.feedback_ms.unwrap_or(at_ms),
        };
        drop(s);
        Ok(answer)
    }
}
