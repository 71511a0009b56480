//! One line of data as a frame, and frames reassembled into messages.
//!
//! Lines are told apart by shape: a three-digit header is 11-bit CAN,
//! `18 DA F1 xx` is 29-bit CAN, `48 6B xx` / `8x F1 xx` is K-line or J1850
//! with header and checksum, anything else is a header-less line.

use super::Elm327Error;

/// One reply from one ECU, starting with the response byte (mode + 0x40).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Message {
    /// The ECU's header or address; empty when the adapter shows no headers.
    pub ecu: String,
    /// The payload: response byte first, no header, PCI or checksum.
    pub data: Vec<u8>,
    /// How it travelled, which decides how mode 03/07 counts its codes.
    pub framing: Framing,
}

/// How a message travelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Framing {
    /// CAN (ISO-TP): mode 03/07 replies carry a code count.
    Can,
    /// One line of K-line/J1850, or of CAN with headers off; mode 03/07
    /// replies of K-line carry three code slots and no count.
    Line,
}

pub(super) fn garbled(line: &str) -> Elm327Error {
    Elm327Error::Garbled {
        line: line.to_owned(),
    }
}

pub(super) fn bad_frame(ecu: &str, reason: impl Into<String>) -> Elm327Error {
    Elm327Error::BadFrame {
        ecu: ecu.to_owned(),
        reason: reason.into(),
    }
}

/// What one line of data is.
#[derive(Debug, PartialEq, Eq)]
enum Frame {
    /// A CAN frame with its header shown: PCI byte first.
    Can { ecu: String, bytes: Vec<u8> },
    /// A complete message on one line (K-line/J1850, or CAN without headers).
    Whole { ecu: String, data: Vec<u8> },
    /// Headers off, multi-frame: the adapter's `00E` total-length line.
    Length(usize),
    /// Headers off, multi-frame: the adapter's `1: ...` segment line.
    Segment { index: u8, bytes: Vec<u8> },
}

fn parse_line(line: &str) -> Result<Frame, Elm327Error> {
    if let Some((index, rest)) = line.split_once(':') {
        let index = index.trim();
        let index = match index.as_bytes() {
            [d] if d.is_ascii_hexdigit() => {
                u8::from_str_radix(index, 16).map_err(|_| garbled(line))?
            }
            _ => return Err(garbled(line)),
        };
        let bytes =
            hex_pairs(&rest.split_whitespace().collect::<String>()).ok_or_else(|| garbled(line))?;
        return Ok(Frame::Segment { index, bytes });
    }
    if !line
        .chars()
        .all(|c| c.is_ascii_hexdigit() || c == ' ' || c == '\t')
    {
        return Err(garbled(line));
    }
    let tokens: Vec<&str> = line.split_whitespace().collect();
    let (header, hex) = match tokens.as_slice() {
        [only] if only.len() == 3 => {
            let total = usize::from_str_radix(only, 16).map_err(|_| garbled(line))?;
            return Ok(Frame::Length(total));
        }
        // Spaces off: an 11-bit header is three digits, so the line is odd.
        [only] if only.len() % 2 == 1 && only.len() > 3 => (Some(&only[..3]), only[3..].to_owned()),
        [only] => (None, (*only).to_owned()),
        [first, rest @ ..] if first.len() == 3 => {
            if rest.iter().any(|t| t.len() != 2) {
                return Err(garbled(line));
            }
            (Some(*first), rest.concat())
        }
        _ => {
            if tokens.iter().any(|t| t.len() != 2) {
                return Err(garbled(line));
            }
            (None, tokens.concat())
        }
    };
    let bytes = hex_pairs(&hex).ok_or_else(|| garbled(line))?;
    if let Some(header) = header {
        if bytes.is_empty() {
            return Err(garbled(line));
        }
        return Ok(Frame::Can {
            ecu: header.to_ascii_uppercase(),
            bytes,
        });
    }
    Ok(classify(bytes))
}

/// Tells a 29-bit CAN frame, a K-line/J1850 line with header and checksum,
/// and a header-less line apart by their first bytes.
fn classify(bytes: Vec<u8>) -> Frame {
    match bytes.as_slice() {
        // ISO 15765-4 29-bit physical response IDs are 18 DA F1 xx.
        [0x18, 0xDA, 0xF1, _, _, ..] => Frame::Can {
            ecu: hex_string(&bytes[..4]),
            bytes: bytes[4..].to_vec(),
        },
        // J1850 (41 6B / 48 6B), ISO 9141 (48 6B), KWP (8x F1): three header
        // bytes, the payload, one checksum byte the adapter already checked.
        [b0, b1, source, sid, .., _checksum]
            if is_response(*sid)
                && ((*b1 == 0x6B && matches!(b0, 0x41 | 0x48))
                    || (*b1 == 0xF1 && b0 & 0x80 != 0)) =>
        {
            Frame::Whole {
                ecu: format!("{source:02X}"),
                data: bytes[3..bytes.len() - 1].to_vec(),
            }
        }
        _ => Frame::Whole {
            ecu: String::new(),
            data: bytes,
        },
    }
}

fn is_response(byte: u8) -> bool {
    byte == 0x7F || (0x41..=0x4A).contains(&byte)
}

fn hex_pairs(hex: &str) -> Option<Vec<u8>> {
    if !hex.len().is_multiple_of(2) || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).ok())
        .collect()
}

fn hex_string(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

/// A multi-frame message being put together.
#[derive(Debug)]
struct Partial {
    ecu: String,
    first_seen: usize,
    expected: usize,
    next_seq: u8,
    data: Vec<u8>,
}

impl Partial {
    /// Adds a consecutive frame's bytes; true once the message is whole.
    fn extend(&mut self, seq: u8, bytes: &[u8]) -> Result<bool, Elm327Error> {
        if seq != self.next_seq {
            return Err(Elm327Error::FrameSequence {
                ecu: self.ecu.clone(),
                expected: self.next_seq,
                got: seq,
            });
        }
        self.next_seq = (self.next_seq + 1) & 0x0F;
        let room = self.expected - self.data.len();
        // The last frame is padded to eight bytes; the padding is not data.
        self.data.extend(bytes.iter().take(room));
        Ok(self.data.len() == self.expected)
    }

    fn incomplete(&self) -> Elm327Error {
        Elm327Error::Incomplete {
            ecu: self.ecu.clone(),
            expected: self.expected,
            got: self.data.len(),
        }
    }
}

/// Collects frames into messages, each ECU's ISO-TP stream on its own.
#[derive(Debug, Default)]
pub(super) struct Assembler {
    done: Vec<(usize, Message)>,
    open: Vec<Partial>,
    /// Headers off: the adapter's own numbered segments (one ECU at a time).
    segments: Option<Partial>,
}

impl Assembler {
    /// Reads the `index`th line of a reply as a frame and adds it.
    pub(super) fn push_line(&mut self, index: usize, line: &str) -> Result<(), Elm327Error> {
        let frame = parse_line(line)?;
        self.push(index, frame)
    }

    fn push(&mut self, index: usize, frame: Frame) -> Result<(), Elm327Error> {
        match frame {
            Frame::Can { ecu, bytes } => self.push_can(index, ecu, &bytes),
            Frame::Whole { ecu, data } => {
                let message = Message {
                    ecu,
                    data,
                    framing: Framing::Line,
                };
                self.done.push((index, message));
                Ok(())
            }
            Frame::Length(total) => {
                if let Some(open) = &self.segments {
                    return Err(open.incomplete());
                }
                self.segments = Some(Partial {
                    ecu: String::new(),
                    first_seen: index,
                    expected: total,
                    next_seq: 0,
                    data: Vec::with_capacity(total),
                });
                Ok(())
            }
            Frame::Segment { index: seq, bytes } => {
                let Some(open) = self.segments.as_mut() else {
                    return Err(bad_frame(
                        "",
                        "numbered segment without the length line before it",
                    ));
                };
                if open.extend(seq, &bytes)?
                    && let Some(whole) = self.segments.take()
                {
                    self.complete(whole);
                }
                Ok(())
            }
        }
    }

    fn push_can(&mut self, index: usize, ecu: String, bytes: &[u8]) -> Result<(), Elm327Error> {
        let Some((&pci, rest)) = bytes.split_first() else {
            return Err(bad_frame(&ecu, "frame without a PCI byte"));
        };
        let open = self.open.iter().position(|p| p.ecu == ecu);
        match pci >> 4 {
            0x0 => {
                if let Some(i) = open {
                    return Err(self.open[i].incomplete());
                }
                let len = usize::from(pci & 0x0F);
                if len == 0 || len > rest.len() {
                    return Err(bad_frame(
                        &ecu,
                        format!(
                            "single frame announces {len} bytes but carries {}",
                            rest.len()
                        ),
                    ));
                }
                let data = rest[..len].to_vec();
                self.done.push((
                    index,
                    Message {
                        ecu,
                        data,
                        framing: Framing::Can,
                    },
                ));
                Ok(())
            }
            0x1 => {
                if let Some(i) = open {
                    return Err(self.open[i].incomplete());
                }
                let Some((&low, data)) = rest.split_first() else {
                    return Err(bad_frame(&ecu, "first frame without its length"));
                };
                let expected = (usize::from(pci & 0x0F) << 8) | usize::from(low);
                if expected < 8 {
                    return Err(bad_frame(
                        &ecu,
                        format!("first frame announces only {expected} bytes"),
                    ));
                }
                self.open.push(Partial {
                    ecu,
                    first_seen: index,
                    expected,
                    next_seq: 1,
                    data: data.iter().copied().take(expected).collect(),
                });
                Ok(())
            }
            0x2 => {
                let Some(i) = open else {
                    return Err(bad_frame(&ecu, "consecutive frame without a first frame"));
                };
                if self.open[i].extend(pci & 0x0F, rest)? {
                    let whole = self.open.remove(i);
                    self.complete(whole);
                }
                Ok(())
            }
            0x3 => Err(bad_frame(
                &ecu,
                "flow-control frame where an answer was due",
            )),
            other => Err(bad_frame(&ecu, format!("unknown frame type {other:X}"))),
        }
    }

    fn complete(&mut self, whole: Partial) {
        let message = Message {
            ecu: whole.ecu,
            data: whole.data,
            framing: Framing::Can,
        };
        self.done.push((whole.first_seen, message));
    }

    pub(super) fn finish(self) -> Result<Vec<(usize, Message)>, Elm327Error> {
        if let Some(open) = self.open.first().or(self.segments.as_ref()) {
            return Err(open.incomplete());
        }
        Ok(self.done)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_are_told_apart_by_shape() {
        assert_eq!(
            parse_line("7E80243000000000000"),
            Ok(Frame::Can {
                ecu: "7E8".into(),
                bytes: vec![0x02, 0x43, 0, 0, 0, 0, 0, 0]
            })
        );
        assert_eq!(
            parse_line("18 DA F1 10 02 43 00"),
            Ok(Frame::Can {
                ecu: "18DAF110".into(),
                bytes: vec![0x02, 0x43, 0x00]
            })
        );
        assert_eq!(
            parse_line("86 F1 11 43 01 33 00 00 00 00 E0"),
            Ok(Frame::Whole {
                ecu: "11".into(),
                data: vec![0x43, 0x01, 0x33, 0, 0, 0, 0]
            })
        );
        assert_eq!(parse_line("014"), Ok(Frame::Length(0x14)));
        assert_eq!(
            parse_line("2: 48 44 31"),
            Ok(Frame::Segment {
                index: 2,
                bytes: vec![0x48, 0x44, 0x31]
            })
        );
        for bad in [
            "7E8 0 43",
            "43 0G",
            "ELM? 43",
            "7E8 06 433 02",
            "12: 00",
            "\u{fffd}43",
        ] {
            assert!(
                matches!(parse_line(bad), Err(Elm327Error::Garbled { .. })),
                "{bad}"
            );
        }
    }
}
