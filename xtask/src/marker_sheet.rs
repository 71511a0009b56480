//! `cargo xtask assets`, printable markers: an A4 sheet with the marker of
//! every overlay pack at its true size (`assets/markers/sheet.svg`, and
//! `sheet.png` at 300 dpi), plus a 100 mm bar to check the printer did not
//! scale the page.

use std::fmt::Write as _;
use std::path::Path;

use ridewire_ar::synthetic::marker_cell_is_white;

use crate::models::PACKS;
use crate::models::packs::Pack;
use ridewire_ar::overlay::{ANY_BIKE_MARKER_ID, ANY_BIKE_MARKER_PLACEMENT, ANY_BIKE_MARKER_SIZE_M};

/// The markers on the sheet: each bundled pack's, then the one for any
/// other bike (no model set yet: the scanner shows the marker and axes).
fn sheet() -> Vec<Pack> {
    let mut all = PACKS.to_vec();
    all.push(Pack {
        vehicle: "any",
        name: "Any other bike",
        marker_id: u32::from(ANY_BIKE_MARKER_ID),
        marker_size_m: ANY_BIKE_MARKER_SIZE_M as f32,
        marker_placement: ANY_BIKE_MARKER_PLACEMENT,
        components: &[],
    });
    all
}

/// A4 portrait, millimetres.
const PAGE_MM: (f64, f64) = (210.0, 297.0);
/// Print resolution of the PNG.
const DPI: f64 = 300.0;
/// Cells across a marker, border included (4×4 data bits + 1 border each side).
const CELLS: usize = 6;
/// Where each marker's top-left corner goes, millimetres from the page's.
fn slot(k: usize) -> (f64, f64) {
    (25.0 + 90.0 * (k % 2) as f64, 40.0 + 110.0 * (k / 2) as f64)
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The sheet as SVG, sized in millimetres so it prints at true size.
pub fn svg() -> String {
    let (w, h) = PAGE_MM;
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}mm\" height=\"{h}mm\" \
         viewBox=\"0 0 {w} {h}\">\n<rect width=\"{w}\" height=\"{h}\" fill=\"#fff\"/>\n\
         <text x=\"20\" y=\"20\" font-family=\"sans-serif\" font-size=\"6\">RideWire markers \
         (ArUco DICT_4X4_50). Print at 100 %, no scaling.</text>\n"
    );
    for (k, pack) in sheet().iter().enumerate() {
        let (x0, y0) = slot(k);
        let side = f64::from(pack.marker_size_m) * 1000.0;
        let cell = side / CELLS as f64;
        let _ = writeln!(
            out,
            "<rect x=\"{:.3}\" y=\"{:.3}\" width=\"{side:.3}\" height=\"{side:.3}\" fill=\"#000\"/>",
            x0, y0
        );
        for row in 0..CELLS {
            for col in 0..CELLS {
                if marker_cell_is_white(pack.marker_id as u16, row, col) {
                    let _ = writeln!(
                        out,
                        "<rect x=\"{:.3}\" y=\"{:.3}\" width=\"{cell:.3}\" height=\"{cell:.3}\" fill=\"#fff\"/>",
                        x0 + col as f64 * cell,
                        y0 + row as f64 * cell
                    );
                }
            }
        }
        let label_y = y0 + side + 7.0;
        let _ = writeln!(
            out,
            "<text x=\"{x0}\" y=\"{label_y:.1}\" font-family=\"sans-serif\" font-size=\"4\">ID {} · {:.0} mm · {}</text>",
            pack.marker_id,
            side,
            escape(pack.name)
        );
        let _ = writeln!(
            out,
            "<text x=\"{x0}\" y=\"{:.1}\" font-family=\"sans-serif\" font-size=\"3\">Stick on: {}</text>",
            label_y + 5.0,
            escape(&pack.marker_placement.chars().take(60).collect::<String>())
        );
    }
    let _ = writeln!(
        out,
        "<rect x=\"25\" y=\"270\" width=\"100\" height=\"2\" fill=\"#000\"/>\n\
         <text x=\"25\" y=\"280\" font-family=\"sans-serif\" font-size=\"4\">This bar is 100 mm long \
         when printed at true size.</text>\n</svg>"
    );
    out
}

/// The same sheet as a 300 dpi greyscale PNG (markers and bar, no text).
pub fn png() -> Result<Vec<u8>, String> {
    let px = |mm: f64| (mm / 25.4 * DPI).round() as usize;
    let (w, h) = (px(PAGE_MM.0), px(PAGE_MM.1));
    let mut pixels = vec![255u8; w * h];
    let mut fill = |x0: usize, y0: usize, x1: usize, y1: usize, v: u8| {
        for y in y0..y1.min(h) {
            pixels[y * w + x0.min(w)..y * w + x1.min(w)].fill(v);
        }
    };
    for (k, pack) in sheet().iter().enumerate() {
        let (x0, y0) = slot(k);
        let side = f64::from(pack.marker_size_m) * 1000.0;
        let cell = side / CELLS as f64;
        for row in 0..CELLS {
            for col in 0..CELLS {
                let v = if marker_cell_is_white(pack.marker_id as u16, row, col) {
                    255
                } else {
                    0
                };
                let (cx, cy) = (x0 + col as f64 * cell, y0 + row as f64 * cell);
                fill(px(cx), px(cy), px(cx + cell), px(cy + cell), v);
            }
        }
    }
    fill(px(25.0), px(270.0), px(125.0), px(272.0), 0);
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, w as u32, h as u32);
    encoder.set_color(png::ColorType::Grayscale);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.set_compression(png::Compression::High);
    // Physical size, so image viewers print it at 300 dpi.
    let per_metre = (DPI / 0.0254).round() as u32;
    encoder.set_pixel_dims(Some(png::PixelDimensions {
        xppu: per_metre,
        yppu: per_metre,
        unit: png::Unit::Meter,
    }));
    let mut writer = encoder
        .write_header()
        .map_err(|e| format!("marker sheet: {e}"))?;
    writer
        .write_image_data(&pixels)
        .map_err(|e| format!("marker sheet: {e}"))?;
    writer.finish().map_err(|e| format!("marker sheet: {e}"))?;
    Ok(out)
}

/// Writes `assets/markers/sheet.svg` and `sheet.png`.
pub fn write(root: &Path) -> Result<(), String> {
    let dir = root.join("assets").join("markers");
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let svg_path = dir.join("sheet.svg");
    std::fs::write(&svg_path, svg()).map_err(|e| format!("{}: {e}", svg_path.display()))?;
    let png_path = dir.join("sheet.png");
    std::fs::write(&png_path, png()?).map_err(|e| format!("{}: {e}", png_path.display()))?;
    eprintln!("wrote {} and {}", svg_path.display(), png_path.display());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_checked_in_sheet_is_what_xtask_assets_draws() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../assets/markers");
        assert!(
            std::fs::read_to_string(dir.join("sheet.svg")).ok() == Some(svg()),
            "sheet.svg is stale: run `cargo xtask assets`"
        );
        assert!(
            std::fs::read(dir.join("sheet.png")).ok() == png().ok(),
            "sheet.png is stale: run `cargo xtask assets`"
        );
    }

    #[test]
    fn the_printed_sheet_is_found_by_the_tracker_with_the_right_ids() {
        // Scan the 300 dpi page as a camera would see it face-on.
        let bytes = png().expect("png");
        let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
        let mut reader = decoder.read_info().expect("header");
        let mut buf = vec![0; reader.output_buffer_size().expect("size")];
        let info = reader.next_frame(&mut buf).expect("frame");
        // A quarter of the resolution keeps the test quick.
        let (w, h) = (info.width as usize / 4, info.height as usize / 4);
        let mut small = vec![0u8; w * h];
        for y in 0..h {
            for x in 0..w {
                small[y * w + x] = buf[(y * 4) * info.width as usize + x * 4];
            }
        }
        let image = ridewire_ar::LumaImage::from_pixels(w, h, small).expect("image");
        let mut ids: Vec<u16> = ridewire_ar::Detector::new(Default::default())
            .detect(&image)
            .iter()
            .map(|m| m.id)
            .collect();
        ids.sort_unstable();
        let mut expected: Vec<u16> = sheet().iter().map(|p| p.marker_id as u16).collect();
        expected.sort_unstable();
        assert_eq!(ids, expected);
        // True size: 80 mm at 300 dpi is 945 px; at quarter scale ~236 px.
        assert!(svg().contains("width=\"210mm\""));
    }
}
