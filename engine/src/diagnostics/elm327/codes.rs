//! Trouble codes (modes 03 and 07) and the clear-codes reply (mode 04).

use super::Elm327Error;
use super::command::CodeKind;
use super::frame::Message;
use super::reply;
use crate::diagnostics::Dtc;

/// The codes one ECU reported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EcuCodes {
    /// The ECU's CAN header (`7E8`, `18DAF110`) or K-line address (`10`); empty when headers are off.
    pub ecu: String,
    /// Its codes, in the order sent, each once; empty when it has none.
    pub codes: Vec<Dtc>,
}

/// Reads the reply to `03`/`07`: each ECU that answered with its codes, in
/// the order the ECUs first spoke.
///
/// An ECU with no codes is listed with an empty list; `NO DATA` (no ECU
/// answered) is [`Elm327Error::NoData`], distinct from that.
pub fn parse_codes(kind: CodeKind, text: &str) -> Result<Vec<EcuCodes>, Elm327Error> {
    let echo = super::Command::ReadCodes(kind).text();
    let mut out: Vec<EcuCodes> = Vec::new();
    for message in reply::messages(text, echo, kind.mode())? {
        let codes = codes_in(&message)?;
        let entry = match out.iter().position(|e| e.ecu == message.ecu) {
            Some(i) => &mut out[i],
            None => {
                out.push(EcuCodes {
                    ecu: message.ecu,
                    codes: Vec::new(),
                });
                let last = out.len() - 1;
                &mut out[last]
            }
        };
        for code in codes {
            // K-line ECUs repeat codes across lines, and some CAN ECUs list one twice.
            if !entry.codes.contains(&code) {
                entry.codes.push(code);
            }
        }
    }
    Ok(out)
}

/// The codes in one message, padding (`00 00`) left out.
fn codes_in(message: &Message) -> Result<Vec<Dtc>, Elm327Error> {
    let body = message.data.get(1..).unwrap_or_default();
    // Codes are byte pairs. A reply with a count byte in front has an odd
    // body (count + pairs): CAN ECUs as ISO 15765-4 has them. Without one the
    // body is even: K-line lines (three fixed slots), and CAN ECUs and
    // adapters that leave the count out (the ELM327-emulator sends
    // `43 03 00 01 71 40 35`: three codes, no count).
    let slots = match body.split_first() {
        Some((&count, pairs)) if body.len() % 2 == 1 => {
            let count = usize::from(count);
            if pairs.len() < count * 2 {
                return Err(bad(
                    message,
                    format!("announces {count} codes but carries {}", pairs.len() / 2),
                ));
            }
            &pairs[..count * 2]
        }
        _ => body,
    };
    Ok(slots
        .chunks_exact(2)
        .filter_map(|pair| Dtc::from_bytes([pair[0], pair[1]]))
        .collect())
}

fn bad(message: &Message, reason: String) -> Elm327Error {
    Elm327Error::BadFrame {
        ecu: message.ecu.clone(),
        reason,
    }
}

/// Reads the reply to `04`: the ECUs that confirmed clearing (`44`), in order.
///
/// An ECU that refused (typically `7F 04 22`: engine running) makes it an
/// [`Elm327Error::Refused`], so a partial clear is never reported as done.
pub fn parse_clear(text: &str) -> Result<Vec<String>, Elm327Error> {
    let mut ecus: Vec<String> = Vec::new();
    for message in reply::messages(text, "04", 0x04)? {
        if !ecus.contains(&message.ecu) {
            ecus.push(message.ecu);
        }
    }
    Ok(ecus)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn dtc(s: &str) -> Dtc {
        s.parse().expect("test code")
    }

    fn ecu(name: &str, codes: &[&str]) -> EcuCodes {
        EcuCodes {
            ecu: name.into(),
            codes: codes.iter().map(|c| dtc(c)).collect(),
        }
    }

    fn stored(text: &str) -> Result<Vec<EcuCodes>, Elm327Error> {
        parse_codes(CodeKind::Stored, text)
    }

    // Transcripts below are written the way an ELM327 v1.5 prints them: CR
    // line ends (CR LF when ATL1), a blank line before the prompt, padded CAN
    // frames when headers are on.

    #[test]
    fn can_single_ecu_with_echo_still_on() {
        let text = "03\r\n7E8 06 43 02 01 33 03 00 00\r\n\r\n>";
        assert_eq!(stored(text), Ok(vec![ecu("7E8", &["P0133", "P0300"])]));
    }

    #[test]
    fn searching_preamble_and_two_ecus_one_without_codes() {
        let text = "SEARCHING...\r7E8 06 43 02 01 33 03 00 00\r7E9 02 43 00 00 00 00 00 00\r\r>";
        assert_eq!(
            stored(text),
            Ok(vec![ecu("7E8", &["P0133", "P0300"]), ecu("7E9", &[])])
        );
    }

    const SEVEN_CODES_TWO_ECUS: &str = "7E8 10 10 43 07 01 33 03 00\r\
        7E9 04 43 01 40 34 00 00 00\r\
        7E8 21 03 01 03 02 01 71 01\r\
        7E8 22 72 C1 00 00 00 00 00\r\r>";

    #[test]
    fn multi_frame_with_seven_codes_interleaved_with_abs() {
        let expected = vec![
            ecu(
                "7E8",
                &[
                    "P0133", "P0300", "P0301", "P0302", "P0171", "P0172", "U0100",
                ],
            ),
            ecu("7E9", &["C0034"]),
        ];
        assert_eq!(stored(SEVEN_CODES_TWO_ECUS), Ok(expected.clone()));
        // The same reply with ATS0 (no spaces) and ATL1 (CR LF).
        let packed = SEVEN_CODES_TWO_ECUS.replace(' ', "").replace('\r', "\r\n");
        assert_eq!(stored(&packed), Ok(expected));
    }

    #[test]
    fn wrong_iso_tp_sequence_is_an_error_not_fewer_codes() {
        let text = "7E8 10 10 43 07 01 33 03 00\r\
            7E8 22 72 C1 00 00 00 00 00\r\
            7E8 21 03 01 03 02 01 71 01\r\r>";
        assert_eq!(
            stored(text),
            Err(Elm327Error::FrameSequence {
                ecu: "7E8".into(),
                expected: 1,
                got: 2
            })
        );
    }

    #[test]
    fn pending_codes_are_mode_07_and_not_mistaken_for_stored() {
        let text = "07\r7E8 04 47 01 01 71 00 00 00\r\r>";
        assert_eq!(
            parse_codes(CodeKind::Pending, text),
            Ok(vec![ecu("7E8", &["P0171"])])
        );
        assert_eq!(
            stored("7E8 04 47 01 01 71 00 00 00\r\r>"),
            Err(Elm327Error::UnexpectedReply {
                ecu: "7E8".into(),
                expected: 0x43,
                got: 0x47
            })
        );
    }

    #[test]
    fn no_codes_no_data_and_adapter_errors_are_three_different_things() {
        assert_eq!(
            stored("7E8 02 43 00 00 00 00 00 00\r\r>"),
            Ok(vec![ecu("7E8", &[])])
        );
        assert_eq!(
            stored("03\rSEARCHING...\rNO DATA\r\r>"),
            Err(Elm327Error::NoData)
        );
        assert_eq!(
            stored("SEARCHING...\rUNABLE TO CONNECT\r\r>"),
            Err(Elm327Error::UnableToConnect)
        );
        assert_eq!(stored("CAN ERROR\r\r>"), Err(Elm327Error::CanError));
        assert_eq!(
            stored("BUS ERROR\r\r>"),
            Err(Elm327Error::BusError {
                message: "BUS ERROR".into()
            })
        );
        assert_eq!(
            stored("7E8 06 43 02 01 33\rSTOPPED\r\r>"),
            Err(Elm327Error::Stopped)
        );
        assert_eq!(
            stored("?\r\r>"),
            Err(Elm327Error::UnknownCommand { command: "03" })
        );
    }

    #[test]
    fn garbage_lines_are_refused_rather_than_skipped() {
        let text = "7E8 06 43 02 01 33 03 00 00\r\u{1b}[0m7E%\r\r>";
        assert!(matches!(stored(text), Err(Elm327Error::Garbled { .. })));
        assert!(matches!(
            stored("\u{fffd}\u{fffd}43 01\r>"),
            Err(Elm327Error::Garbled { .. })
        ));
    }

    #[test]
    fn iso_9141_lines_with_header_and_checksum() {
        let text = "03\rBUS INIT: ...OK\r\
            48 6B 10 43 01 33 03 00 03 01 41\r\
            48 6B 10 43 03 02 01 71 00 00 7D\r\r>";
        assert_eq!(
            stored(text),
            Ok(vec![ecu(
                "10",
                &["P0133", "P0300", "P0301", "P0302", "P0171"]
            )])
        );
    }

    #[test]
    fn kwp_fast_init_line_and_duplicate_codes() {
        let text = "87 F1 11 43 01 33 00 00 00 00 00\r87 F1 11 43 01 33 00 00 00 00 00\r\r>";
        assert_eq!(stored(text), Ok(vec![ecu("11", &["P0133"])]));
    }

    #[test]
    fn header_less_lines_of_both_kinds() {
        // K-line, headers off: three slots per line, no count.
        let kline = "43 01 33 03 00 03 01\r43 03 02 00 00 00 00\r\r>";
        assert_eq!(
            stored(kline),
            Ok(vec![ecu("", &["P0133", "P0300", "P0301", "P0302"])])
        );
        // CAN, headers off: a count and no PCI.
        assert_eq!(
            stored("43 02 01 33 03 00\r\r>"),
            Ok(vec![ecu("", &["P0133", "P0300"])])
        );
        // CAN, headers off, multi-frame: the adapter numbers the segments.
        let segmented =
            "010\r0: 43 07 01 33 03 00\r1: 03 01 03 02 01 71 01\r2: 72 C1 00 00 00 00 00\r\r>";
        assert_eq!(
            stored(segmented),
            Ok(vec![ecu(
                "",
                &[
                    "P0133", "P0300", "P0301", "P0302", "P0171", "P0172", "U0100"
                ]
            )])
        );
    }

    #[test]
    fn can_29_bit_headers() {
        let text = "18 DA F1 10 06 43 02 01 33 03 00 00\r18 DA F1 28 02 43 00 00 00 00 00 00\r\r>";
        assert_eq!(
            stored(text),
            Ok(vec![
                ecu("18DAF110", &["P0133", "P0300"]),
                ecu("18DAF128", &[])
            ])
        );
    }

    #[test]
    fn can_replies_without_a_count_byte_are_read() {
        // The ELM327-emulator (4.0) and some ECUs leave the count out: an
        // even body is all code pairs.
        let text = "7E8 07 43 03 00 01 71 04 20 \r\r>";
        assert_eq!(
            stored(text),
            Ok(vec![ecu("7E8", &["P0300", "P0171", "P0420"])])
        );
        assert_eq!(
            stored("43 03 00 01 71 04 20 \r\r>"),
            Ok(vec![ecu("", &["P0300", "P0171", "P0420"])])
        );
        // With the count, the body is odd: the count still decides.
        assert_eq!(
            stored("7E8 06 43 02 03 00 01 71\r\r>"),
            Ok(vec![ecu("7E8", &["P0300", "P0171"])])
        );
    }

    #[test]
    fn a_count_larger_than_the_codes_sent_is_an_error() {
        assert!(matches!(
            stored("7E8 04 43 03 01 33 00 00 00\r\r>"),
            Err(Elm327Error::BadFrame { .. })
        ));
    }

    #[test]
    fn clear_codes_reply() {
        assert_eq!(
            parse_clear("04\r7E8 01 44 00 00 00 00 00 00\r7E9 01 44 00 00 00 00 00 00\r\r>"),
            Ok(vec!["7E8".to_owned(), "7E9".to_owned()])
        );
        assert_eq!(parse_clear("44\r\r>"), Ok(vec![String::new()]));
        assert_eq!(
            parse_clear("48 6B 10 44 07\r\r>"),
            Ok(vec!["10".to_owned()])
        );
        // Engine running: the ECU refuses; one refusal means "not cleared".
        assert_eq!(
            parse_clear("7E8 01 44 00 00 00 00 00 00\r7E9 03 7F 04 22 00 00 00 00\r\r>"),
            Err(Elm327Error::Refused {
                ecu: "7E9".into(),
                mode: 0x04,
                reason: 0x22
            })
        );
        assert_eq!(parse_clear("NO DATA\r\r>"), Err(Elm327Error::NoData));
    }

    /// Encodes a mode 03/07 reply the way a CAN ECU sends it, with headers on:
    /// a single frame when it fits, else first + consecutive frames.
    fn encode_can(header: &str, sid: u8, codes: &[Dtc]) -> Vec<String> {
        let mut payload = vec![sid, codes.len() as u8];
        payload.extend(codes.iter().flat_map(|c| c.to_bytes()));
        let frame = |mut bytes: Vec<u8>| {
            bytes.resize(8, 0x00);
            let hex: Vec<String> = bytes.iter().map(|b| format!("{b:02X}")).collect();
            format!("{header} {}", hex.join(" "))
        };
        if payload.len() <= 7 {
            let mut single = vec![payload.len() as u8];
            single.extend(&payload);
            return vec![frame(single)];
        }
        let len = payload.len();
        let mut first = vec![0x10 | (len >> 8) as u8, len as u8];
        first.extend(&payload[..6]);
        let mut frames = vec![frame(first)];
        for (i, chunk) in payload[6..].chunks(7).enumerate() {
            let mut consecutive = vec![0x20 | ((i + 1) & 0x0F) as u8];
            consecutive.extend(chunk);
            frames.push(frame(consecutive));
        }
        frames
    }

    fn codes_strategy() -> impl Strategy<Value = Vec<Dtc>> {
        prop::collection::btree_set(1u16.., 0..40).prop_map(|raws| {
            raws.into_iter()
                .filter_map(|r| Dtc::from_bytes(r.to_be_bytes()))
                .collect()
        })
    }

    proptest! {
        #[test]
        fn encoded_can_replies_parse_back_per_ecu(
            per_ecu in prop::collection::vec(codes_strategy(), 1..4),
            picks in prop::collection::vec(0usize..4, 0..64),
            wide in any::<bool>(),
            spaces in any::<bool>(),
            crlf in any::<bool>(),
            echo in any::<bool>(),
            pending in any::<bool>(),
        ) {
            let kind = if pending { CodeKind::Pending } else { CodeKind::Stored };
            let sid = kind.mode() + 0x40;
            let headers: Vec<String> = (0..per_ecu.len())
                .map(|i| if wide { format!("18 DA F1 {:02X}", 0x10 + i) } else { format!("7E{:X}", 8 + i) })
                .collect();
            let mut queues: Vec<std::collections::VecDeque<String>> = per_ecu
                .iter()
                .zip(&headers)
                .map(|(codes, h)| encode_can(h, sid, codes).into())
                .collect();
            // Interleave the ECUs' frames in a random order, each stream in sequence.
            let mut lines = Vec::new();
            let mut order: Vec<usize> = Vec::new();
            let mut picks = picks.into_iter().chain((0..per_ecu.len()).cycle().take(4096));
            while queues.iter().any(|q| !q.is_empty()) {
                let Some(i) = picks.next() else { break };
                let i = i % queues.len();
                if let Some(line) = queues[i].pop_front() {
                    if !order.contains(&i) { order.push(i); }
                    lines.push(line);
                }
            }
            let mut text = String::new();
            if echo { text.push_str(super::super::Command::ReadCodes(kind).text()); text.push('\r'); }
            for line in lines {
                text.push_str(&if spaces { line } else { line.replace(' ', "") });
                text.push_str(if crlf { "\r\n" } else { "\r" });
            }
            text.push_str("\r>");
            let expected: Vec<EcuCodes> = order
                .iter()
                .map(|&i| EcuCodes { ecu: headers[i].replace(' ', ""), codes: per_ecu[i].clone() })
                .collect();
            prop_assert_eq!(parse_codes(kind, &text), Ok(expected));
        }

        #[test]
        fn random_text_never_panics(text in any::<String>()) {
            let _ = parse_codes(CodeKind::Stored, &text);
            let _ = parse_clear(&text);
            let _ = super::super::parse_vin(&text);
        }

        #[test]
        fn random_hex_lines_never_panic(text in "[0-9A-F :\r\n>]{0,120}") {
            let _ = parse_codes(CodeKind::Pending, &text);
            let _ = super::super::parse_vin(&text);
        }

        #[test]
        fn a_garbage_line_makes_any_reply_an_error(
            codes in codes_strategy(),
            garbage in "[GHJKLMNPQRTUVWXYZ#%&*~][ -~]{0,30}",
            at in 0usize..8,
        ) {
            let mut lines = encode_can("7E8", 0x43, &codes);
            let at = at % (lines.len() + 1);
            lines.insert(at, garbage);
            let text = format!("{}\r\r>", lines.join("\r"));
            prop_assert!(parse_codes(CodeKind::Stored, &text).is_err());
        }
    }
}
