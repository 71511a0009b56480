//! A file browser for screens that open a file (a plan, a photo): a window
//! listing a folder's sub-folders and the files of the kinds asked for,
//! with a way up. egui has no native dialog, and a touch terminal has no
//! desktop to lend one.

use std::path::{Path, PathBuf};

use bevy_egui::egui::{self, RichText};

use crate::theme;

/// Which files a browser lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Kinds {
    /// File name extensions, lowercase, without the dot.
    pub extensions: &'static [&'static str],
    /// What the files are, for "No folders or … here."
    pub noun: &'static str,
}

/// Markdown plans.
pub const PLANS: Kinds = Kinds {
    extensions: &["md", "markdown"],
    noun: "Markdown plans",
};

/// Photos RideWire reads.
pub const PHOTOS: Kinds = Kinds {
    extensions: &["jpg", "jpeg", "png"],
    noun: "JPEG or PNG photos",
};

/// A folder's sub-folders and files of `kinds`, each sorted by name
/// (hidden ones left out), or why it cannot be read.
pub fn folder_entries(folder: &Path, kinds: Kinds) -> Result<(Vec<PathBuf>, Vec<PathBuf>), String> {
    let read =
        std::fs::read_dir(folder).map_err(|e| format!("cannot read {}: {e}", folder.display()))?;
    let (mut folders, mut files) = (Vec::new(), Vec::new());
    for entry in read.flatten() {
        let path = entry.path();
        let hidden = entry.file_name().to_string_lossy().starts_with('.');
        if hidden {
            continue;
        }
        if path.is_dir() {
            folders.push(path);
        } else if path
            .extension()
            .is_some_and(|e| kinds.extensions.iter().any(|k| e.eq_ignore_ascii_case(k)))
        {
            files.push(path);
        }
    }
    folders.sort();
    files.sort();
    Ok((folders, files))
}

/// Shows the browser titled `title` over `ctx` while `folder` is `Some`;
/// answers the file picked (and closes). Moving to another folder or
/// closing the window changes `folder`.
pub fn browser(
    ctx: &egui::Context,
    title: &str,
    kinds: Kinds,
    folder: &mut Option<PathBuf>,
) -> Option<PathBuf> {
    let shown = folder.clone()?;
    let mut open = true;
    let mut next: Option<PathBuf> = None;
    let mut picked = None;
    egui::Window::new(title)
        .id(egui::Id::new(("file-browser", title)))
        .open(&mut open)
        .collapsible(false)
        .default_size([420.0, 420.0])
        .show(ctx, |ui| {
            ui.label(RichText::new(shown.display().to_string()).color(theme::MUTED));
            if let Some(parent) = shown.parent()
                && ui.button("Up a folder").clicked()
            {
                next = Some(parent.to_owned());
            }
            ui.separator();
            egui::ScrollArea::vertical()
                .max_height(320.0)
                .show(ui, |ui| match folder_entries(&shown, kinds) {
                    Ok((folders, files)) => {
                        let name = |f: &PathBuf| {
                            f.file_name()
                                .map(|n| n.to_string_lossy().into_owned())
                                .unwrap_or_default()
                        };
                        for f in &folders {
                            if ui
                                .selectable_label(false, format!("{}/", name(f)))
                                .clicked()
                            {
                                next = Some(f.clone());
                            }
                        }
                        for f in &files {
                            let label = RichText::new(name(f)).color(theme::ACCENT);
                            if ui.selectable_label(false, label).clicked() {
                                picked = Some(f.clone());
                            }
                        }
                        if folders.is_empty() && files.is_empty() {
                            ui.label(
                                RichText::new(format!("No folders or {} here.", kinds.noun))
                                    .color(theme::MUTED),
                            );
                        }
                    }
                    Err(e) => {
                        ui.label(RichText::new(e).color(theme::WARN));
                    }
                });
        });
    if let Some(next) = next {
        *folder = Some(next);
    }
    if !open || picked.is_some() {
        *folder = None;
    }
    picked
}

/// Where a browser opens: the folder of the path typed, else `fallback`,
/// else the home folder.
pub fn start_at(typed: &str, fallback: &Path) -> PathBuf {
    let typed = Path::new(typed.trim());
    let from_typed = if typed.is_dir() {
        Some(typed.to_owned())
    } else {
        typed.parent().filter(|p| p.is_dir()).map(Path::to_owned)
    };
    from_typed
        .or_else(|| fallback.is_dir().then(|| fallback.to_owned()))
        .or_else(dirs::home_dir)
        .unwrap_or_else(|| PathBuf::from("/"))
}
