//! Highlights and taps on the component overlays.

use super::*;

/// Materials of a highlighted component, copied so the pulse does not
/// colour other uses of the model.
#[derive(Component, Debug, Default)]
pub(super) struct Pulsing(Vec<Handle<StandardMaterial>>);

/// Once a component's model is in the world: copy the materials of a
/// highlighted one so it can pulse, and let a waiting screenshot go on.
pub(super) fn model_ready(
    ready: On<WorldInstanceReady>,
    mut commands: Commands,
    overlays: Query<&Overlay>,
    children: Query<&Children>,
    mut with_material: Query<&mut MeshMaterial3d<StandardMaterial>>,
    mut materials: ResMut<Assets<StandardMaterial>>,
) {
    let root = ready.entity;
    commands.entity(root).remove::<HoldCapture>();
    let Ok(overlay) = overlays.get(root) else {
        return;
    };
    if !overlay.highlighted {
        return;
    }
    let mut pulsing = Pulsing::default();
    for entity in children.iter_descendants(root) {
        if let Ok(mut material) = with_material.get_mut(entity)
            && let Some(mut copy) = materials.get(&material.0).cloned()
        {
            // Red through and through, so the glow reads as a warning
            // whatever the part's own finish.
            copy.base_color = Color::srgb(0.85, 0.08, 0.05);
            copy.metallic = 0.0;
            let handle = materials.add(copy);
            material.0 = handle.clone();
            pulsing.0.push(handle);
        }
    }
    commands.entity(root).insert(pulsing);
}

/// Red pulsing glow on highlighted components, once a second.
pub(super) fn pulse_highlights(
    time: Res<Time>,
    pulsing: Query<&Pulsing>,
    mut materials: ResMut<Assets<StandardMaterial>>,
    capture: Option<Res<CaptureTarget>>,
) {
    // Pictures show the glow at its brightest, so they are repeatable.
    let s = if capture.is_some() {
        1.0
    } else {
        0.55 + 0.45 * (time.elapsed_secs() * std::f32::consts::TAU).sin()
    };
    for p in &pulsing {
        for handle in &p.0 {
            if let Some(mut material) = materials.get_mut(handle) {
                material.emissive = LinearRgba::rgb(2.5 * s, 0.05 * s, 0.02 * s);
            }
        }
    }
}

pub(super) fn tapped(
    click: On<Pointer<Click>>,
    overlays: Query<&Overlay>,
    parents: Query<&ChildOf>,
    mut selected: ResMut<SelectedComponent>,
) {
    // The hit is a mesh deep in the model: walk up to the overlay.
    let mut entity = click.entity;
    loop {
        if let Ok(overlay) = overlays.get(entity) {
            selected.0 = Some(overlay.id.clone());
            return;
        }
        match parents.get(entity) {
            Ok(parent) => entity = parent.parent(),
            Err(_) => return,
        }
    }
}
