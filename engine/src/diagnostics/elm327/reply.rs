//! From the adapter's raw text to whole messages, one or more per ECU.
//!
//! Two steps: [`content_lines`] drops what carries no data (echo, prompt,
//! search and bus-init notices) and turns the adapter's status words into
//! errors; [`messages`] reads each line as a frame and reassembles ISO-TP
//! messages per ECU header.

use super::Elm327Error;
use super::frame::{Assembler, Message, bad_frame, garbled};

/// The lines of a reply that carry information, in order.
///
/// `echo` is the command text; the adapter repeats it first while echo is on.
pub(super) fn content_lines(text: &str, echo: &'static str) -> Result<Vec<String>, Elm327Error> {
    // The prompt ends the reply; text after it would belong to no command.
    let (body, after) = text.split_once('>').unwrap_or((text, ""));
    let after = after.trim();
    if !after.is_empty() {
        return Err(garbled(after));
    }
    // Some adapters send NUL bytes around resets and between lines.
    let body = body.replace('\0', "");
    let mut raw = body
        .split(['\r', '\n'])
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .peekable();
    if raw.peek().is_some_and(|first| is_echo(first, echo)) {
        raw.next();
    }
    let mut lines = Vec::new();
    let mut bus_init_open = false;
    for line in raw {
        let upper = line.to_ascii_uppercase();
        if bus_init_open {
            bus_init_open = false;
            match upper.as_str() {
                "OK" => continue,
                "ERROR" => return Err(Elm327Error::BusInit),
                _ => {}
            }
        }
        if let Some(rest) = upper.strip_prefix("BUS INIT") {
            if rest.contains("ERROR") {
                return Err(Elm327Error::BusInit);
            }
            // The dots print while the wake-up runs; the verdict may land on the next line.
            bus_init_open = !rest.trim_end().ends_with("OK");
            continue;
        }
        if upper.starts_with("SEARCHING") {
            continue;
        }
        if let Some(err) = status_error(line, &upper, echo) {
            return Err(err);
        }
        lines.push(line.to_owned());
    }
    Ok(lines)
}

/// Whether a line is the adapter repeating the command (spacing and case vary).
fn is_echo(line: &str, echo: &str) -> bool {
    let squeezed: String = line.chars().filter(|c| !c.is_whitespace()).collect();
    !echo.is_empty() && squeezed.eq_ignore_ascii_case(echo)
}

/// The error an adapter status line stands for, if it is one.
fn status_error(line: &str, upper: &str, echo: &'static str) -> Option<Elm327Error> {
    let message = || line.to_owned();
    Some(match upper {
        "?" => Elm327Error::UnknownCommand { command: echo },
        "NO DATA" => Elm327Error::NoData,
        "UNABLE TO CONNECT" => Elm327Error::UnableToConnect,
        "CAN ERROR" => Elm327Error::CanError,
        "BUS ERROR" | "BUS BUSY" | "FB ERROR" => Elm327Error::BusError { message: message() },
        "BUFFER FULL" => Elm327Error::BufferFull,
        "STOPPED" => Elm327Error::Stopped,
        "LV RESET" | "ACT ALERT" => Elm327Error::AdapterFault { message: message() },
        _ if upper.contains("DATA ERROR") || upper.contains("RX ERROR") => {
            Elm327Error::DataError { message: message() }
        }
        _ if upper.len() == 5
            && upper.starts_with("ERR")
            && upper[3..].bytes().all(|b| b.is_ascii_digit()) =>
        {
            Elm327Error::AdapterFault { message: message() }
        }
        _ => return None,
    })
}

/// The messages of an OBD reply to `mode`, in the order their ECUs first spoke.
///
/// Negative answers become [`Elm327Error::Refused`], except "response
/// pending" (0x78), which only says the real answer follows.
pub(super) fn messages(
    text: &str,
    echo: &'static str,
    mode: u8,
) -> Result<Vec<Message>, Elm327Error> {
    let lines = content_lines(text, echo)?;
    if lines.is_empty() {
        return Err(Elm327Error::EmptyReply);
    }
    let mut assembler = Assembler::default();
    for (index, line) in lines.iter().enumerate() {
        assembler.push_line(index, line)?;
    }
    let mut out = assembler.finish()?;
    out.sort_by_key(|(first_seen, _)| *first_seen);
    let expected = mode.wrapping_add(0x40);
    let mut replies = Vec::with_capacity(out.len());
    for (_, message) in out {
        match message.data.as_slice() {
            [0x7F, _, 0x78, ..] => continue,
            [0x7F, asked, reason, ..] => {
                return Err(Elm327Error::Refused {
                    ecu: message.ecu,
                    mode: *asked,
                    reason: *reason,
                });
            }
            [first, ..] if *first != expected => {
                return Err(Elm327Error::UnexpectedReply {
                    ecu: message.ecu,
                    expected,
                    got: *first,
                });
            }
            [] => return Err(bad_frame(&message.ecu, "empty message")),
            _ => replies.push(message),
        }
    }
    if replies.is_empty() {
        // Only "response pending" arrived and then the adapter gave up.
        return Err(Elm327Error::NoData);
    }
    Ok(replies)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostics::elm327::frame::Framing;

    fn can(ecu: &str, data: &[u8]) -> Message {
        Message {
            ecu: ecu.into(),
            data: data.to_vec(),
            framing: Framing::Can,
        }
    }

    #[test]
    fn echo_prompt_and_notices_are_dropped() {
        let text = "03\r\nSEARCHING...\r\n7E8 02 43 00 \r\n\r\n>";
        assert_eq!(
            content_lines(text, "03"),
            Ok(vec!["7E8 02 43 00".to_owned()])
        );
        let kline = "0100\rBUS INIT: ...\rOK\r41 00 BE 1F A8 13\r\r>";
        assert_eq!(
            content_lines(kline, "0100"),
            Ok(vec!["41 00 BE 1F A8 13".to_owned()])
        );
        assert_eq!(
            content_lines("BUS INIT: ...ERROR\r\r>", "0100"),
            Err(Elm327Error::BusInit)
        );
    }

    #[test]
    fn status_words_become_errors() {
        let cases = [
            ("NO DATA", Elm327Error::NoData),
            ("UNABLE TO CONNECT", Elm327Error::UnableToConnect),
            ("CAN ERROR", Elm327Error::CanError),
            ("BUFFER FULL", Elm327Error::BufferFull),
            ("STOPPED", Elm327Error::Stopped),
            ("?", Elm327Error::UnknownCommand { command: "03" }),
            (
                "BUS BUSY",
                Elm327Error::BusError {
                    message: "BUS BUSY".into(),
                },
            ),
            (
                "ERR94",
                Elm327Error::AdapterFault {
                    message: "ERR94".into(),
                },
            ),
            (
                "7E8 06 43 02 01 <DATA ERROR",
                Elm327Error::DataError {
                    message: "7E8 06 43 02 01 <DATA ERROR".into(),
                },
            ),
        ];
        for (line, err) in cases {
            assert_eq!(
                content_lines(&format!("{line}\r\r>"), "03"),
                Err(err),
                "{line}"
            );
        }
    }

    #[test]
    fn interleaved_multi_frame_is_reassembled_per_ecu() {
        let text = "7E8 10 0A 43 04 01 33 03 00\r\
                    7E9 03 43 01 C1\r\
                    7E8 21 02 17 C1 00 00 00 00\r>";
        assert_eq!(
            messages(text, "03", 0x03),
            Ok(vec![
                can(
                    "7E8",
                    &[0x43, 0x04, 0x01, 0x33, 0x03, 0x00, 0x02, 0x17, 0xC1, 0x00]
                ),
                can("7E9", &[0x43, 0x01, 0xC1]),
            ])
        );
    }

    #[test]
    fn broken_multi_frame_streams_are_refused() {
        let skipped = "7E8 10 0E 43 06 01 33 03 00\r7E8 22 00 00 00 00 00 00 00\r>";
        assert_eq!(
            messages(skipped, "03", 0x03),
            Err(Elm327Error::FrameSequence {
                ecu: "7E8".into(),
                expected: 1,
                got: 2
            })
        );
        let cut = "7E8 10 0E 43 06 01 33 03 00\r7E8 21 01 02 03 04 05 06 07\r>";
        assert_eq!(
            messages(cut, "03", 0x03),
            Err(Elm327Error::Incomplete {
                ecu: "7E8".into(),
                expected: 14,
                got: 13
            })
        );
        let orphan = "7E8 21 01 02 03 04 05 06 07\r>";
        assert!(matches!(
            messages(orphan, "03", 0x03),
            Err(Elm327Error::BadFrame { .. })
        ));
    }

    #[test]
    fn negative_answers_and_wrong_modes_are_errors() {
        assert_eq!(
            messages("7E8 03 7F 03 78\r7E8 02 43 00\r>", "03", 0x03),
            Ok(vec![can("7E8", &[0x43, 0x00])])
        );
        assert_eq!(
            messages("7E8 03 7F 04 22\r>", "04", 0x04),
            Err(Elm327Error::Refused {
                ecu: "7E8".into(),
                mode: 0x04,
                reason: 0x22
            })
        );
        assert_eq!(
            messages("7E8 06 41 00 BE 1F A8 13\r>", "03", 0x03),
            Err(Elm327Error::UnexpectedReply {
                ecu: "7E8".into(),
                expected: 0x43,
                got: 0x41
            })
        );
        assert_eq!(messages("\r\r>", "03", 0x03), Err(Elm327Error::EmptyReply));
        assert_eq!(
            messages("7E8 02 43 00\r>7E8", "03", 0x03),
            Err(Elm327Error::Garbled { line: "7E8".into() })
        );
    }
}
