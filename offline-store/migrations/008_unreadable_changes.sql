-- Changes this version of the app cannot read (a kind of change or record a
-- later server sends): kept whole in `skipped_changes`, marked here, and
-- applied by the first version that reads them.
ALTER TABLE skipped_changes ADD COLUMN unreadable INTEGER NOT NULL DEFAULT 0;
