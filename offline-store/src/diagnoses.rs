//! Diagnostic runs as the rider saw them, stored with the `DiagnosticRun`
//! event that earned their XP, in one transaction, and the rider's notes on
//! them with where each note stands with the server.
//!
//! Runs the server's agents answered are on the server whole, so their
//! notes travel: sent by the sync round, and taken from the server when
//! written on another device (the later-written note wins). A run answered
//! offline on this device reaches the server only as its `DiagnosticRun`
//! event, without its record, so its note stays on this device
//! ([`FeedbackSync::DeviceOnly`]).

use ridewire_engine::diagnostics::evidence::RunEvidence;
use ridewire_engine::diagnostics::gate::GatedDiagnosis;
use ridewire_engine::diagnostics::request::DiagnosticRequest;
use ridewire_engine::event::{EventId, EventKind};
use rusqlite::{OptionalExtension, Row, params};
use uuid::Uuid;

use crate::store::record_in;
use crate::{Error, Recorded, Result, Store};

pub use ridewire_engine::sync::MAX_FEEDBACK_CHARS;

/// One stored diagnostic run.
#[derive(Debug, Clone, PartialEq)]
pub struct DiagnosisRecord {
    pub id: Uuid,
    /// The `DiagnosticRun` event recorded with it.
    pub event: EventId,
    pub at_ms: i64,
    pub request: DiagnosticRequest,
    /// Every agent's answer, the consensus, the decision and the flags.
    pub result: GatedDiagnosis,
    /// XP the run earned.
    pub xp: u64,
    /// Achievements it unlocked.
    pub achievements: Vec<String>,
    /// What the rider said afterwards (did the fix work?).
    pub feedback: Option<Feedback>,
}

/// The rider's note on a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Feedback {
    /// The note as written.
    pub text: String,
    /// When it was written, Unix ms by the clock of the device it was
    /// written on (of two devices' notes the later one is kept).
    pub at_ms: i64,
    /// Whether the server has it.
    pub sync: FeedbackSync,
}

/// Where a note stands with the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeedbackSync {
    /// Written here; the next sync round sends it.
    Unsent,
    /// The server holds it: sent from here, or written on another device.
    Sent,
    /// The server does not know the run (it was answered offline on this
    /// device), so the note stays here.
    DeviceOnly,
    /// The server refused the note for good; it stays here.
    Refused,
}

impl FeedbackSync {
    fn as_str(self) -> &'static str {
        match self {
            FeedbackSync::Unsent => "unsent",
            FeedbackSync::Sent => "sent",
            FeedbackSync::DeviceOnly => "device_only",
            FeedbackSync::Refused => "refused",
        }
    }

    fn parse(text: &str) -> Result<Self> {
        Ok(match text {
            "unsent" => FeedbackSync::Unsent,
            "sent" => FeedbackSync::Sent,
            "device_only" => FeedbackSync::DeviceOnly,
            "refused" => FeedbackSync::Refused,
            other => return Err(Error::Damaged(format!("feedback state {other:?}"))),
        })
    }
}

fn json<T: serde::Serialize>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|e| Error::Invalid(e.to_string()))
}

fn decode<T: serde::de::DeserializeOwned>(what: &str, text: &str) -> Result<T> {
    serde_json::from_str(text).map_err(|e| Error::Damaged(format!("diagnosis {what}: {e}")))
}

const COLUMNS: &str =
    "id, event_id, at_ms, request, result, xp, achievements, feedback, feedback_ms, feedback_sync";

/// A note as stored: text, time, state.
type RawFeedback = (Option<String>, Option<i64>, Option<String>);

type RawRow = (
    String,
    String,
    i64,
    String,
    String,
    i64,
    String,
    RawFeedback,
);

fn raw(r: &Row<'_>) -> rusqlite::Result<RawRow> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
        r.get(6)?,
        (r.get(7)?, r.get(8)?, r.get(9)?),
    ))
}

/// The stored note of a run made at `run_ms`.
fn feedback_from_raw((text, at_ms, sync): RawFeedback, run_ms: i64) -> Result<Option<Feedback>> {
    let Some(text) = text else { return Ok(None) };
    Ok(Some(Feedback {
        text,
        at_ms: at_ms.unwrap_or(run_ms),
        sync: sync
            .as_deref()
            .map_or(Ok(FeedbackSync::Unsent), FeedbackSync::parse)?,
    }))
}

fn from_raw(row: RawRow) -> Result<DiagnosisRecord> {
    let (id, event, at_ms, request, result, xp, achievements, feedback) = row;
    let uuid = |what: &str, s: &str| {
        Uuid::parse_str(s).map_err(|e| Error::Damaged(format!("diagnosis {what} {s:?}: {e}")))
    };
    Ok(DiagnosisRecord {
        id: uuid("id", &id)?,
        event: EventId(uuid("event", &event)?),
        at_ms,
        request: decode("request", &request)?,
        result: decode("result", &result)?,
        xp: u64::try_from(xp).map_err(|_| Error::Damaged(format!("diagnosis xp {xp}")))?,
        achievements: decode("achievements", &achievements)?,
        feedback: feedback_from_raw(feedback, at_ms)?,
    })
}

impl Store {
    /// Records a diagnostic run: its `DiagnosticRun` event (with outbox row
    /// and progress) and the full record commit together or not at all.
    /// Returns the record and the event with the progress after it.
    pub fn record_diagnosis(
        &mut self,
        id: Uuid,
        request: &DiagnosticRequest,
        result: &GatedDiagnosis,
        at_ms: i64,
        utc_offset_min: i16,
        random: [u8; 10],
    ) -> Result<(DiagnosisRecord, Recorded)> {
        let device = self.device();
        let (request_json, result_json) = (json(request)?, json(result)?);
        let decision = json(&result.decision)?.trim_matches('"').to_owned();
        self.write(|tx| {
            // The request and decision travel with the event: the server
            // re-runs the offline agent on them before the run earns XP.
            let kind = EventKind::DiagnosticRun {
                diagnostic_id: id,
                vehicle: None,
                quest: None,
                evidence: Some(Box::new(RunEvidence::of(request, result))),
            };
            let recorded = record_in(tx, device, kind, at_ms, utc_offset_min, random)?;
            let event = recorded.event.id;
            let xp: u64 = recorded
                .progress
                .awards()
                .iter()
                .filter(|a| a.event == event)
                .map(|a| a.xp)
                .sum();
            let achievements: Vec<String> = recorded
                .progress
                .achievements()
                .iter()
                .filter(|u| u.event == event)
                .map(|u| u.id.clone())
                .collect();
            tx.execute(
                "INSERT INTO diagnoses (id, event_id, at_ms, decision, request, result, xp, achievements)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![
                    id.to_string(),
                    event.to_string(),
                    at_ms,
                    decision,
                    request_json,
                    result_json,
                    xp as i64,
                    json(&achievements)?
                ],
            )?;
            let record = DiagnosisRecord {
                id,
                event,
                at_ms,
                request: request.clone(),
                result: result.clone(),
                xp,
                achievements,
                feedback: None,
            };
            Ok((record, recorded))
        })
    }

    /// One stored run.
    pub fn diagnosis(&self, id: Uuid) -> Result<Option<DiagnosisRecord>> {
        self.conn()
            .query_row(
                &format!("SELECT {COLUMNS} FROM diagnoses WHERE id = ?1"),
                params![id.to_string()],
                raw,
            )
            .optional()?
            .map(from_raw)
            .transpose()
    }

    /// Runs newest first, a page at a time: pass the last run of the
    /// previous page as `after` to get the next one.
    pub fn diagnoses(
        &self,
        after: Option<&DiagnosisRecord>,
        limit: usize,
    ) -> Result<Vec<DiagnosisRecord>> {
        let limit = limit.clamp(1, 500) as i64;
        let (at, id) = after.map_or((i64::MAX, String::new()), |d| (d.at_ms, d.id.to_string()));
        let mut stmt = self.conn().prepare(&format!(
            "SELECT {COLUMNS} FROM diagnoses
             WHERE at_ms < ?1 OR (at_ms = ?1 AND id < ?2) OR ?2 = ''
             ORDER BY at_ms DESC, id DESC LIMIT ?3"
        ))?;
        let rows = stmt.query_map(params![at, id, limit], raw)?;
        rows.map(|r| from_raw(r?)).collect()
    }

    /// Keeps the full record of a run another place answered and recorded
    /// (the server's agents), with its note as given: its `DiagnosticRun`
    /// event must already be here (pulled), so nothing is counted twice.
    /// `Ok(false)` when the event is not here yet or the run is already kept.
    pub fn keep_remote_diagnosis(&mut self, record: &DiagnosisRecord) -> Result<bool> {
        let (request_json, result_json) = (json(&record.request)?, json(&record.result)?);
        let decision = json(&record.result.decision)?.trim_matches('"').to_owned();
        let achievements = json(&record.achievements)?;
        let note = record.feedback.as_ref();
        let (text, at_ms, sync) = (
            note.map(|f| f.text.as_str()),
            note.map(|f| f.at_ms),
            note.map(|f| f.sync.as_str()),
        );
        self.write(|tx| {
            let event_here: bool = tx
                .query_row(
                    "SELECT EXISTS (SELECT 1 FROM events WHERE id = ?1)",
                    params![record.event.to_string()],
                    |r| r.get(0),
                )?;
            if !event_here {
                return Ok(false);
            }
            Ok(tx.execute(
                "INSERT OR IGNORE INTO diagnoses (id, event_id, at_ms, decision, request, result, xp,
                                                  achievements, feedback, feedback_ms, feedback_sync)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
                params![
                    record.id.to_string(),
                    record.event.to_string(),
                    record.at_ms,
                    decision,
                    request_json,
                    result_json,
                    record.xp as i64,
                    achievements,
                    text,
                    at_ms,
                    sync
                ],
            )? == 1)
        })
    }

    /// Stores the rider's feedback on a run, written at `at_ms`; `false`
    /// when there is no such run. The next sync round sends it, unless this
    /// device answered the run itself (offline): the server has no record
    /// of such a run, so its note stays here ([`FeedbackSync::DeviceOnly`]).
    pub fn set_feedback(&mut self, id: Uuid, feedback: &str, at_ms: i64) -> Result<bool> {
        let chars = feedback.chars().count();
        if chars > MAX_FEEDBACK_CHARS {
            return Err(Error::Invalid(format!(
                "feedback has {chars} characters; at most {MAX_FEEDBACK_CHARS} are kept"
            )));
        }
        let own = self.device().to_string();
        self.write(|tx| {
            Ok(tx.execute(
                "UPDATE diagnoses SET feedback = ?2, feedback_ms = ?3,
                     feedback_sync = CASE
                         WHEN (SELECT device_id FROM events WHERE id = diagnoses.event_id) = ?4
                         THEN 'device_only' ELSE 'unsent' END
                 WHERE id = ?1",
                params![id.to_string(), feedback, at_ms, own],
            )? == 1)
        })
    }

    /// Notes the next sync round sends, at most `limit`, oldest run first.
    pub fn unsent_feedback(&self, limit: usize) -> Result<Vec<(Uuid, Feedback)>> {
        let mut stmt = self.conn().prepare(
            "SELECT id, at_ms, feedback, feedback_ms, feedback_sync FROM diagnoses
             WHERE feedback_sync = 'unsent' ORDER BY at_ms, id LIMIT ?1",
        )?;
        let rows = stmt.query_map(params![i64::try_from(limit).unwrap_or(i64::MAX)], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, i64>(1)?,
                (r.get(2)?, r.get(3)?, r.get(4)?),
            ))
        })?;
        let mut notes = Vec::new();
        for row in rows {
            let (id, run_ms, raw) = row?;
            let id = Uuid::parse_str(&id)
                .map_err(|e| Error::Damaged(format!("diagnosis id {id:?}: {e}")))?;
            notes.extend(feedback_from_raw(raw, run_ms)?.map(|note| (id, note)));
        }
        Ok(notes)
    }

    /// The server answered the note `sent` on run `id` with the note it
    /// holds now (`sent` itself, or a later one from another device): that
    /// one is kept here as sent — unless the rider changed the note since it
    /// was sent, which then waits for the next round.
    pub fn feedback_sent(
        &mut self,
        id: Uuid,
        sent: &Feedback,
        held: &str,
        held_ms: i64,
    ) -> Result<bool> {
        self.write(|tx| {
            Ok(tx.execute(
                "UPDATE diagnoses SET feedback = ?4, feedback_ms = ?5, feedback_sync = 'sent'
                 WHERE id = ?1 AND feedback_sync = 'unsent' AND feedback = ?2 AND feedback_ms = ?3",
                params![id.to_string(), sent.text, sent.at_ms, held, held_ms],
            )? == 1)
        })
    }

    /// The note `sent` on run `id` stays on this device (`DeviceOnly` or
    /// `Refused`) and is not sent again — unless the rider changed it since.
    pub fn feedback_stays_here(
        &mut self,
        id: Uuid,
        sent: &Feedback,
        why: FeedbackSync,
    ) -> Result<bool> {
        self.write(|tx| {
            Ok(tx.execute(
                "UPDATE diagnoses SET feedback_sync = ?4
                 WHERE id = ?1 AND feedback_sync = 'unsent' AND feedback = ?2 AND feedback_ms = ?3",
                params![id.to_string(), sent.text, sent.at_ms, why.as_str()],
            )? == 1)
        })
    }

    /// Takes the server's note on run `id` (written on another device) when
    /// this device has none, or has one that is not waiting to be sent and
    /// was written no later. `true` when the note here changed.
    pub fn take_server_feedback(&mut self, id: Uuid, text: &str, at_ms: i64) -> Result<bool> {
        self.write(|tx| {
            Ok(tx.execute(
                "UPDATE diagnoses SET feedback = ?2, feedback_ms = ?3, feedback_sync = 'sent'
                 WHERE id = ?1
                   AND (feedback IS NULL
                        OR (feedback_sync IS NOT 'unsent'
                            AND coalesce(feedback_ms, at_ms) <= ?3
                            AND (feedback IS NOT ?2 OR feedback_ms IS NOT ?3
                                 OR feedback_sync IS NOT 'sent')))",
                params![id.to_string(), text, at_ms],
            )? == 1)
        })
    }

    /// Whether run `id` is kept here.
    pub fn has_diagnosis(&self, id: Uuid) -> Result<bool> {
        Ok(self.conn().query_row(
            "SELECT EXISTS (SELECT 1 FROM diagnoses WHERE id = ?1)",
            params![id.to_string()],
            |r| r.get(0),
        )?)
    }

    /// Whether event `id` is here (pulled or recorded).
    pub fn has_event(&self, id: EventId) -> Result<bool> {
        Ok(self.conn().query_row(
            "SELECT EXISTS (SELECT 1 FROM events WHERE id = ?1)",
            params![id.to_string()],
            |r| r.get(0),
        )?)
    }

    /// How far the walk through the server's history of runs has come.
    pub fn diagnoses_walk(&self) -> Result<Walk> {
        let stored: Option<Option<String>> = self
            .conn()
            .query_row(
                "SELECT diagnoses_walk FROM sync_state WHERE only_row = 1",
                [],
                |r| r.get(0),
            )
            .optional()?;
        match stored.flatten().as_deref() {
            None => Ok(Walk::FromNewest),
            Some("") => Ok(Walk::Done),
            Some(id) => Uuid::parse_str(id)
                .map(Walk::Before)
                .map_err(|e| Error::Damaged(format!("diagnoses walk {id:?}: {e}"))),
        }
    }

    /// Notes how far the walk has come.
    pub fn set_diagnoses_walk(&mut self, walk: Walk) -> Result<()> {
        let stored = match walk {
            Walk::FromNewest => None,
            Walk::Before(id) => Some(id.to_string()),
            Walk::Done => Some(String::new()),
        };
        self.write(|tx| {
            tx.execute(
                "INSERT INTO sync_state (only_row, diagnoses_walk) VALUES (1, ?1)
                 ON CONFLICT (only_row) DO UPDATE SET diagnoses_walk = excluded.diagnoses_walk",
                params![stored],
            )?;
            Ok(())
        })
    }
}

/// How far this device has walked the server's history of runs, newest to
/// oldest, keeping the runs answered for its other devices.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Walk {
    /// Not begun (or begun again): from the newest run.
    FromNewest,
    /// Goes on with the runs older than this one.
    Before(Uuid),
    /// Reached the oldest run; only new runs are looked for.
    Done,
}
