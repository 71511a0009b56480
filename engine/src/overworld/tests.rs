//! Properties of generated maps over random levels and seeds.

use proptest::prelude::*;

use super::spline::ArcLengthTable;
use super::*;
use crate::plan::{self, Milestone, MilestoneKind};

fn milestone(i: usize, section: bool, done: bool) -> Milestone {
    Milestone {
        kind: if section {
            MilestoneKind::Section
        } else {
            MilestoneKind::Quest
        },
        id: format!("{:012x}", i * 7919 + 1),
        quest: None,
        path: section.then(|| vec![i]),
        title: format!("Milestone {i}"),
        level: 1,
        has_children: section,
        done,
        line: i + 1,
    }
}

fn level(kinds: &[(bool, bool)]) -> Vec<Milestone> {
    kinds
        .iter()
        .enumerate()
        .map(|(i, &(s, d))| milestone(i, s, d))
        .collect()
}

fn make(milestones: &[Milestone], seed: u64) -> Overworld {
    generate(milestones, seed).unwrap_or_else(|e| panic!("{e}"))
}

fn dist(a: (f32, f32), b: (f32, f32)) -> f32 {
    ((a.0 - b.0).powi(2) + (a.1 - b.1).powi(2)).sqrt()
}

/// Checks every invariant a rider would notice on one map.
fn check(world: &Overworld, milestones: &[Milestone]) {
    let n = milestones.len();
    let side = side_for(n);
    assert_eq!((world.width, world.height), (side, side));
    assert_eq!(world.tiles.len(), (side * side) as usize);
    assert_eq!(world.zone_of_tile.len(), world.tiles.len());
    assert_eq!(world.nodes.len(), n);

    // The road never lies on water: wherever the base terrain is water the
    // painted tile is a bridge.
    let base = terrain::base(side, mix64(world.seed ^ TERRAIN_STREAM));
    for (i, (&was, &now)) in base.iter().zip(&world.tiles).enumerate() {
        if was == Terrain::Water {
            assert!(
                now == Terrain::Water || now == Terrain::Bridge,
                "tile {i}: {now:?} on water"
            );
        }
        if now == Terrain::Bridge {
            assert_eq!(was, Terrain::Water, "tile {i}: a bridge over dry land");
        }
    }

    // The road polyline is inside the map.
    let edge = side as f32;
    assert!(
        world
            .road
            .iter()
            .all(|p| p[0] >= 0.0 && p[0] < edge && p[1] >= 0.0 && p[1] < edge)
    );

    // Nodes: on road, bridge or grass, inside their tile, distinct, 2+ tiles apart.
    let mut seen = std::collections::HashSet::new();
    for node in &world.nodes {
        let t = world.tile(node.tile.0, node.tile.1);
        assert!(
            matches!(t, Some(Terrain::Road | Terrain::Bridge | Terrain::Grass)),
            "{t:?}"
        );
        assert_eq!(node.tile, (node.x.floor() as u32, node.y.floor() as u32));
        assert!(seen.insert(node.tile), "two nodes on tile {:?}", node.tile);
    }
    for (i, a) in world.nodes.iter().enumerate() {
        for b in &world.nodes[i + 1..] {
            let d = dist((a.x, a.y), (b.x, b.y));
            assert!(d >= 2.0, "nodes {} and {} are {d} apart", a.index, b.index);
        }
    }

    // Even spacing by arc length, checked against a table rebuilt from the
    // serialised road: each node lies at its arc length, consecutive ones
    // exactly L / n apart.
    let table = ArcLengthTable::from_points(
        world
            .road
            .iter()
            .map(|p| [f64::from(p[0]), f64::from(p[1])])
            .collect(),
    );
    let tol = 1e-3 * f64::from(world.road_length).max(1.0);
    assert!((table.length() - f64::from(world.road_length)).abs() < tol);
    let spacing = table.length() / n as f64;
    assert!(spacing >= 2.0, "spacing {spacing}");
    for (i, node) in world.nodes.iter().enumerate() {
        assert_eq!(node.index as usize, i + 1);
        let expected = (i as f64 + 0.5) * spacing;
        assert!(
            (f64::from(node.s) - expected).abs() < tol,
            "node {i} at s {}",
            node.s
        );
        let p = table.point_at(f64::from(node.s));
        assert!(dist((p[0] as f32, p[1] as f32), (node.x, node.y)) < 0.05);
    }
    for pair in world.nodes.windows(2) {
        assert!((f64::from(pair[1].s - pair[0].s) - spacing).abs() < tol);
        // Straight-line distance is never more than the road between them.
        assert!(f64::from(dist((pair[0].x, pair[0].y), (pair[1].x, pair[1].y))) <= spacing + tol);
    }

    // Zones: contiguous, one per section (plus a leading one for loose quests).
    let sections = milestones
        .iter()
        .filter(|m| m.kind == MilestoneKind::Section)
        .count();
    let leading = usize::from(milestones[0].kind == MilestoneKind::Quest);
    assert_eq!(world.zones.len(), sections + leading);
    assert!(
        world
            .nodes
            .windows(2)
            .all(|w| w[1].zone == w[0].zone || w[1].zone == w[0].zone + 1)
    );
    for zone in &world.zones {
        let range = zone.first_node as usize - 1..zone.last_node as usize;
        assert!(
            world.nodes[range]
                .iter()
                .all(|node| node.zone == zone.index)
        );
        assert!(zone.start <= zone.end);
    }
    assert!(
        world
            .zone_of_tile
            .iter()
            .all(|&z| (z as usize) < world.zones.len())
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn maps_keep_their_rules(kinds in prop::collection::vec((prop::bool::weighted(0.2), any::<bool>()), 1..300), seed in any::<u64>()) {
        let milestones = level(&kinds);
        let world = make(&milestones, seed);
        check(&world, &milestones);
    }

    #[test]
    fn the_same_level_and_seed_give_the_same_bytes(kinds in prop::collection::vec((any::<bool>(), any::<bool>()), 1..120), seed in any::<u64>()) {
        let milestones = level(&kinds);
        let a = serde_json::to_string(&make(&milestones, seed)).unwrap_or_default();
        let b = serde_json::to_string(&make(&milestones, seed)).unwrap_or_default();
        prop_assert!(!a.is_empty());
        prop_assert_eq!(a, b);
    }

    #[test]
    fn the_map_never_shrinks_as_milestones_grow(a in 1usize..400, b in 1usize..400, seed in any::<u64>()) {
        let (small, large) = (a.min(b), a.max(b));
        let ws = make(&level(&vec![(false, false); small]), seed);
        let wl = make(&level(&vec![(false, false); large]), seed);
        prop_assert!(ws.width <= wl.width && ws.height <= wl.height);
    }
}

#[test]
fn different_seeds_give_different_maps() {
    let milestones = level(&[(false, false); 20]);
    assert_ne!(make(&milestones, 1).tiles, make(&milestones, 2).tiles);
}

#[test]
fn an_empty_level_and_an_oversized_one_are_refused() {
    assert_eq!(generate(&[], 1), Err(OverworldError::NoMilestones));
    let too_many = vec![milestone(0, false, false); MAX_MILESTONES + 1];
    assert_eq!(
        generate(&too_many, 1),
        Err(OverworldError::TooManyMilestones {
            count: MAX_MILESTONES + 1,
            max: MAX_MILESTONES
        })
    );
}

#[test]
fn a_single_milestone_sits_mid_road() {
    let world = make(&level(&[(false, true)]), 5);
    check(&world, &level(&[(false, true)]));
    assert!((world.nodes[0].s - world.road_length / 2.0).abs() < 1e-3);
    assert!(world.nodes[0].done);
}

#[test]
fn the_largest_map_still_spaces_its_nodes() {
    let n = MAX_MILESTONES;
    let milestones: Vec<Milestone> = (0..n).map(|i| milestone(i, i % 1000 == 0, false)).collect();
    let world = make(&milestones, 42);
    assert_eq!(world.width, MAX_SIDE);
    assert!(
        world.node_spacing() >= 2.0,
        "spacing {}",
        world.node_spacing()
    );
    let mut tiles: Vec<(u32, u32)> = world.nodes.iter().map(|n| n.tile).collect();
    tiles.sort_unstable();
    tiles.dedup();
    assert_eq!(tiles.len(), n, "every node has its own tile");
    // Every pair at least 2 tiles apart, checked within 2×2-tile buckets.
    let mut buckets: std::collections::HashMap<(u32, u32), Vec<(f32, f32)>> = Default::default();
    for node in &world.nodes {
        buckets
            .entry((node.tile.0 / 2, node.tile.1 / 2))
            .or_default()
            .push((node.x, node.y));
    }
    for (&(bx, by), here) in &buckets {
        for dy in 0..=2 {
            for dx in 0..=2 {
                let (Some(x), Some(y)) = ((bx + dx).checked_sub(1), (by + dy).checked_sub(1))
                else {
                    continue;
                };
                for &a in here {
                    for &b in buckets.get(&(x, y)).map_or(&[][..], Vec::as_slice) {
                        assert!(a == b || dist(a, b) >= 2.0, "{a:?} and {b:?} too close");
                    }
                }
            }
        }
    }
    assert_eq!(world.zones.len(), 66);
}

#[test]
fn a_plans_top_level_gets_a_zone_per_section() {
    let text = "# Bike\n- [ ] Check tyres\n## Engine\n- [x] Oil\n- [ ] Plugs\n## Brakes\n- [ ] Pads\n### Rear\n- [ ] Disc\n";
    let plan = plan::parse(text).unwrap_or_else(|e| panic!("{e}"));
    let top = plan.milestones(&[]);
    let world = make(&top, 7);
    check(&world, &top);
    let l1 = top
        .iter()
        .filter(|m| m.kind == MilestoneKind::Section && m.level == 1)
        .count();
    let named: Vec<&str> = world
        .zones
        .iter()
        .filter_map(|z| z.title.as_deref())
        .collect();
    assert_eq!(named.len(), l1);
    for zone in world.zones.iter().filter(|z| z.section_id.is_some()) {
        let opener = &world.nodes[zone.first_node as usize - 1];
        assert_eq!(opener.kind, MilestoneKind::Section);
        assert_eq!(Some(&opener.id), zone.section_id.as_ref());
    }
    // Borders exist between zones when there is more than one.
    if world.zones.len() > 1 {
        let any_border =
            (0..world.height).any(|y| (0..world.width).any(|x| world.is_zone_border(x, y)));
        assert!(any_border);
    }

    // A section opens its own map with a seed derived from the parent's.
    let Some(section) = world
        .nodes
        .iter()
        .find(|n| n.has_children && n.kind == MilestoneKind::Section)
    else {
        panic!("the plan has sections");
    };
    let Some(path) = top[section.index as usize - 1].path.clone() else {
        panic!("sections have paths");
    };
    let child = plan.milestones(&path);
    let seed = child_seed(7, &section.id);
    assert_ne!(seed, 7);
    assert_eq!(seed, child_seed(7, &section.id));
    let child_world = make(&child, seed);
    check(&child_world, &child);
}

#[test]
fn off_map_lookups_are_none() {
    let world = make(&level(&[(false, false); 3]), 3);
    assert_eq!(world.tile(world.width, 0), None);
    assert_eq!(world.zone_at(0, world.height), None);
    assert!(!world.is_zone_border(world.width, 0));
    assert_eq!(world.zone_of_node(3), None);
    assert_eq!(world.zone_of_node(0), Some(0));
}

#[test]
fn json_round_trips() {
    let world = make(&level(&[(true, false), (false, true), (true, true)]), 11);
    let json = serde_json::to_string(&world).unwrap_or_default();
    let back: Overworld = serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(back, world);
    assert!(json.contains("\"bridge\"") || json.contains("\"road\""));
}
