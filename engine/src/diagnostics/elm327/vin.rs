//! The VIN (mode 09 PID 02), cut to its tail as soon as it is read.

use super::Elm327Error;
use super::frame::Framing;
use super::reply;
use crate::vehicle::VinTail;

/// Reads the reply to `0902` and returns only the VIN's last six characters.
///
/// The full VIN exists only inside this function (privacy): it is never
/// returned, and errors never quote the reply's lines.
pub fn parse_vin(text: &str) -> Result<VinTail, Elm327Error> {
    let messages = reply::messages(text, "0902", 0x09).map_err(redact)?;
    // Per ECU: the VIN bytes, and for K-line the next line number due.
    let mut per_ecu: Vec<(String, Vec<u8>, u8)> = Vec::new();
    for message in messages {
        let bad = |reason: &str| Elm327Error::BadFrame {
            ecu: message.ecu.clone(),
            reason: reason.to_owned(),
        };
        let (pid, item, bytes) = match message.data.as_slice() {
            [_, pid, item, bytes @ ..] => (*pid, *item, bytes),
            _ => return Err(bad("VIN reply too short")),
        };
        if pid != 0x02 {
            return Err(bad("answered another PID than the VIN (02)"));
        }
        let i = match per_ecu.iter().position(|(ecu, ..)| *ecu == message.ecu) {
            Some(i) => i,
            None => {
                per_ecu.push((message.ecu.clone(), Vec::new(), 1));
                per_ecu.len() - 1
            }
        };
        let (ecu, vin, next_line) = &mut per_ecu[i];
        match message.framing {
            // CAN: one message; `item` is the count of data items (01).
            Framing::Can => {
                if !vin.is_empty() {
                    return Err(bad("sent the VIN twice"));
                }
                vin.extend_from_slice(bytes);
            }
            // K-line: five numbered lines of four bytes each.
            Framing::Line => {
                if item != *next_line {
                    return Err(Elm327Error::FrameSequence {
                        ecu: ecu.clone(),
                        expected: *next_line,
                        got: item,
                    });
                }
                *next_line = next_line.wrapping_add(1);
                vin.extend_from_slice(bytes);
            }
        }
    }
    let mut tail: Option<(String, VinTail)> = None;
    for (ecu, bytes, _) in per_ecu {
        let vin = decode(&bytes)?;
        let this = VinTail::from_vin(&vin).map_err(|e| match e {
            crate::Error::InvalidVin(why) => Elm327Error::InvalidVin(why),
            other => Elm327Error::InvalidVin(other.to_string()),
        })?;
        match &tail {
            None => tail = Some((ecu, this)),
            Some((first, seen)) if *seen != this => {
                return Err(Elm327Error::InvalidVin(format!(
                    "ECUs {first} and {ecu} report different VINs"
                )));
            }
            Some(_) => {}
        }
    }
    tail.map(|(_, t)| t).ok_or(Elm327Error::NoData)
}

/// The VIN's characters, with the zero bytes that pad it removed.
fn decode(bytes: &[u8]) -> Result<String, Elm327Error> {
    bytes
        .iter()
        .filter(|b| **b != 0)
        .map(|&b| {
            if b.is_ascii_graphic() {
                Ok(char::from(b))
            } else {
                Err(Elm327Error::InvalidVin(format!(
                    "byte {b:02X} is not a VIN character"
                )))
            }
        })
        .collect()
}

/// Drops the reply text from an error, since it may spell out the VIN.
fn redact(err: Elm327Error) -> Elm327Error {
    match err {
        Elm327Error::Garbled { .. } => Elm327Error::Garbled {
            line: "<redacted>".to_owned(),
        },
        Elm327Error::DataError { .. } => Elm327Error::DataError {
            message: "<DATA ERROR".to_owned(),
        },
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // The VIN used throughout: JH2RC5006LM200123 (tail 200123).
    const CAN_VIN: &str = "0902\r\
        7E8 10 14 49 02 01 4A 48 32\r\
        7E8 21 52 43 35 30 30 36 4C\r\
        7E8 22 4D 32 30 30 31 32 33\r\r>";

    fn tail(s: &str) -> VinTail {
        VinTail::new(s).expect("test tail")
    }

    #[test]
    fn can_multi_frame_vin_gives_only_the_tail() {
        assert_eq!(parse_vin(CAN_VIN), Ok(tail("200123")));
        assert_eq!(parse_vin(&CAN_VIN.replace(' ', "")), Ok(tail("200123")));
    }

    #[test]
    fn k_line_vin_in_five_numbered_lines() {
        let with_headers = "BUS INIT: ...OK\r\
            48 6B 10 49 02 01 00 00 00 4A 59\r\
            48 6B 10 49 02 02 48 32 52 43 1F\r\
            48 6B 10 49 02 03 35 30 30 36 DC\r\
            48 6B 10 49 02 04 4C 4D 32 30 0D\r\
            48 6B 10 49 02 05 30 31 32 33 D9\r\r>";
        assert_eq!(parse_vin(with_headers), Ok(tail("200123")));
        let bare = "49 02 01 00 00 00 4A\r49 02 02 48 32 52 43\r49 02 03 35 30 30 36\r\
            49 02 04 4C 4D 32 30\r49 02 05 30 31 32 33\r\r>";
        assert_eq!(parse_vin(bare), Ok(tail("200123")));
        let swapped = "49 02 01 00 00 00 4A\r49 02 03 35 30 30 36\r49 02 02 48 32 52 43\r\r>";
        assert_eq!(
            parse_vin(swapped),
            Err(Elm327Error::FrameSequence {
                ecu: String::new(),
                expected: 2,
                got: 3
            })
        );
    }

    #[test]
    fn header_less_can_vin_in_numbered_segments() {
        let text =
            "014\r0: 49 02 01 4A 48 32\r1: 52 43 35 30 30 36 4C\r2: 4D 32 30 30 31 32 33\r\r>";
        assert_eq!(parse_vin(text), Ok(tail("200123")));
    }

    #[test]
    fn errors_never_carry_the_full_vin() {
        // A corrupted line that spells most of the VIN in hex.
        let garbled = "7E8 10 14 49 02 01 4A 48 32\r7E8 21 52 43 35 30 30 36 4C X\r\r>";
        let err = parse_vin(garbled).expect_err("garbled");
        assert_eq!(
            err,
            Elm327Error::Garbled {
                line: "<redacted>".into()
            }
        );
        // 16 characters: invalid, and the message says why without quoting it.
        let short = "7E8 10 13 49 02 01 4A 48 32\r7E8 21 52 43 35 30 30 36 4C\r7E8 22 4D 32 30 30 31 32 00\r\r>";
        let err = parse_vin(short).expect_err("short").to_string();
        assert!(err.contains("17"), "{err}");
        assert!(!err.contains("JH2RC"), "{err}");
        assert!(!err.contains("4A 48 32"), "{err}");
    }

    #[test]
    fn ecus_that_disagree_or_do_not_answer() {
        let two = format!(
            "{}\r7E9 10 14 49 02 01 4A 48 32\r7E9 21 52 43 35 30 30 36 4C\r7E9 22 4D 32 30 30 31 32 34\r\r>",
            CAN_VIN.trim_end_matches(['\r', '>'])
        );
        assert!(matches!(parse_vin(&two), Err(Elm327Error::InvalidVin(_))));
        assert_eq!(parse_vin("NO DATA\r\r>"), Err(Elm327Error::NoData));
        let not_vin = "7E8 06 49 04 01 41 42 43\r\r>";
        assert!(matches!(
            parse_vin(not_vin),
            Err(Elm327Error::BadFrame { .. })
        ));
    }
}
