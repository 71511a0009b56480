//! Writes a model as binary glTF 2.0 (`.glb`): one scene, one node named
//! after the component, one mesh with a primitive per material.

use super::mesh::Part;

const ARRAY_BUFFER: u32 = 34962;
const ELEMENT_ARRAY_BUFFER: u32 = 34963;
const FLOAT: u32 = 5126;
const UNSIGNED_INT: u32 = 5125;

fn push_f32s(bin: &mut Vec<u8>, values: impl IntoIterator<Item = f32>) {
    for v in values {
        bin.extend_from_slice(&v.to_le_bytes());
    }
}

/// JSON numbers without float noise, so the files stay byte-stable and short.
fn num(v: f32) -> String {
    let rounded = (f64::from(v) * 1e6).round() / 1e6;
    if rounded == rounded.trunc() {
        format!("{rounded:.1}")
    } else {
        format!("{rounded}")
    }
}

fn vec_json(v: &[f32]) -> String {
    format!(
        "[{}]",
        v.iter().map(|x| num(*x)).collect::<Vec<_>>().join(",")
    )
}

/// Accessor bounds must be the stored floats exactly: Rust's shortest
/// round-trip form reads back as the same `f32`.
fn exact_json(v: &[f32]) -> String {
    let parts: Vec<String> = v.iter().map(|x| format!("{x:?}")).collect();
    format!("[{}]", parts.join(","))
}

/// The `.glb` bytes of a model whose single node is named `node`.
pub fn write(node: &str, parts: &[Part]) -> Vec<u8> {
    let mut bin = Vec::new();
    let mut views = Vec::new();
    let mut accessors = Vec::new();
    let mut primitives = Vec::new();
    let mut materials = Vec::new();
    for (i, part) in parts.iter().enumerate() {
        let (min, max) = part.bounds();
        let count = part.positions.len();
        let mut view = |bin: &mut Vec<u8>, bytes: &dyn Fn(&mut Vec<u8>), target: u32| {
            let offset = bin.len();
            bytes(bin);
            views.push(format!(
                r#"{{"buffer":0,"byteOffset":{offset},"byteLength":{},"target":{target}}}"#,
                bin.len() - offset
            ));
            views.len() - 1
        };
        let positions = view(
            &mut bin,
            &|b| push_f32s(b, part.positions.iter().flatten().copied()),
            ARRAY_BUFFER,
        );
        let normals = view(
            &mut bin,
            &|b| push_f32s(b, part.normals.iter().flatten().copied()),
            ARRAY_BUFFER,
        );
        let indices = view(
            &mut bin,
            &|b| {
                for i in &part.indices {
                    b.extend_from_slice(&i.to_le_bytes());
                }
            },
            ELEMENT_ARRAY_BUFFER,
        );
        let base = accessors.len();
        accessors.push(format!(
            r#"{{"bufferView":{positions},"componentType":{FLOAT},"count":{count},"type":"VEC3","min":{},"max":{}}}"#,
            exact_json(&min),
            exact_json(&max)
        ));
        accessors.push(format!(
            r#"{{"bufferView":{normals},"componentType":{FLOAT},"count":{count},"type":"VEC3"}}"#
        ));
        accessors.push(format!(
            r#"{{"bufferView":{indices},"componentType":{UNSIGNED_INT},"count":{},"type":"SCALAR"}}"#,
            part.indices.len()
        ));
        primitives.push(format!(
            r#"{{"attributes":{{"POSITION":{base},"NORMAL":{}}},"indices":{},"material":{i}}}"#,
            base + 1,
            base + 2
        ));
        let m = part.material;
        materials.push(format!(
            r#"{{"name":"{}","pbrMetallicRoughness":{{"baseColorFactor":{},"metallicFactor":{},"roughnessFactor":{}}}}}"#,
            m.name,
            vec_json(&m.color),
            num(m.metallic),
            num(m.roughness)
        ));
    }
    let json = format!(
        r#"{{"asset":{{"version":"2.0","generator":"RideWire cargo xtask assets"}},"scene":0,"scenes":[{{"nodes":[0]}}],"nodes":[{{"name":"{node}","mesh":0}}],"meshes":[{{"name":"{node}","primitives":[{}]}}],"materials":[{}],"accessors":[{}],"bufferViews":[{}],"buffers":[{{"byteLength":{}}}]}}"#,
        primitives.join(","),
        materials.join(","),
        accessors.join(","),
        views.join(","),
        bin.len()
    );
    glb(json.into_bytes(), bin)
}

/// Packs the JSON and binary chunks into a GLB container (both padded to
/// four bytes: JSON with spaces, binary with zeros).
fn glb(mut json: Vec<u8>, mut bin: Vec<u8>) -> Vec<u8> {
    while !json.len().is_multiple_of(4) {
        json.push(b' ');
    }
    while !bin.len().is_multiple_of(4) {
        bin.push(0);
    }
    let total = 12 + 8 + json.len() + 8 + bin.len();
    let mut out = Vec::with_capacity(total);
    out.extend_from_slice(b"glTF");
    out.extend_from_slice(&2u32.to_le_bytes());
    out.extend_from_slice(&(total as u32).to_le_bytes());
    out.extend_from_slice(&(json.len() as u32).to_le_bytes());
    out.extend_from_slice(b"JSON");
    out.extend_from_slice(&json);
    out.extend_from_slice(&(bin.len() as u32).to_le_bytes());
    out.extend_from_slice(b"BIN\0");
    out.extend_from_slice(&bin);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::mesh::{Axis, Material};

    #[test]
    fn the_container_has_the_layout_gltf_readers_expect() {
        let steel = Material {
            name: "steel",
            color: [0.6, 0.6, 0.62, 1.0],
            metallic: 0.9,
            roughness: 0.3,
        };
        let part = Part::new(steel).prism([0.0; 3], 0.01, 0.02, 6, Axis::Y);
        let bytes = write("spark_plugs", &[part]);
        assert_eq!(&bytes[0..4], b"glTF");
        let u32_at =
            |i: usize| u32::from_le_bytes([bytes[i], bytes[i + 1], bytes[i + 2], bytes[i + 3]]);
        assert_eq!(u32_at(4), 2);
        assert_eq!(u32_at(8) as usize, bytes.len());
        let json_len = u32_at(12) as usize;
        assert_eq!(&bytes[16..20], b"JSON");
        let json: serde_json::Value =
            serde_json::from_slice(&bytes[20..20 + json_len]).expect("JSON chunk parses");
        assert_eq!(json["nodes"][0]["name"], "spark_plugs");
        let bin_at = 20 + json_len;
        assert_eq!(&bytes[bin_at + 4..bin_at + 8], b"BIN\0");
        assert_eq!(
            json["buffers"][0]["byteLength"].as_u64(),
            Some(u64::from(u32_at(bin_at)))
        );
    }
}
