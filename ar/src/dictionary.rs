//! The ArUco `DICT_4X4_50` dictionary, bit for bit as OpenCV defines it, so
//! markers printed by any standard generator are read with the same ids.

/// Marker codes of OpenCV's `DICT_4X4_50`, ids 0–49.
///
/// Where the values come from: OpenCV 5.0.0 (`opencv-contrib-python-headless`
/// 5.0.0.93); for each id, `cv2.aruco.generateImageMarker(dict, id, 6)` draws
/// the marker at one pixel per cell, and the inner 4×4 cells are read row by
/// row from the top-left, white = 1, most significant bit first. The script
/// is `ar/tests/opencv/dump_dictionary.py`.
pub const DICT_4X4_50: [u16; 50] = [
    46386, 3994, 13101, 39238, 21662, 31181, 40494, 50418, 65242, 53078, 63889, 4519, 3767, 10767,
    9393, 9790, 18021, 26112, 27742, 30383, 34443, 45099, 52437, 56706, 65095, 38001, 44260, 42324,
    8483, 13423, 17429, 22450, 40655, 61643, 2222, 2345, 6261, 1279, 3574, 7258, 5912, 10792,
    12940, 14514, 9448, 12011, 11583, 19300, 20526, 20499,
];

/// Data cells per side of a `DICT_4X4_50` marker (the black border adds one
/// cell on each side).
pub const MARKER_BITS: usize = 4;

/// Bits OpenCV's dictionary says can be corrected (`maxCorrectionBits`). The
/// closest two codes (any rotation) differ in 4 bits, so correcting one bit
/// never turns one marker into another.
pub const MAX_CORRECTION_BITS: u32 = 1;

/// The bit of a code for the cell at `row`, `col` (white = 1).
pub fn bit(code: u16, row: usize, col: usize) -> bool {
    (code >> (15 - (row * MARKER_BITS + col))) & 1 == 1
}

/// The code turned a quarter clockwise, as seen on the page.
pub fn rotate_clockwise(code: u16) -> u16 {
    let mut out = 0u16;
    for r in 0..MARKER_BITS {
        for c in 0..MARKER_BITS {
            // The new cell (r, c) shows what was at (3 - c, r).
            if bit(code, MARKER_BITS - 1 - c, r) {
                out |= 1 << (15 - (r * MARKER_BITS + c));
            }
        }
    }
    out
}

/// A code read from an image, matched to the dictionary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Match {
    /// Marker id (index into [`DICT_4X4_50`]).
    pub id: u16,
    /// How many quarter turns clockwise the read code must be turned to
    /// equal the dictionary's code.
    pub rotation: u8,
    /// Bits that differed (and were corrected).
    pub distance: u32,
}

/// Finds the dictionary marker closest to the read code over the four
/// rotations, accepting it only within `max_distance` differing bits.
pub fn identify(read: u16, max_distance: u32) -> Option<Match> {
    let mut best: Option<Match> = None;
    let mut turned = read;
    for rotation in 0..4u8 {
        for (id, &code) in DICT_4X4_50.iter().enumerate() {
            let distance = (turned ^ code).count_ones();
            if distance <= max_distance && best.is_none_or(|b| distance < b.distance) {
                best = Some(Match {
                    id: id as u16,
                    rotation,
                    distance,
                });
            }
        }
        turned = rotate_clockwise(turned);
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_marker_is_found_in_every_rotation() {
        for (id, &code) in DICT_4X4_50.iter().enumerate() {
            let mut seen = code;
            for turns in 0..4u8 {
                let m = identify(seen, 0).unwrap();
                assert_eq!(m.id as usize, id);
                // `seen` is the code turned `turns` times clockwise, so it
                // takes (4 - turns) % 4 more turns to come back.
                assert_eq!(m.rotation, (4 - turns) % 4);
                seen = rotate_clockwise(seen);
            }
        }
    }

    #[test]
    fn one_wrong_bit_is_corrected_and_never_confuses_markers() {
        for (id, &code) in DICT_4X4_50.iter().enumerate() {
            for b in 0..16 {
                let m = identify(code ^ (1 << b), MAX_CORRECTION_BITS).unwrap();
                assert_eq!((m.id as usize, m.distance), (id, 1));
            }
        }
    }

    #[test]
    fn four_turns_are_the_identity() {
        for &code in &DICT_4X4_50 {
            let back = (0..4).fold(code, |c, _| rotate_clockwise(c));
            assert_eq!(back, code);
        }
    }
}
