//! Runs the engine's ELM327 [`Session`] over a [`Transport`].

use std::time::{Duration, Instant};

use ridewire_engine::diagnostics::elm327::{
    ClearCodes, CodeKind, EcuCodes, Elm327Error, Event, Request, Session,
};
use ridewire_engine::vehicle::VinTail;

use super::ObdError;
use super::transport::{LinkError, Transport};

/// `ATZ` restarts the adapter's firmware, which takes a moment on clones.
const RESET_GRACE: Duration = Duration::from_secs(1);

/// What set-up learned about the adapter and the bike.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdapterInfo {
    /// The adapter's banner, e.g. `ELM327 v1.5`.
    pub adapter: String,
    /// The bus protocol's name, when the adapter could say.
    pub protocol: Option<String>,
    /// The ECUs that answered.
    pub ecus: Vec<String>,
}

/// Everything `read` gathers from the bike in one go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reading {
    /// The adapter and bus.
    pub info: AdapterInfo,
    /// The VIN's last six characters, when the bike reports its VIN.
    pub vin_tail: Option<VinTail>,
    /// Confirmed codes (mode 03), per ECU.
    pub stored: Vec<EcuCodes>,
    /// Pending codes (mode 07), per ECU.
    pub pending: Vec<EcuCodes>,
    /// Things the rider should know that did not stop the reading.
    pub notes: Vec<String>,
}

/// A set-up adapter, ready for requests.
#[derive(Debug)]
pub struct Adapter<T: Transport> {
    link: T,
    session: Session,
    timeout: Duration,
    info: AdapterInfo,
}

impl<T: Transport> Adapter<T> {
    /// Resets and sets up the adapter; each reply must come within `timeout`.
    pub fn set_up(link: T, timeout: Duration) -> Result<Self, ObdError> {
        let mut adapter = Self {
            link,
            session: Session::new(),
            timeout,
            info: AdapterInfo {
                adapter: String::new(),
                protocol: None,
                ecus: Vec::new(),
            },
        };
        loop {
            match adapter.exchange()? {
                Event::SetUp { .. } => {}
                Event::Ready {
                    adapter: banner,
                    protocol,
                    ecus,
                } => {
                    adapter.info = AdapterInfo {
                        adapter: banner,
                        protocol: protocol.map(|p| p.name().to_owned()),
                        ecus,
                    };
                    return Ok(adapter);
                }
                _ => return Err(Elm327Error::NotWaiting.into()),
            }
        }
    }

    /// What set-up learned.
    pub fn info(&self) -> &AdapterInfo {
        &self.info
    }

    /// Reads the VIN; only its tail ever leaves the engine.
    pub fn read_vin(&mut self) -> Result<VinTail, ObdError> {
        match self.ask(Request::Vin)? {
            Event::Vin(tail) => Ok(tail),
            _ => Err(Elm327Error::NotWaiting.into()),
        }
    }

    /// Reads stored (mode 03) or pending (mode 07) codes, per ECU.
    pub fn read_codes(&mut self, kind: CodeKind) -> Result<Vec<EcuCodes>, ObdError> {
        match self.ask(Request::ReadCodes(kind))? {
            Event::Codes { ecus, .. } => Ok(ecus),
            _ => Err(Elm327Error::NotWaiting.into()),
        }
    }

    /// Clears the codes (mode 04); `confirmed` proves a person asked for it.
    pub fn clear_codes(&mut self, confirmed: ClearCodes) -> Result<Vec<String>, ObdError> {
        match self.ask(Request::ClearCodes(confirmed))? {
            Event::Cleared { ecus } => Ok(ecus),
            _ => Err(Elm327Error::NotWaiting.into()),
        }
    }

    /// Reads the VIN tail, stored and pending codes. A bike that does not
    /// report its VIN (many older ones) or answers `NO DATA` to a code
    /// request is noted, not treated as a failure.
    pub fn read_all(&mut self) -> Result<Reading, ObdError> {
        let mut notes = Vec::new();
        let vin_tail = match self.read_vin() {
            Ok(tail) => Some(tail),
            Err(ObdError::Adapter(e @ (Elm327Error::NoData | Elm327Error::Refused { .. }))) => {
                notes.push(format!("VIN not available: {e}"));
                None
            }
            Err(e) => return Err(e),
        };
        let mut codes = |kind: CodeKind, notes: &mut Vec<String>| match self.read_codes(kind) {
            Ok(ecus) => Ok(ecus),
            // K-line ECUs often answer NO DATA when they hold no codes.
            Err(ObdError::Adapter(Elm327Error::NoData)) => {
                notes.push(format!(
                    "no ECU answered mode {:02X} (NO DATA): usually means no codes",
                    kind.mode()
                ));
                Ok(Vec::new())
            }
            Err(e) => Err(e),
        };
        let stored = codes(CodeKind::Stored, &mut notes)?;
        let pending = codes(CodeKind::Pending, &mut notes)?;
        Ok(Reading {
            info: self.info.clone(),
            vin_tail,
            stored,
            pending,
            notes,
        })
    }

    fn ask(&mut self, request: Request) -> Result<Event, ObdError> {
        self.session.request(request)?;
        self.exchange()
    }

    /// Sends the session's next command and feeds it the reply.
    fn exchange(&mut self) -> Result<Event, ObdError> {
        let command = match self.session.next_command() {
            Some(command) => command,
            None => {
                return Err(self
                    .session
                    .failure()
                    .cloned()
                    .unwrap_or(Elm327Error::NotWaiting)
                    .into());
            }
        };
        let name = command.text();
        let mut wait = self.timeout;
        if name == "ATZ" {
            wait += RESET_GRACE;
        }
        let deadline = Instant::now() + wait;
        let reply = self
            .link
            .send(command.as_bytes())
            .and_then(|()| self.link.read_reply(deadline));
        match reply {
            Ok(text) => Ok(self.session.on_reply(&text)?),
            Err(e) => {
                // The adapter's state is unknown now: the session must end.
                self.session.on_timeout();
                Err(match e {
                    LinkError::Timeout => ObdError::Timeout {
                        waited: self.timeout,
                        command: name,
                    },
                    LinkError::Closed => ObdError::Closed { command: name },
                    LinkError::Overflow => ObdError::Io {
                        command: name,
                        source: std::io::Error::other(LinkError::Overflow.to_string()),
                    },
                    LinkError::Io(source) => ObdError::Io {
                        command: name,
                        source,
                    },
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::VecDeque;

    /// Answers each command from a script; `None` means silence.
    #[derive(Debug)]
    struct Scripted {
        replies: Vec<(&'static str, Option<&'static str>)>,
        sent: VecDeque<String>,
    }

    impl Transport for Scripted {
        fn send(&mut self, bytes: &[u8]) -> Result<(), LinkError> {
            self.sent
                .push_back(String::from_utf8_lossy(bytes).trim_end().to_owned());
            Ok(())
        }

        fn read_reply(&mut self, _deadline: Instant) -> Result<String, LinkError> {
            let sent = self.sent.back().cloned().unwrap_or_default();
            match self.replies.iter().find(|(c, _)| *c == sent) {
                Some((_, Some(reply))) => Ok((*reply).to_owned()),
                _ => Err(LinkError::Timeout),
            }
        }
    }

    fn bike(extra: &[(&'static str, Option<&'static str>)]) -> Scripted {
        let mut replies = extra.to_vec();
        replies.extend([
            ("ATZ", Some("\r\rELM327 v1.5\r\r")),
            ("ATE0", Some("ATE0\rOK\r\r")),
            ("ATL0", Some("OK\r\r")),
            ("ATS1", Some("OK\r\r")),
            ("ATH1", Some("OK\r\r")),
            ("ATSP0", Some("OK\r\r")),
            ("0100", Some("SEARCHING...\r7E8 06 41 00 BE 3E B8 11\r\r")),
            ("ATDPN", Some("A6\r\r")),
            ("03", Some("7E8 06 43 02 03 00 01 71\r\r")),
            ("07", Some("NO DATA\r\r")),
            ("04", Some("7E8 01 44\r\r")),
        ]);
        Scripted {
            replies,
            sent: VecDeque::new(),
        }
    }

    #[test]
    fn a_reading_gathers_codes_and_notes_what_is_missing() {
        let mut adapter = Adapter::set_up(
            bike(&[("0902", Some("NO DATA\r\r"))]),
            Duration::from_secs(1),
        )
        .expect("set up");
        assert_eq!(adapter.info().adapter, "ELM327 v1.5");
        let reading = adapter.read_all().expect("reading");
        assert_eq!(reading.vin_tail, None);
        let codes: Vec<String> = reading.stored[0]
            .codes
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(codes, ["P0300", "P0171"]);
        assert!(reading.pending.is_empty());
        assert_eq!(reading.notes.len(), 2, "{:?}", reading.notes);
        assert_eq!(
            adapter
                .clear_codes(ClearCodes::confirmed())
                .expect("cleared"),
            ["7E8"]
        );
    }

    #[test]
    fn a_silent_adapter_times_out_naming_the_command() {
        let mut link = bike(&[]);
        link.replies.retain(|(c, _)| *c != "ATZ");
        let err = Adapter::set_up(link, Duration::from_secs(2)).expect_err("silent");
        assert!(
            err.to_string()
                .starts_with("adapter did not answer within 2 s (waiting for ATZ)"),
            "{err}"
        );
    }
}
