//! The conversation with one adapter: set-up, then one request at a time.

use super::Elm327Error;
use super::codes::{EcuCodes, parse_clear, parse_codes};
use super::command::{CodeKind, Command, Protocol, Request};
use super::reply;
use super::vin::parse_vin;
use crate::vehicle::VinTail;

/// The set-up, in order. `0100` comes before `ATDPN` because only an OBD
/// request makes the adapter search for the bike's protocol.
const SETUP: [Command; 8] = [
    Command::Reset,
    Command::EchoOff,
    Command::LinefeedsOff,
    Command::SpacesOn,
    Command::HeadersOn,
    Command::ProtocolAuto,
    Command::SupportedPids,
    Command::DescribeProtocol,
];

/// What a reply moved the session to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A set-up step succeeded (`done` of `total`); send the next command.
    SetUp {
        /// Steps done so far.
        done: usize,
        /// Steps in all.
        total: usize,
    },
    /// Set-up finished: the adapter talks to the bike.
    Ready {
        /// The adapter's banner, e.g. `ELM327 v1.5`.
        adapter: String,
        /// The bus protocol, when the adapter could say (some clones cannot).
        protocol: Option<Protocol>,
        /// The ECUs that answered `0100`.
        ecus: Vec<String>,
    },
    /// Codes read, per ECU.
    Codes {
        /// Stored or pending.
        kind: CodeKind,
        /// Each ECU that answered, with its codes.
        ecus: Vec<EcuCodes>,
    },
    /// The VIN's tail.
    Vin(VinTail),
    /// Codes cleared by these ECUs.
    Cleared {
        /// The ECUs that confirmed.
        ecus: Vec<String>,
    },
}

/// One adapter conversation as a state machine: the transport asks
/// [`Session::next_command`] what to send and feeds back what came.
#[derive(Debug, Clone)]
pub struct Session {
    step: usize,
    in_flight: Option<Command>,
    queued: Option<Command>,
    failure: Option<Elm327Error>,
    adapter: String,
    ecus: Vec<String>,
}

impl Default for Session {
    fn default() -> Self {
        Self::new()
    }
}

impl Session {
    /// A session about to set up a freshly connected adapter.
    pub fn new() -> Self {
        Self {
            step: 0,
            in_flight: None,
            queued: None,
            failure: None,
            adapter: String::new(),
            ecus: Vec::new(),
        }
    }

    /// The command to send now, if any; `None` while a reply is awaited,
    /// when idle, or after a failure.
    pub fn next_command(&mut self) -> Option<Command> {
        if self.failure.is_some() || self.in_flight.is_some() {
            return None;
        }
        let command = match SETUP.get(self.step) {
            Some(command) => *command,
            None => self.queued.take()?,
        };
        self.in_flight = Some(command);
        Some(command)
    }

    /// Asks a ready session to read codes, read the VIN or clear codes.
    pub fn request(&mut self, request: Request) -> Result<(), Elm327Error> {
        if let Some(failure) = &self.failure {
            return Err(failure.clone());
        }
        if self.step < SETUP.len() {
            return Err(Elm327Error::NotReady);
        }
        if let Some(busy) = self.in_flight.or(self.queued) {
            return Err(Elm327Error::Busy {
                command: busy.text(),
            });
        }
        self.queued = Some(request.command());
        Ok(())
    }

    /// Feeds the adapter's reply (text up to its `>` prompt) to the command in flight.
    ///
    /// A set-up error fails the session; a request's error (say `NO DATA`)
    /// leaves it ready for the next request.
    pub fn on_reply(&mut self, text: &str) -> Result<Event, Elm327Error> {
        if let Some(failure) = &self.failure {
            return Err(failure.clone());
        }
        let Some(command) = self.in_flight.take() else {
            return Err(self.fail(Elm327Error::NotWaiting));
        };
        if self.step < SETUP.len() {
            return self.set_up(command, text).map_err(|e| self.fail(e));
        }
        match command {
            Command::ReadCodes(kind) => Ok(Event::Codes {
                kind,
                ecus: parse_codes(kind, text)?,
            }),
            Command::Vin => Ok(Event::Vin(parse_vin(text)?)),
            Command::ClearCodes(_) => Ok(Event::Cleared {
                ecus: parse_clear(text)?,
            }),
            // Set-up commands are only ever in flight during set-up.
            other => Err(self.fail(Elm327Error::UnknownCommand {
                command: other.text(),
            })),
        }
    }

    /// The transport's timer ran out: the adapter's state is unknown, so the
    /// session fails and a new one must start (with a reset).
    pub fn on_timeout(&mut self) -> Elm327Error {
        let command = self.in_flight.take().map(|c| c.text()).unwrap_or("");
        self.fail(Elm327Error::Timeout { command })
    }

    /// Whether set-up finished and the session has not failed.
    pub fn is_ready(&self) -> bool {
        self.step >= SETUP.len() && self.failure.is_none()
    }

    /// Why the session failed, if it did.
    pub fn failure(&self) -> Option<&Elm327Error> {
        self.failure.as_ref()
    }

    fn fail(&mut self, err: Elm327Error) -> Elm327Error {
        self.in_flight = None;
        self.queued = None;
        self.failure = Some(err.clone());
        err
    }

    fn set_up(&mut self, command: Command, text: &str) -> Result<Event, Elm327Error> {
        let echo = command.text();
        let mut protocol = None;
        match command {
            Command::Reset => {
                // Resets often leave line noise before the banner; only the banner matters.
                let lines = reply::content_lines(text, echo)?;
                let banner = lines
                    .iter()
                    .find(|l| l.to_ascii_uppercase().contains("ELM327"))
                    .ok_or(Elm327Error::NoBanner)?;
                self.adapter = banner.clone();
            }
            Command::SupportedPids => {
                let messages = reply::messages(text, echo, 0x01)?;
                for m in messages {
                    if !self.ecus.contains(&m.ecu) {
                        self.ecus.push(m.ecu);
                    }
                }
            }
            Command::DescribeProtocol => match reply::content_lines(text, echo) {
                Ok(lines) => protocol = lines.first().and_then(|l| describe(l)),
                // Some clones lack ATDPN; the bike still talks, so carry on.
                Err(Elm327Error::UnknownCommand { .. }) => {}
                Err(e) => return Err(e),
            },
            _ => {
                let lines = reply::content_lines(text, echo)?;
                if !lines.iter().any(|l| l.eq_ignore_ascii_case("OK")) {
                    return Err(match lines.first() {
                        Some(line) => Elm327Error::Garbled { line: line.clone() },
                        None => Elm327Error::EmptyReply,
                    });
                }
            }
        }
        self.step += 1;
        if self.step < SETUP.len() {
            return Ok(Event::SetUp {
                done: self.step,
                total: SETUP.len(),
            });
        }
        Ok(Event::Ready {
            adapter: self.adapter.clone(),
            protocol,
            ecus: self.ecus.clone(),
        })
    }
}

/// Reads `ATDPN`'s answer: a protocol digit, `A`-prefixed when found automatically.
fn describe(line: &str) -> Option<Protocol> {
    let line = line.trim();
    let digit = match line.len() {
        2 if line.starts_with(['A', 'a']) => line.chars().nth(1)?,
        1 => line.chars().next()?,
        _ => return None,
    };
    Protocol::from_digit(digit)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostics::elm327::ClearCodes;

    /// What an ELM327 v1.5 on a CAN bike says to our set-up, command by command.
    const SET_UP: [(&str, &str); 8] = [
        ("ATZ", "ATZ\r\u{0}\u{0}\r\rELM327 v1.5\r\r>"),
        ("ATE0", "ATE0\rOK\r\r>"),
        ("ATL0", "OK\r\r>"),
        ("ATS1", "OK\r\r>"),
        ("ATH1", "OK\r\r>"),
        ("ATSP0", "OK\r\r>"),
        (
            "0100",
            "SEARCHING...\r7E8 06 41 00 BE 3E B8 11 00\r7E9 06 41 00 80 08 00 01 00\r\r>",
        ),
        ("ATDPN", "A6\r\r>"),
    ];

    fn ready_session() -> Session {
        let mut session = Session::new();
        for (sent, reply) in SET_UP {
            let command = session.next_command().expect("set-up command");
            assert_eq!(command.text(), sent);
            assert_eq!(session.next_command(), None, "one command at a time");
            session.on_reply(reply).expect(sent);
        }
        session
    }

    #[test]
    fn set_up_reports_adapter_protocol_and_ecus() {
        let mut session = Session::new();
        let mut events = Vec::new();
        while let Some(command) = session.next_command() {
            let (_, reply) = SET_UP
                .iter()
                .find(|(sent, _)| *sent == command.text())
                .expect("scripted");
            events.push(session.on_reply(reply).expect("set-up step"));
        }
        assert_eq!(events[0], Event::SetUp { done: 1, total: 8 });
        assert_eq!(
            events.last(),
            Some(&Event::Ready {
                adapter: "ELM327 v1.5".into(),
                protocol: Some(Protocol::Can11At500),
                ecus: vec!["7E8".into(), "7E9".into()],
            })
        );
        assert!(session.is_ready());
    }

    #[test]
    fn reading_and_clearing_once_ready() {
        let mut session = ready_session();
        assert_eq!(session.next_command(), None, "idle until asked");
        session
            .request(Request::ReadCodes(CodeKind::Stored))
            .expect("ready");
        assert_eq!(
            session.request(Request::Vin),
            Err(Elm327Error::Busy { command: "03" })
        );
        assert_eq!(
            session.next_command(),
            Some(Command::ReadCodes(CodeKind::Stored))
        );
        let event = session.on_reply("7E8 04 43 01 03 00 00 00 00\r\r>");
        assert_eq!(
            event,
            Ok(Event::Codes {
                kind: CodeKind::Stored,
                ecus: vec![EcuCodes {
                    ecu: "7E8".into(),
                    codes: vec!["P0300".parse().expect("code")],
                }],
            })
        );
        session
            .request(Request::ClearCodes(ClearCodes::confirmed()))
            .expect("ready");
        let command = session.next_command().expect("clear");
        assert_eq!(command.as_bytes(), b"04\r");
        assert_eq!(
            session.on_reply("7E8 01 44 00 00 00 00 00 00\r\r>"),
            Ok(Event::Cleared {
                ecus: vec!["7E8".into()]
            })
        );
    }

    #[test]
    fn a_request_error_leaves_the_session_ready() {
        let mut session = ready_session();
        session.request(Request::Vin).expect("ready");
        session.next_command();
        assert_eq!(session.on_reply("NO DATA\r\r>"), Err(Elm327Error::NoData));
        assert!(session.is_ready());
        session
            .request(Request::ReadCodes(CodeKind::Pending))
            .expect("still ready");
    }

    #[test]
    fn requests_wait_for_set_up() {
        let mut session = Session::new();
        assert_eq!(session.request(Request::Vin), Err(Elm327Error::NotReady));
        assert_eq!(session.on_reply("OK\r>"), Err(Elm327Error::NotWaiting));
        assert!(session.failure().is_some());
    }

    #[test]
    fn a_timeout_fails_the_session_clearly() {
        let mut session = Session::new();
        session.next_command();
        let err = session.on_timeout();
        assert_eq!(err, Elm327Error::Timeout { command: "ATZ" });
        assert_eq!(session.next_command(), None);
        assert_eq!(session.failure(), Some(&err));
        assert_eq!(session.on_reply("ELM327 v1.5\r>"), Err(err.clone()));
        assert_eq!(session.request(Request::Vin), Err(err));
        assert!(!session.is_ready());
    }

    #[test]
    fn set_up_failures_stop_the_session() {
        let mut not_elm = Session::new();
        not_elm.next_command();
        assert_eq!(
            not_elm.on_reply("+++\rNO CARRIER\r>"),
            Err(Elm327Error::NoBanner)
        );
        assert_eq!(not_elm.next_command(), None);

        let mut bike_off = Session::new();
        for (sent, reply) in SET_UP.iter().take(6) {
            assert_eq!(bike_off.next_command().map(|c| c.text()), Some(*sent));
            bike_off.on_reply(reply).expect(sent);
        }
        bike_off.next_command();
        assert_eq!(
            bike_off.on_reply("SEARCHING...\rUNABLE TO CONNECT\r\r>"),
            Err(Elm327Error::UnableToConnect)
        );
        assert_eq!(bike_off.failure(), Some(&Elm327Error::UnableToConnect));
    }

    #[test]
    fn a_clone_without_atdpn_still_gets_ready() {
        let mut session = Session::new();
        let mut last = None;
        while let Some(command) = session.next_command() {
            let reply = match command {
                Command::DescribeProtocol => "?\r\r>",
                Command::SupportedPids => "BUS INIT: ...OK\r86 F1 11 41 00 BE 3E B8 11 8E\r\r>",
                _ => SET_UP
                    .iter()
                    .find(|(sent, _)| *sent == command.text())
                    .map(|(_, r)| *r)
                    .unwrap_or("OK\r>"),
            };
            last = Some(session.on_reply(reply).expect("step"));
        }
        assert_eq!(
            last,
            Some(Event::Ready {
                adapter: "ELM327 v1.5".into(),
                protocol: None,
                ecus: vec!["11".into()],
            })
        );
        assert_eq!(describe("5"), Some(Protocol::KwpFast));
        assert_eq!(describe("A0"), None);
    }
}
