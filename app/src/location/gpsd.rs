//! A client for gpsd, the GPS daemon: its JSON protocol over TCP, blocking
//! with deadlines. `?WATCH` asks for reports; each report is one line of
//! JSON, and the position reports (`TPV`) become [`Fix`]es.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

use ridewire_engine::geo::GeoPoint;
use ridewire_engine::proof::MAX_ACCURACY_M;
use serde_json::Value;

use super::{Fix, LocationError};

/// Where gpsd listens unless told otherwise.
pub const DEFAULT_GPSD: &str = "127.0.0.1:2947";

/// gpsd's port, for an address given without one.
const DEFAULT_PORT: u16 = 2947;

/// Turns on JSON reports for this connection.
const WATCH: &[u8] = b"?WATCH={\"enable\":true,\"json\":true};\n";

/// The longest report taken (a `SKY` with many satellites is a few KiB);
/// anything longer is not gpsd.
const MAX_LINE: usize = 64 * 1024;

/// One report from gpsd, as far as a location proof cares.
#[derive(Debug, Clone, PartialEq)]
pub enum Report {
    /// A position with its accuracy (`TPV`, mode 2 or 3).
    Fix(Fix),
    /// A position report without a position (`TPV`, mode 0 or 1).
    NoFix,
    /// A position without any accuracy estimate.
    NoAccuracy,
    /// The receivers gpsd reads (`DEVICES`), how many.
    Devices(usize),
    /// gpsd's answer to `?WATCH`.
    Watch,
    /// gpsd refused what we sent (`ERROR`).
    Error(String),
    /// Anything else (`VERSION`, `SKY`, ...).
    Other,
}

/// Reads one line of gpsd's JSON; `Err` says why it is not a report.
pub fn parse_report(line: &str) -> Result<Report, String> {
    let value: Value =
        serde_json::from_str(line).map_err(|e| format!("not a JSON report ({e})"))?;
    let class = value
        .get("class")
        .and_then(Value::as_str)
        .ok_or("a report without a class")?;
    Ok(match class {
        "TPV" => position(&value),
        "DEVICES" => Report::Devices(
            value
                .get("devices")
                .and_then(Value::as_array)
                .map_or(0, Vec::len),
        ),
        "WATCH" => Report::Watch,
        "ERROR" => Report::Error(
            value
                .get("message")
                .and_then(Value::as_str)
                .unwrap_or("an error without a message")
                .to_owned(),
        ),
        _ => Report::Other,
    })
}

fn number(value: &Value, key: &str) -> Option<f64> {
    value
        .get(key)
        .and_then(Value::as_f64)
        .filter(|v| v.is_finite())
}

/// A `TPV`: mode 2 (2D) or 3 (3D) with coordinates is a fix. Its accuracy
/// is `eph`, else the larger of the per-axis errors `epx` and `epy`.
fn position(tpv: &Value) -> Report {
    let mode = tpv.get("mode").and_then(Value::as_u64).unwrap_or(0);
    let (Some(lat), Some(lon)) = (number(tpv, "lat"), number(tpv, "lon")) else {
        return Report::NoFix;
    };
    if mode < 2 {
        return Report::NoFix;
    }
    let accuracy_m =
        number(tpv, "eph").or_else(|| match (number(tpv, "epx"), number(tpv, "epy")) {
            (Some(x), Some(y)) => Some(x.max(y)),
            (x, y) => x.or(y),
        });
    let Some(accuracy_m) = accuracy_m else {
        return Report::NoAccuracy;
    };
    let time_ms = tpv
        .get("time")
        .and_then(Value::as_str)
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.timestamp_millis());
    Report::Fix(Fix {
        at: GeoPoint { lat, lon },
        accuracy_m,
        speed_mps: number(tpv, "speed"),
        time_ms,
    })
}

/// `host:port`, with gpsd's port when only a host is given.
fn with_port(at: &str) -> String {
    let has_port = match at.rsplit_once(':') {
        // `[::1]:2947`, or `host:2947` (a bare IPv6 address has more colons).
        Some((host, port)) => {
            port.parse::<u16>().is_ok() && (host.ends_with(']') || !host.contains(':'))
        }
        None => false,
    };
    if has_port {
        at.to_owned()
    } else if at.contains(':') && !at.starts_with('[') {
        format!("[{at}]:{DEFAULT_PORT}")
    } else {
        format!("{at}:{DEFAULT_PORT}")
    }
}

/// A fix for a location proof from the gpsd at `at`: connects and takes
/// [`Gpsd::fix_for_proof`], waiting at most `wait` for each.
pub fn proof_fix(at: &str, wait: Duration) -> Result<Fix, LocationError> {
    Gpsd::connect(at, wait).and_then(|mut gpsd| gpsd.fix_for_proof(wait))
}

/// The next fix from the gpsd at `at`, whatever its accuracy (where a
/// photo was taken, not a proof), waiting at most `wait` for each step.
pub fn any_fix(at: &str, wait: Duration) -> Result<Fix, LocationError> {
    Gpsd::connect(at, wait).and_then(|mut gpsd| gpsd.next_fix(wait))
}

/// A watching connection to gpsd.
#[derive(Debug)]
pub struct Gpsd {
    at: String,
    reader: BufReader<TcpStream>,
    /// A report read only in part when a deadline passed.
    partial: Vec<u8>,
    /// How many receivers gpsd said it reads, once it has.
    receivers: Option<usize>,
}

impl Gpsd {
    /// Connects to gpsd at `at` (`host:port`, or a host for port 2947) and
    /// turns on its reports, waiting at most `wait` for each step. Reports
    /// made after this returns are the ones read.
    pub fn connect(at: &str, wait: Duration) -> Result<Self, LocationError> {
        let at = with_port(at);
        let no_daemon = |reason: String| LocationError::NoDaemon {
            at: at.clone(),
            reason,
        };
        let addresses: Vec<_> = at
            .to_socket_addrs()
            .map_err(|e| no_daemon(e.to_string()))?
            .collect();
        let mut last = no_daemon("the name has no address".to_owned());
        let mut stream = None;
        for address in addresses {
            match TcpStream::connect_timeout(&address, wait) {
                Ok(s) => {
                    stream = Some(s);
                    break;
                }
                Err(e) => last = no_daemon(e.to_string()),
            }
        }
        let mut stream = stream.ok_or(last)?;
        stream.set_write_timeout(Some(wait))?;
        stream.write_all(WATCH)?;
        let mut gpsd = Gpsd {
            at,
            reader: BufReader::new(stream),
            partial: Vec::new(),
            receivers: None,
        };
        let deadline = Instant::now() + wait;
        loop {
            match gpsd.next_report(deadline)? {
                Some(Report::Watch) => return Ok(gpsd),
                Some(Report::Error(message)) => return Err(gpsd.not_gpsd(message)),
                Some(_) => {}
                None => {
                    let waited = super::seconds(wait);
                    return Err(gpsd.not_gpsd(format!("no answer to ?WATCH within {waited}")));
                }
            }
        }
    }

    /// Where this gpsd is (`host:port`).
    pub fn address(&self) -> &str {
        &self.at
    }

    fn not_gpsd(&self, reason: String) -> LocationError {
        LocationError::NotGpsd {
            at: self.at.clone(),
            reason,
        }
    }

    /// The next fix gpsd reports, waiting at most `wait`.
    pub fn next_fix(&mut self, wait: Duration) -> Result<Fix, LocationError> {
        self.fix_before(Instant::now() + wait, wait)
    }

    /// A fix for a location proof: the first one accurate enough
    /// ([`MAX_ACCURACY_M`]) within `wait` (a receiver's first fixes are often
    /// rough), else the newest one when the wait is over.
    pub fn fix_for_proof(&mut self, wait: Duration) -> Result<Fix, LocationError> {
        let deadline = Instant::now() + wait;
        let mut newest = None;
        loop {
            match self.fix_before(deadline, wait) {
                Ok(fix) if fix.accuracy_m <= MAX_ACCURACY_M => return Ok(fix),
                Ok(fix) => newest = Some(fix),
                Err(e @ (LocationError::NoFix { .. } | LocationError::NoAccuracy)) => {
                    return newest.ok_or(e);
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// The next fix before `deadline`; `wait` is what the rider is told was
    /// waited when none comes.
    fn fix_before(&mut self, deadline: Instant, wait: Duration) -> Result<Fix, LocationError> {
        let mut without_accuracy = false;
        loop {
            match self.next_report(deadline)? {
                Some(Report::Fix(fix)) => return Ok(fix),
                Some(Report::NoAccuracy) => without_accuracy = true,
                Some(Report::Devices(n)) => self.receivers = Some(n),
                Some(Report::Error(message)) => return Err(self.not_gpsd(message)),
                Some(Report::NoFix | Report::Watch | Report::Other) => {}
                None if without_accuracy => return Err(LocationError::NoAccuracy),
                None if self.receivers == Some(0) => {
                    return Err(LocationError::NoReceiver {
                        at: self.at.clone(),
                    });
                }
                None => return Err(LocationError::NoFix { waited: wait }),
            }
        }
    }

    /// The next report before `deadline`, `None` when it passes.
    fn next_report(&mut self, deadline: Instant) -> Result<Option<Report>, LocationError> {
        loop {
            let Some(line) = self.next_line(deadline)? else {
                return Ok(None);
            };
            if line.is_empty() {
                continue;
            }
            let report = parse_report(&line).map_err(|reason| self.not_gpsd(reason))?;
            if let Report::Devices(n) = report {
                self.receivers = Some(n);
            }
            return Ok(Some(report));
        }
    }

    /// The next line before `deadline`; a line cut off by the deadline is
    /// kept and finished by the next call.
    fn next_line(&mut self, deadline: Instant) -> Result<Option<String>, LocationError> {
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Ok(None);
            }
            // A zero timeout would mean "wait for ever".
            self.reader
                .get_ref()
                .set_read_timeout(Some(left.max(Duration::from_millis(1))))?;
            let room = MAX_LINE.saturating_sub(self.partial.len());
            if room == 0 {
                return Err(self.not_gpsd(format!("a report longer than {MAX_LINE} bytes")));
            }
            let read = (&mut self.reader)
                .take(room as u64)
                .read_until(b'\n', &mut self.partial);
            match read {
                Ok(0) => return Err(LocationError::Closed),
                Ok(_) if self.partial.ends_with(b"\n") => {
                    let line = std::mem::take(&mut self.partial);
                    return Ok(Some(String::from_utf8_lossy(&line).trim().to_owned()));
                }
                Ok(_) => {}
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock
                            | std::io::ErrorKind::TimedOut
                            | std::io::ErrorKind::Interrupted
                    ) => {}
                Err(e) => return Err(LocationError::Io(e)),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // What gpsd 3.22 sent for an NMEA receiver (trimmed).
    const TPV_3D: &str = r#"{"class":"TPV","device":"tcp://127.0.0.1:29470","mode":3,"time":"2026-03-02T09:00:02.000Z","ept":0.005,"lat":48.137108333,"lon":11.576123333,"altHAE":566.0000,"epv":25.300,"track":0.0000,"speed":6.431,"climb":0.000,"eph":51.300,"sep":26.600}"#;

    fn fix(line: &str) -> Fix {
        match parse_report(line) {
            Ok(Report::Fix(fix)) => fix,
            other => panic!("{line}: {other:?}"),
        }
    }

    #[test]
    fn a_3d_fix_has_its_place_accuracy_speed_and_time() {
        let f = fix(TPV_3D);
        assert_eq!(
            f.at,
            GeoPoint {
                lat: 48.137108333,
                lon: 11.576123333
            }
        );
        assert_eq!(f.accuracy_m, 51.3);
        assert_eq!(f.speed_mps, Some(6.431));
        assert_eq!(f.time_ms, Some(1_772_442_002_000));
    }

    #[test]
    fn without_eph_the_worse_axis_is_the_accuracy() {
        let f = fix(r#"{"class":"TPV","mode":2,"lat":1.5,"lon":2.5,"epx":4.0,"epy":9.5}"#);
        assert_eq!(f.accuracy_m, 9.5);
        assert_eq!((f.speed_mps, f.time_ms), (None, None));
        let one_axis = fix(r#"{"class":"TPV","mode":2,"lat":1.5,"lon":2.5,"epy":7.0}"#);
        assert_eq!(one_axis.accuracy_m, 7.0);
    }

    #[test]
    fn mode_1_or_no_coordinates_is_no_fix() {
        for line in [
            r#"{"class":"TPV","mode":1,"lat":1.0,"lon":2.0,"eph":3.0}"#,
            r#"{"class":"TPV","mode":0}"#,
            r#"{"class":"TPV","mode":3,"eph":3.0}"#,
            r#"{"class":"TPV","mode":3,"lat":1.0,"lon":"east","eph":3.0}"#,
        ] {
            assert_eq!(parse_report(line), Ok(Report::NoFix), "{line}");
        }
        assert_eq!(
            parse_report(r#"{"class":"TPV","mode":3,"lat":1.0,"lon":2.0}"#),
            Ok(Report::NoAccuracy)
        );
    }

    #[test]
    fn other_reports_and_junk() {
        assert_eq!(
            parse_report(
                r#"{"class":"DEVICES","devices":[{"class":"DEVICE","path":"/dev/ttyACM0"}]}"#
            ),
            Ok(Report::Devices(1))
        );
        assert_eq!(
            parse_report(r#"{"class":"DEVICES","devices":[]}"#),
            Ok(Report::Devices(0))
        );
        assert_eq!(
            parse_report(r#"{"class":"WATCH","enable":true}"#),
            Ok(Report::Watch)
        );
        assert_eq!(
            parse_report(r#"{"class":"ERROR","message":"Unrecognized request"}"#),
            Ok(Report::Error("Unrecognized request".into()))
        );
        assert_eq!(
            parse_report(r#"{"class":"VERSION","release":"3.22"}"#),
            Ok(Report::Other)
        );
        assert!(parse_report("HTTP/1.1 400 Bad Request").is_err());
        assert!(parse_report(r#"{"mode":3}"#).is_err());
    }

    #[test]
    fn an_address_without_a_port_gets_gpsds() {
        assert_eq!(with_port("127.0.0.1:2948"), "127.0.0.1:2948");
        assert_eq!(with_port("gps.local"), "gps.local:2947");
        assert_eq!(with_port("[::1]:3000"), "[::1]:3000");
        assert_eq!(with_port("::1"), "[::1]:2947");
    }
}
