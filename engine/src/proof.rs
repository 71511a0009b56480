//! Location-proof checks (SPEC: within 50 m of the quest zone with an
//! accuracy of 15 m or better; no travel faster than 100 km/h between proofs;
//! several submissions within one second are an anomaly), and what a photo
//! proof says about its picture.

use serde::{Deserialize, Serialize};

pub use crate::geo::GeoPoint;
use crate::quest::Zone;

/// How far outside a zone's radius a proof may be.
pub const MAX_DISTANCE_M: f64 = 50.0;
/// The worst GPS accuracy accepted.
pub const MAX_ACCURACY_M: f64 = 15.0;
/// The fastest believable travel between two proofs.
pub const MAX_SPEED_KMH: f64 = 100.0;
/// Submissions closer together than this are a burst.
pub const BURST_WINDOW_MS: i64 = 1_000;

/// A location fix the rider submits as proof of being at the quest's zone.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LocationProof {
    pub at: GeoPoint,
    /// Reported horizontal accuracy (radius, metres).
    pub accuracy_m: f64,
}

/// Something wrong or suspicious about a proof.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "flag")]
pub enum ProofFlag {
    /// Coordinates or accuracy are not numbers on the globe.
    Malformed,
    /// The zone has no real-world location to check against.
    ZoneHasNoLocation,
    /// Further than [`MAX_DISTANCE_M`] outside the zone.
    TooFar { distance_m: f64 },
    /// Accuracy worse than [`MAX_ACCURACY_M`].
    Inaccurate { accuracy_m: f64 },
    /// Travel from the previous proof would need more than [`MAX_SPEED_KMH`].
    ImpossibleSpeed { distance_m: f64, elapsed_ms: u64 },
    /// Another submission less than [`BURST_WINDOW_MS`] before this one.
    Burst,
}

impl ProofFlag {
    /// For [`ProofFlag::ImpossibleSpeed`], the speed it implies (infinite for no time at all).
    pub fn kmh(&self) -> Option<f64> {
        match self {
            ProofFlag::ImpossibleSpeed {
                distance_m,
                elapsed_ms,
            } => Some(distance_m / 1000.0 / (*elapsed_ms as f64 / 3_600_000.0)),
            _ => None,
        }
    }

    /// Whether the flag makes the proof fail; a burst only lowers trust.
    pub fn rejects(&self) -> bool {
        !matches!(self, ProofFlag::Burst)
    }
}

/// The largest photo a proof may name, in bytes of JPEG.
pub const MAX_PHOTO_BYTES: u32 = 512 * 1024;
/// The longest side of a photo proof, in pixels.
pub const MAX_PHOTO_SIDE: u32 = 1600;

/// A photo of the work, as its proof event names it. The picture itself is
/// too big for the event log: it travels apart (the app keeps it, the server
/// stores it under the rider's account) and the event carries its SHA-256,
/// so nobody can swap it afterwards. Time and place are there only when the
/// rider allowed them; nothing else of the camera's metadata survives.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PhotoProof {
    /// SHA-256 of the JPEG, 64 lowercase hex digits.
    pub sha256: String,
    /// Size of the JPEG.
    pub bytes: u32,
    pub width: u32,
    pub height: u32,
    /// When it was taken (Unix ms), if the rider shares that.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub taken_ms: Option<i64>,
    /// Where it was taken, if the rider shares that.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<GeoPoint>,
}

impl PhotoProof {
    /// Whether the photo's description is one the app can have made: a
    /// well-formed digest, within the size limits, a real place if any.
    pub fn is_well_formed(&self) -> bool {
        is_sha256_hex(&self.sha256)
            && (1..=MAX_PHOTO_BYTES).contains(&self.bytes)
            && (1..=MAX_PHOTO_SIDE).contains(&self.width)
            && (1..=MAX_PHOTO_SIDE).contains(&self.height)
            && self.at.is_none_or(|p| p.is_valid())
    }
}

/// Whether `text` is a SHA-256 digest written as 64 lowercase hex digits.
pub fn is_sha256_hex(text: &str) -> bool {
    text.len() == 64 && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// The outcome of checking one proof.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProofVerdict {
    pub flags: Vec<ProofFlag>,
}

impl ProofVerdict {
    /// Whether the proof counts.
    pub fn accepted(&self) -> bool {
        !self.flags.iter().any(ProofFlag::rejects)
    }

    /// Whether the proof counts but was flagged as an anomaly.
    pub fn anomalous(&self) -> bool {
        self.flags.contains(&ProofFlag::Burst)
    }
}

/// The previous submission of the same rider, needed for speed and burst checks.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PreviousProof {
    pub at: GeoPoint,
    pub at_ms: i64,
}

/// Checks a proof submitted at `at_ms` against its zone and the previous proof.
pub fn check_location(
    proof: &LocationProof,
    at_ms: i64,
    zone: &Zone,
    previous: Option<&PreviousProof>,
) -> ProofVerdict {
    let mut flags = Vec::new();
    if !proof.at.is_valid() || !proof.accuracy_m.is_finite() || proof.accuracy_m < 0.0 {
        flags.push(ProofFlag::Malformed);
        return ProofVerdict { flags };
    }
    if proof.accuracy_m > MAX_ACCURACY_M {
        flags.push(ProofFlag::Inaccurate {
            accuracy_m: proof.accuracy_m,
        });
    }
    match zone.location {
        Some(centre) if centre.is_valid() => {
            let outside = proof.at.distance_m(&centre) - zone.radius_m;
            if outside > MAX_DISTANCE_M {
                flags.push(ProofFlag::TooFar {
                    distance_m: outside,
                });
            }
        }
        _ => flags.push(ProofFlag::ZoneHasNoLocation),
    }
    if let Some(prev) = previous {
        let dt_ms = at_ms - prev.at_ms;
        if dt_ms.abs() < BURST_WINDOW_MS {
            flags.push(ProofFlag::Burst);
        }
        let metres = proof.at.distance_m(&prev.at);
        // Within one accuracy radius counts as not having moved.
        if metres > MAX_ACCURACY_M {
            let elapsed_ms = dt_ms.unsigned_abs();
            // metres / ms > km/h limit, without dividing by zero.
            if metres * 3_600.0 > MAX_SPEED_KMH * elapsed_ms as f64 {
                flags.push(ProofFlag::ImpossibleSpeed {
                    distance_m: metres,
                    elapsed_ms,
                });
            }
        }
    }
    ProofVerdict { flags }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::quest::ZoneId;

    fn garage() -> Zone {
        Zone {
            id: ZoneId::new("garage").expect("id"),
            name: "Garage".into(),
            location: Some(GeoPoint {
                lat: 52.520008,
                lon: 13.404954,
            }),
            radius_m: 20.0,
            bonus_per_mille: 1000,
        }
    }

    /// A point `metres` north of the garage centre.
    fn north(metres: f64) -> GeoPoint {
        GeoPoint {
            lat: 52.520008 + metres / 111_195.0,
            lon: 13.404954,
        }
    }

    fn proof(at: GeoPoint, accuracy_m: f64) -> LocationProof {
        LocationProof { at, accuracy_m }
    }

    #[test]
    fn distance_limit_is_fifty_metres_outside_the_zone() {
        let z = garage();
        assert!(check_location(&proof(north(69.0), 5.0), 0, &z, None).accepted());
        let far = check_location(&proof(north(71.0), 5.0), 0, &z, None);
        assert!(!far.accepted());
        assert!(
            matches!(far.flags[0], ProofFlag::TooFar { distance_m } if (distance_m - 51.0).abs() < 0.5)
        );
    }

    #[test]
    fn accuracy_limit_is_fifteen_metres() {
        let z = garage();
        assert!(check_location(&proof(north(0.0), 15.0), 0, &z, None).accepted());
        let v = check_location(&proof(north(0.0), 15.5), 0, &z, None);
        assert_eq!(v.flags, vec![ProofFlag::Inaccurate { accuracy_m: 15.5 }]);
    }

    #[test]
    fn faster_than_100_kmh_is_impossible() {
        let z = garage();
        // 10 km in 5 minutes = 120 km/h.
        let prev = PreviousProof {
            at: north(10_000.0),
            at_ms: 0,
        };
        let v = check_location(&proof(north(0.0), 5.0), 300_000, &z, Some(&prev));
        assert!(!v.accepted());
        assert!(matches!(v.flags[0], ProofFlag::ImpossibleSpeed { .. }));
        assert!((v.flags[0].kmh().expect("speed") - 120.0).abs() < 1.0);
        // The same distance in 7 minutes is about 86 km/h.
        assert!(check_location(&proof(north(0.0), 5.0), 420_000, &z, Some(&prev)).accepted());
    }

    #[test]
    fn submissions_within_a_second_are_a_burst() {
        let z = garage();
        let prev = PreviousProof {
            at: north(0.0),
            at_ms: 1_000,
        };
        let v = check_location(&proof(north(1.0), 5.0), 1_999, &z, Some(&prev));
        assert!(v.accepted() && v.anomalous());
        let v = check_location(&proof(north(1.0), 5.0), 2_000, &z, Some(&prev));
        assert!(!v.anomalous());
    }

    fn photo() -> PhotoProof {
        PhotoProof {
            sha256: "ab".repeat(32),
            bytes: 80_000,
            width: 1600,
            height: 1200,
            taken_ms: None,
            at: None,
        }
    }

    #[test]
    fn a_photo_proof_names_a_digest_and_sizes_within_the_limits() {
        assert!(photo().is_well_formed());
        for broken in [
            PhotoProof {
                sha256: "AB".repeat(32),
                ..photo()
            },
            PhotoProof {
                sha256: "ab".repeat(31),
                ..photo()
            },
            PhotoProof {
                bytes: MAX_PHOTO_BYTES + 1,
                ..photo()
            },
            PhotoProof {
                width: MAX_PHOTO_SIDE + 1,
                ..photo()
            },
            PhotoProof {
                height: 0,
                ..photo()
            },
            PhotoProof {
                at: Some(GeoPoint {
                    lat: 91.0,
                    lon: 0.0,
                }),
                ..photo()
            },
        ] {
            assert!(!broken.is_well_formed(), "{broken:?}");
        }
    }

    #[test]
    fn malformed_and_unlocated() {
        let z = garage();
        let v = check_location(
            &proof(
                GeoPoint {
                    lat: f64::NAN,
                    lon: 0.0,
                },
                5.0,
            ),
            0,
            &z,
            None,
        );
        assert_eq!(v.flags, vec![ProofFlag::Malformed]);
        let mut nowhere = garage();
        nowhere.location = None;
        assert!(!check_location(&proof(north(0.0), 5.0), 0, &nowhere, None).accepted());
    }
}
