//! `ridewire plan`: a Markdown plan becomes an overworld as JSON and PNG.

use std::path::{Path, PathBuf};

use crate::picture::{Picture, ridewire};

const PLAN: &str = "\
# Street 750 upkeep

- [ ] Wash the bike

## Engine
- [x] Change the oil #easy
- [ ] Replace the oil filter
### Cooling
- [ ] Flush the coolant

## Chassis
- [ ] Adjust the chain
- [x] Check tyre pressure
";

/// Colours from `assets/tiles/README.md`'s tileset.
const ROAD_SURFACE: [u8; 3] = [204, 172, 116];
const PLANK: [u8; 3] = [156, 108, 60];
const AVAILABLE: [u8; 3] = [248, 208, 48];
const DONE: [u8; 3] = [64, 200, 96];

fn write_plan(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("write plan");
    path
}

fn plan(args: &[&str]) -> std::process::Output {
    let mut all = vec!["plan"];
    all.extend_from_slice(args);
    ridewire(&all)
}

fn s(path: &Path) -> &str {
    path.to_str().expect("UTF-8 temp path")
}

#[test]
fn a_plan_becomes_a_map_as_json_and_png() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = write_plan(dir.path(), "plan.md", PLAN.as_bytes());
    let (json, png) = (dir.path().join("map.json"), dir.path().join("map.png"));
    let out = plan(&[
        s(&file),
        "--json",
        s(&json),
        "--png",
        s(&png),
        "--seed",
        "7",
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.starts_with("3 milestones, map "), "{stdout}");
    assert!(stdout.contains("generated in"), "{stdout}");

    let map: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).expect("JSON written")).expect("JSON");
    let nodes = map["nodes"].as_array().expect("nodes");
    let titles: Vec<&str> = nodes
        .iter()
        .map(|n| n["title"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(titles, ["Wash the bike", "Engine", "Chassis"]);
    assert_eq!(map["seed"], 7);
    let (width, height) = (
        map["width"].as_u64().unwrap(),
        map["height"].as_u64().unwrap(),
    );

    let picture = Picture::load(&png);
    assert_eq!(
        (picture.width as u64, picture.height as u64),
        (width * 16, height * 16)
    );
    for node in nodes {
        let tx = node["tile"][0].as_u64().unwrap() as u32 * 16;
        let ty = node["tile"][1].as_u64().unwrap() as u32 * 16;
        let marker = if node["done"].as_bool().unwrap() {
            DONE
        } else {
            AVAILABLE
        };
        assert_eq!(picture.pixel(tx + 8, ty + 9), marker, "marker of {node}");
        let road = (0..16)
            .flat_map(|y| (0..16).map(move |x| (x, y)))
            .any(|(x, y)| [ROAD_SURFACE, PLANK].contains(&picture.pixel(tx + x, ty + y)));
        assert!(road, "no road under node {node}");
    }
}

#[test]
fn the_same_seed_draws_the_same_png_and_another_seed_another() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = write_plan(dir.path(), "plan.md", PLAN.as_bytes());
    let draw = |seed: &str, name: &str| {
        let png = dir.path().join(name);
        let out = plan(&[s(&file), "--png", s(&png), "--seed", seed]);
        assert_eq!(out.status.code(), Some(0));
        std::fs::read(&png).expect("PNG written")
    };
    let first = draw("3", "a.png");
    assert_eq!(first, draw("3", "b.png"));
    assert_ne!(first, draw("4", "c.png"));
}

#[test]
fn a_subsection_level_is_drawn() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = write_plan(dir.path(), "plan.md", PLAN.as_bytes());
    let out = plan(&[s(&file), "--level", "1"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0));
    assert!(stdout.starts_with("3 milestones"), "{stdout}");
}

fn refused(args: &[&str]) -> String {
    let out = plan(args);
    assert_eq!(out.status.code(), Some(2), "{args:?}");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn bad_input_is_refused_with_a_reason() {
    let dir = tempfile::tempdir().expect("temp dir");
    let binary = write_plan(dir.path(), "binary.md", b"# Bike\n- [ ] Oil \xff\xfe\n");
    let err = refused(&[s(&binary)]);
    assert!(
        err.contains("not UTF-8") && err.contains("offset 17") && err.contains("line 2"),
        "{err}"
    );

    let empty = write_plan(dir.path(), "notes.md", b"# Bike\n\nJust notes, no tasks.\n");
    let err = refused(&[s(&empty)]);
    assert!(err.contains("no tasks"), "{err}");

    let err = refused(&[s(&dir.path().join("missing.md"))]);
    assert!(err.contains("cannot read"), "{err}");

    let file = write_plan(dir.path(), "plan.md", PLAN.as_bytes());
    let err = refused(&[s(&file), "--level", "9"]);
    assert!(err.contains("has 2 sections"), "{err}");
    let err = refused(&[s(&file), "--level", "one"]);
    assert!(err.contains("not a section number"), "{err}");
}

#[test]
fn an_unwritable_output_is_a_failure_not_bad_input() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = write_plan(dir.path(), "plan.md", PLAN.as_bytes());
    let png = dir.path().join("no-such-folder").join("map.png");
    let out = plan(&[s(&file), "--png", s(&png)]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot write"));
}
