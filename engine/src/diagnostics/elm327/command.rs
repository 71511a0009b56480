//! What we send to the adapter, and the protocol it reports back.

use std::fmt;

/// Which set of trouble codes to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CodeKind {
    /// Confirmed codes that light the check-engine lamp (mode 03).
    Stored,
    /// Codes seen once but not yet confirmed (mode 07).
    Pending,
}

impl CodeKind {
    /// The OBD-II mode (service) number.
    pub fn mode(self) -> u8 {
        match self {
            CodeKind::Stored => 0x03,
            CodeKind::Pending => 0x07,
        }
    }
}

/// Proof that a person confirmed clearing the codes (mode 04).
///
/// Clearing erases the codes and the bike's readiness monitors, so it must
/// never happen by accident: the only way to get one is the explicitly named
/// [`ClearCodes::confirmed`], which UI code calls after a confirm dialog.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClearCodes {
    // Private so `ClearCodes {}` cannot be written outside this module.
    _confirmed: (),
}

impl ClearCodes {
    /// Call only after the rider or mechanic confirmed erasing the codes.
    pub fn confirmed() -> Self {
        Self { _confirmed: () }
    }
}

/// A command the adapter understands, as we use it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    /// `ATZ`: reset the adapter; it answers with its banner.
    Reset,
    /// `ATE0`: stop echoing commands back.
    EchoOff,
    /// `ATL0`: no line feed after carriage returns.
    LinefeedsOff,
    /// `ATS1`: spaces between bytes, for readable logs.
    SpacesOn,
    /// `ATH1`: show headers, to tell ECUs apart.
    HeadersOn,
    /// `ATSP0`: find the bike's protocol automatically.
    ProtocolAuto,
    /// `ATDPN`: report the protocol found, by number.
    DescribeProtocol,
    /// `0100`: supported PIDs; the first OBD request, which makes the adapter search for the protocol.
    SupportedPids,
    /// `03` or `07`: read stored or pending trouble codes.
    ReadCodes(CodeKind),
    /// `04`: clear trouble codes; needs a [`ClearCodes`] confirmation.
    ClearCodes(ClearCodes),
    /// `0902`: read the VIN.
    Vin,
}

impl Command {
    /// The command's text, without the carriage return.
    pub fn text(&self) -> &'static str {
        match self {
            Command::Reset => "ATZ",
            Command::EchoOff => "ATE0",
            Command::LinefeedsOff => "ATL0",
            Command::SpacesOn => "ATS1",
            Command::HeadersOn => "ATH1",
            Command::ProtocolAuto => "ATSP0",
            Command::DescribeProtocol => "ATDPN",
            Command::SupportedPids => "0100",
            Command::ReadCodes(CodeKind::Stored) => "03",
            Command::ReadCodes(CodeKind::Pending) => "07",
            Command::ClearCodes(_) => "04",
            Command::Vin => "0902",
        }
    }

    /// The exact bytes to send, carriage return included.
    pub fn as_bytes(&self) -> &'static [u8] {
        // Spelled out (not text() + "\r") so no allocation is needed per send.
        match self {
            Command::Reset => b"ATZ\r",
            Command::EchoOff => b"ATE0\r",
            Command::LinefeedsOff => b"ATL0\r",
            Command::SpacesOn => b"ATS1\r",
            Command::HeadersOn => b"ATH1\r",
            Command::ProtocolAuto => b"ATSP0\r",
            Command::DescribeProtocol => b"ATDPN\r",
            Command::SupportedPids => b"0100\r",
            Command::ReadCodes(CodeKind::Stored) => b"03\r",
            Command::ReadCodes(CodeKind::Pending) => b"07\r",
            Command::ClearCodes(_) => b"04\r",
            Command::Vin => b"0902\r",
        }
    }
}

impl From<ClearCodes> for Command {
    fn from(confirmation: ClearCodes) -> Self {
        Command::ClearCodes(confirmation)
    }
}

impl fmt::Display for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.text())
    }
}

/// What a ready [`Session`](super::Session) can be asked to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Request {
    /// Read stored or pending codes.
    ReadCodes(CodeKind),
    /// Read the VIN (only its tail is ever returned).
    Vin,
    /// Clear the codes, with the person's confirmation.
    ClearCodes(ClearCodes),
}

impl Request {
    /// The command that carries it out.
    pub fn command(self) -> Command {
        match self {
            Request::ReadCodes(kind) => Command::ReadCodes(kind),
            Request::Vin => Command::Vin,
            Request::ClearCodes(c) => Command::ClearCodes(c),
        }
    }
}

/// The bus protocol the adapter found (`ATDPN` numbering).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Protocol {
    /// 1: SAE J1850 PWM (41.6 kbaud).
    J1850Pwm,
    /// 2: SAE J1850 VPW (10.4 kbaud).
    J1850Vpw,
    /// 3: ISO 9141-2 (K-line, 5 baud init).
    Iso9141,
    /// 4: ISO 14230-4 KWP2000, 5 baud init.
    Kwp5Baud,
    /// 5: ISO 14230-4 KWP2000, fast init (common on motorcycles).
    KwpFast,
    /// 6: ISO 15765-4 CAN, 11-bit IDs, 500 kbaud.
    Can11At500,
    /// 7: ISO 15765-4 CAN, 29-bit IDs, 500 kbaud.
    Can29At500,
    /// 8: ISO 15765-4 CAN, 11-bit IDs, 250 kbaud.
    Can11At250,
    /// 9: ISO 15765-4 CAN, 29-bit IDs, 250 kbaud.
    Can29At250,
    /// A: SAE J1939 CAN (trucks).
    J1939,
    /// B: user-defined CAN 1.
    User1Can,
    /// C: user-defined CAN 2.
    User2Can,
}

impl Protocol {
    /// The protocol for an `ATDPN` digit.
    pub fn from_digit(digit: char) -> Option<Self> {
        Some(match digit.to_ascii_uppercase() {
            '1' => Protocol::J1850Pwm,
            '2' => Protocol::J1850Vpw,
            '3' => Protocol::Iso9141,
            '4' => Protocol::Kwp5Baud,
            '5' => Protocol::KwpFast,
            '6' => Protocol::Can11At500,
            '7' => Protocol::Can29At500,
            '8' => Protocol::Can11At250,
            '9' => Protocol::Can29At250,
            'A' => Protocol::J1939,
            'B' => Protocol::User1Can,
            'C' => Protocol::User2Can,
            _ => return None,
        })
    }

    /// A name to show in the workshop screen.
    pub fn name(self) -> &'static str {
        match self {
            Protocol::J1850Pwm => "SAE J1850 PWM",
            Protocol::J1850Vpw => "SAE J1850 VPW",
            Protocol::Iso9141 => "ISO 9141-2",
            Protocol::Kwp5Baud => "ISO 14230-4 KWP (5 baud init)",
            Protocol::KwpFast => "ISO 14230-4 KWP (fast init)",
            Protocol::Can11At500 => "ISO 15765-4 CAN (11 bit, 500 kbaud)",
            Protocol::Can29At500 => "ISO 15765-4 CAN (29 bit, 500 kbaud)",
            Protocol::Can11At250 => "ISO 15765-4 CAN (11 bit, 250 kbaud)",
            Protocol::Can29At250 => "ISO 15765-4 CAN (29 bit, 250 kbaud)",
            Protocol::J1939 => "SAE J1939 CAN",
            Protocol::User1Can => "user CAN 1",
            Protocol::User2Can => "user CAN 2",
        }
    }

    /// Whether it is a CAN protocol.
    pub fn is_can(self) -> bool {
        !matches!(
            self,
            Protocol::J1850Pwm
                | Protocol::J1850Vpw
                | Protocol::Iso9141
                | Protocol::Kwp5Baud
                | Protocol::KwpFast
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_render_to_the_bytes_the_adapter_expects() {
        let all = [
            (Command::Reset, "ATZ\r"),
            (Command::EchoOff, "ATE0\r"),
            (Command::LinefeedsOff, "ATL0\r"),
            (Command::SpacesOn, "ATS1\r"),
            (Command::HeadersOn, "ATH1\r"),
            (Command::ProtocolAuto, "ATSP0\r"),
            (Command::DescribeProtocol, "ATDPN\r"),
            (Command::SupportedPids, "0100\r"),
            (Command::ReadCodes(CodeKind::Stored), "03\r"),
            (Command::ReadCodes(CodeKind::Pending), "07\r"),
            (ClearCodes::confirmed().into(), "04\r"),
            (Command::Vin, "0902\r"),
        ];
        for (command, wire) in all {
            assert_eq!(command.as_bytes(), wire.as_bytes(), "{command}");
            assert_eq!(format!("{}\r", command.text()), wire);
        }
    }

    #[test]
    fn protocol_digits_map_to_names() {
        assert_eq!(Protocol::from_digit('6'), Some(Protocol::Can11At500));
        assert_eq!(Protocol::from_digit('c'), Some(Protocol::User2Can));
        assert_eq!(Protocol::from_digit('0'), None);
        assert!(Protocol::Can29At250.is_can());
        assert!(!Protocol::KwpFast.is_can());
        assert_eq!(Protocol::Iso9141.name(), "ISO 9141-2");
    }
}
