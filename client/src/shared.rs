//! What features share: the resources more than one screen reads or writes,
//! defined here, below every feature, so features meet only in this one
//! place and never import each other (issue 12). Settings are written by
//! the Settings screen and read by the screens and the scanner; the camera
//! choice by the command line, Settings and the scanner; the approved
//! highlights by Diagnose and read by the scanner; the running syncer
//! ([`SyncLink`], started by Sync, asked by Diagnose, shown by Settings),
//! the sign-in form Settings draws and Sync acts on ([`SignInForm`],
//! [`SignIn`]), the news that a round brought something ([`Synced`]), and
//! the Your data card Settings draws and the data feature acts on
//! ([`DataForm`], [`DataAsk`]). (A finished diagnosis
//! run, which the command line and the Diagnose screen share, is the app
//! layer's `ridewire_app::diagnosis::Run`.)

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use bevy::prelude::*;
use ridewire_app::account::SignedIn;
use ridewire_app::data::{ExportProgress, Exported};
use ridewire_app::task::Pending;
use ridewire_engine::diagnostics::gate::{Decision, GatedDiagnosis};
use ridewire_engine::diagnostics::review::Review;
use ridewire_offline_store::DiagnosisRecord;
use ridewire_sync_client::{SyncStatus, Syncer};
use uuid::Uuid;

/// How the app looks and reacts.
#[derive(Resource, Debug, Clone, PartialEq)]
pub struct Settings {
    /// egui zoom factor (1.0 = 100 %).
    pub ui_scale: f32,
    /// Finger-sized targets for touch terminals.
    pub touch_layout: bool,
    /// The scanner's picture source.
    pub camera: CameraChoice,
    /// The picture size asked of a camera (one of [`CAMERA_SIZES`]).
    pub camera_size: (u32, u32),
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            ui_scale: 1.0,
            // Phones are touch screens, and their camera is the host's.
            touch_layout: ON_A_PHONE,
            camera: if ON_A_PHONE {
                CameraChoice::Phone
            } else {
                CameraChoice::Auto
            },
            camera_size: (1280, 720),
        }
    }
}

/// Built for Android or iOS, where the app runs inside a native host.
pub const ON_A_PHONE: bool = cfg!(any(target_os = "android", target_os = "ios"));

/// Which picture the scanner shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CameraChoice {
    /// The first camera, else the demo recording.
    #[default]
    Auto,
    /// The demo recording, even with a camera attached.
    Demo,
    /// One camera by its index in the system's list.
    Device(u32),
    /// The phone's camera: frames the app's native host pushes through the
    /// bindings ([`ridewire_app::scan::HostCamera`]).
    Phone,
}

impl fmt::Display for CameraChoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CameraChoice::Auto => f.write_str("auto"),
            CameraChoice::Demo => f.write_str("demo"),
            CameraChoice::Device(n) => write!(f, "{n}"),
            CameraChoice::Phone => f.write_str("phone"),
        }
    }
}

impl FromStr for CameraChoice {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "auto" => Ok(CameraChoice::Auto),
            "demo" => Ok(CameraChoice::Demo),
            "phone" => Ok(CameraChoice::Phone),
            other => other.parse::<u32>().map(CameraChoice::Device).map_err(|_| {
                format!("{s:?} is not a camera: use auto, demo, phone or a camera number (0, 1, …)")
            }),
        }
    }
}

/// The app runs as a workshop terminal's kiosk (`ridewire --workshop`):
/// the Board is its home, an idle minute brings it back there, and the
/// navigation bar shows the terminal's tabs.
#[derive(Resource, Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Kiosk(pub bool);

/// What a workshop terminal's fixed camera looks at: the bike booked in
/// the terminal's bay now (written by the terminal's Board, read by the
/// scanner, which then scans that customer's bike, not the account's own).
#[derive(Resource, Debug, Clone, Default, PartialEq, Eq)]
pub struct BayBike(pub Option<ridewire_app::workshop_board::InBay>);

/// A camera chosen for this run (`ridewire --camera`, or `RIDEWIRE_CAMERA`)
/// that wins over the one saved in Settings.
#[derive(Resource, Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CameraOverride(pub Option<CameraChoice>);

/// Picture sizes the rider can ask the camera for (it streams the nearest
/// it offers uncompressed).
pub const CAMERA_SIZES: [(u32, u32); 3] = [(640, 480), (1280, 720), (1920, 1080)];

/// Components of the latest APPROVED diagnosis, for the AR view to
/// highlight. Escalated and rejected runs never fill it.
#[derive(Resource, Debug, Clone, Default, PartialEq, Eq)]
pub struct ApprovedHighlights {
    /// The run they come from.
    pub diagnosis: Option<Uuid>,
    /// Component ids from the shared vocabulary.
    pub components: Vec<String>,
    /// What the run found, what to do and what it may cost, for the
    /// component panel.
    pub finding: Option<Finding>,
}

/// An approved diagnosis in the rider's words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub diagnosis: String,
    pub action: String,
    pub cost: Option<String>,
}

impl ApprovedHighlights {
    /// The highlights a run gives: its components if it was approved,
    /// nothing otherwise.
    pub fn of(id: Uuid, result: &GatedDiagnosis) -> Self {
        match (&result.consensus, result.decision) {
            (Some(c), Decision::Approved) => ApprovedHighlights {
                diagnosis: Some(id),
                components: result.highlighted_components.clone(),
                finding: Some(Finding {
                    diagnosis: c.diagnosis.clone(),
                    action: c.recommended_action.clone(),
                    cost: c
                        .estimated_cost
                        .as_ref()
                        .map(|cost| format!("{:.0}–{:.0} {}", cost.min, cost.max, cost.currency)),
                }),
            },
            _ => ApprovedHighlights::default(),
        }
    }

    /// The highlights a stored run gives: the gate's approval, or a
    /// mechanic's approval or correction of a run the gate escalated (their
    /// words become the advice, signed).
    pub fn of_record(run: &DiagnosisRecord, review: Option<&Review>) -> Self {
        let Some(review) = review.filter(|r| r.verdict.lights()) else {
            return Self::of(run.id, &run.result);
        };
        if run.result.decision != Decision::Escalated {
            return Self::of(run.id, &run.result);
        }
        let consensus = run.result.consensus.as_ref();
        ApprovedHighlights {
            diagnosis: Some(run.id),
            components: ridewire_app::diagnosis::lit_components(run, Some(review)).to_vec(),
            finding: Some(Finding {
                diagnosis: consensus.map(|c| c.diagnosis.clone()).unwrap_or_default(),
                action: format!(
                    "{} ({})",
                    review.text,
                    ridewire_app::workshops::review_words(review)
                ),
                cost: consensus
                    .and_then(|c| c.estimated_cost.as_ref())
                    .map(|cost| format!("{:.0}–{:.0} {}", cost.min, cost.max, cost.currency)),
            }),
        }
    }
}

/// The background syncer, when the rider has signed in.
#[derive(Resource, Default)]
pub struct SyncLink {
    pub(crate) syncer: Option<Syncer>,
    /// The server it talks to.
    pub server: Option<String>,
    /// Why sync could not start.
    pub problem: Option<String>,
}

impl SyncLink {
    /// The syncer's latest status, when one runs.
    pub fn status(&self) -> Option<SyncStatus> {
        self.syncer.as_ref().map(Syncer::status)
    }

    /// The running syncer, to send it work (an online diagnosis).
    pub fn syncer(&self) -> Option<&Syncer> {
        self.syncer.as_ref()
    }

    /// Asks for a round now.
    pub fn sync_now(&self) {
        if let Some(syncer) = &self.syncer {
            // A stopped thread shows up in the status; nothing to add here.
            let _ = syncer.sync_now();
        }
    }
}

/// A round brought something the screens show (sent after it was merged
/// into the [`Player`]).
#[derive(Message, Debug, Clone, Copy)]
pub struct Synced {
    /// The history of diagnoses changed (runs or notes from elsewhere).
    pub history_changed: bool,
}

/// What the rider typed to sign in.
#[derive(Resource, Default)]
pub struct SignInForm {
    pub server: String,
    pub email: String,
    pub password: String,
    /// The answer of the last attempt.
    pub message: Option<Result<String, String>>,
    pub(crate) job: Option<Pending<ridewire_app::Result<SignedIn>>>,
}

impl SignInForm {
    /// Whether a sign-in is under way.
    pub fn busy(&self) -> bool {
        self.job.is_some()
    }
}

/// Sign in (or create the account) with the form's details.
#[derive(Message, Debug, Clone, Copy)]
pub struct SignIn {
    /// Create the account first.
    pub register: bool,
}

/// What the rider asks of their data on the Settings screen. The screen
/// asks for the confirmation of the last two before sending them.
#[derive(Message, Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataAsk {
    /// Write everything to [`DataForm::export_to`] (with the server's copy
    /// when [`DataForm::with_server`]).
    Export,
    /// Delete the account on the server, keeping this device's data.
    DeleteAccount,
    /// Delete this device's data file and start afresh.
    Wipe,
}

/// The Your data card: what the rider typed and the work under way.
#[derive(Resource, Debug)]
pub struct DataForm {
    /// Where the export goes.
    pub export_to: String,
    /// Include the server's copy (needs the password).
    pub with_server: bool,
    /// The account's password (the server wants a fresh login for an
    /// export of its copy and for a deletion); cleared once used.
    pub password: String,
    /// A destructive action shown with its "are you sure" step.
    pub confirming: Option<DataAsk>,
    /// The answer of the last action.
    pub message: Option<Result<String, String>>,
    pub(crate) export: Option<(Pending<ridewire_app::Result<Exported>>, ExportProgress)>,
    pub(crate) deletion: Option<Pending<ridewire_app::Result<()>>>,
}

impl Default for DataForm {
    fn default() -> Self {
        let folder = dirs::document_dir()
            .or_else(dirs::home_dir)
            .unwrap_or_else(std::env::temp_dir);
        let name = format!("ridewire-export-{}.json", ridewire_app::clock::today());
        Self {
            export_to: folder.join(name).display().to_string(),
            with_server: false,
            password: String::new(),
            confirming: None,
            message: None,
            export: None,
            deletion: None,
        }
    }
}

impl DataForm {
    /// How far the export under way is (0.0 ..= 1.0), if one is.
    pub fn export_progress(&self) -> Option<f32> {
        self.export
            .as_ref()
            .map(|(_, progress)| progress.fraction())
    }

    /// Whether an export or a deletion is under way.
    pub fn busy(&self) -> bool {
        self.export.is_some() || self.deletion.is_some()
    }

    /// The export's file.
    pub fn export_path(&self) -> PathBuf {
        PathBuf::from(self.export_to.trim())
    }
}

/// What the rider asks of the Garage card.
#[derive(Message, Debug, Clone, PartialEq, Eq)]
pub enum GarageAsk {
    /// Add the bike typed in the form (and make it current).
    Add,
    /// Make this bike current on this device.
    Choose(String),
    /// Take this bike out of the garage.
    Remove(String),
    /// Keep the VIN tail read from the bike for the current bike.
    UseReadVin,
    /// Settle a crossed change: keep this device's, or the other one's.
    Settle { edit: i64, keep_mine: bool },
    /// Drop a change the server refused for good.
    Discard(i64),
}

/// The Garage card's form: the model picked from the list (`None`:
/// "Other", typed in), the year, the VIN, how the last action went, and the
/// garage as last read (again after each change and sync round, not every
/// frame).
#[derive(Resource, Debug)]
pub struct GarageForm {
    /// Index into `ridewire_app::garage::KNOWN_MODELS`; `None` for another bike.
    pub known: Option<usize>,
    pub make: String,
    pub model: String,
    pub year: String,
    /// Optional; only its last six characters are kept.
    pub vin: String,
    /// A removal shown with its "are you sure" step.
    pub confirming_removal: Option<String>,
    pub message: Option<Result<String, String>>,
    /// The rider's bikes.
    pub bikes: Vec<ridewire_app::garage::Bike>,
    /// Changes that crossed another device's.
    pub conflicts: Vec<ridewire_app::garage::BikeConflict>,
    /// Changes the server refused for good, with its reason.
    pub refused: Vec<ridewire_app::garage::RefusedChange>,
    /// The bikes and conflicts must be read again.
    pub stale: bool,
}

impl Default for GarageForm {
    fn default() -> Self {
        Self {
            known: None,
            make: String::new(),
            model: String::new(),
            year: String::new(),
            vin: String::new(),
            confirming_removal: None,
            message: None,
            bikes: Vec::new(),
            conflicts: Vec::new(),
            refused: Vec::new(),
            stale: true,
        }
    }
}
