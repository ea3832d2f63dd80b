//! GTK's recently-used list, off for the whole app.
//!
//! GTK 3's file chooser (the native dialogs of `tauri-plugin-dialog`) adds every file it
//! opens or saves to `~/.local/share/recently-used.xbel`, in the clear, outside the vault: a
//! seized laptop would list the attachments, rosters and sticks the worker picked, by name.
//! With `gtk-recent-files-enabled` off, GTK's recent manager adds nothing (the chooser goes
//! through it), and with `gtk-recent-files-max-age` 0 its dialogs show no recent items.

/// Turns GTK's recent files off. Call on the main thread once GTK is up (the app's `setup`).
#[cfg(target_os = "linux")]
pub(crate) fn forget_recent_files() {
    use gtk::prelude::GtkSettingsExt;
    if let Some(settings) = gtk::Settings::default() {
        settings.set_gtk_recent_files_enabled(false);
        settings.set_gtk_recent_files_max_age(0);
    }
}

/// Other platforms: GTK is not used.
#[cfg(not(target_os = "linux"))]
pub(crate) fn forget_recent_files() {}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use gtk::prelude::RecentManagerExt;

    /// What the file chooser does with a file the worker picked, after the app turned recent
    /// files off: nothing reaches `recently-used.xbel`. Needs a display (`scripts/test-desktop`
    /// runs the shell's tests under Xvfb, and CI must have one); elsewhere, without one, it checks nothing.
    #[test]
    fn a_picked_file_is_not_added_to_the_recently_used_list() {
        if std::env::var_os("DISPLAY").is_none() {
            assert!(std::env::var_os("CI").is_none(), "CI runs the shell's tests under Xvfb: DISPLAY must be set");
            return;
        }
        let data = tempfile::tempdir().expect("data home");
        let list = data.path().join("recently-used.xbel");
        gtk::init().expect("GTK starts on the display");
        let picked = data.path().join("이송 기록.pdf");
        std::fs::write(&picked, b"%PDF-1.4").expect("a file to pick");
        let uri = gtk::glib::filename_to_uri(&picked, None).expect("uri");

        // Recent files on (GTK's default): the item is written, so the check below can fail.
        // The file chooser's manager, kept in a file of the test's own (the same code path).
        let manager: gtk::RecentManager =
            gtk::glib::Object::builder().property("filename", list.to_str().expect("utf-8")).build();
        assert!(manager.add_item(&uri));
        let written = wait_for_file(&list);
        assert!(written.contains("pdf"), "with recent files on, GTK records the pick: {written}");
        manager.purge_items().expect("purge");
        std::fs::remove_file(&list).expect("remove");

        super::forget_recent_files();
        manager.add_item(&uri);
        pump();
        let after = std::fs::read_to_string(&list).unwrap_or_default();
        assert!(!after.contains("pdf"), "with recent files off, nothing is recorded: {after}");
    }

    /// Runs GTK's main loop a little (the recent manager writes from an idle callback).
    fn pump() {
        for _ in 0..50 {
            while gtk::events_pending() {
                gtk::main_iteration();
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
    }

    fn wait_for_file(path: &std::path::Path) -> String {
        for _ in 0..20 {
            pump();
            if let Ok(text) = std::fs::read_to_string(path) {
                return text;
            }
        }
        String::new()
    }
}
