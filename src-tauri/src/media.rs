//! Audio in the webview: the microphone for in-app recording, and playback streamed from
//! encrypted storage.
//!
//! - **Capture.** WebKitGTK's media stream is switched on for this window only, and its
//!   permission requests are answered here: microphone-only `getUserMedia` is allowed, every
//!   other request (camera, screen, location, notifications…) is denied.
//! - **Playback.** WebKitGTK's media player loads only http(s) and blob URLs (a custom URI
//!   scheme fails before any request is made), so the page plays through Media Source
//!   Extensions: `open_media` hands out a token naming one attachment until the vault locks,
//!   and `read_media` returns the next piece of it, decrypted from the 64 KiB chunks that cover
//!   it, which the page appends to the player's buffer. The audio is never decrypted whole in
//!   one go and never touches the disk in plaintext.

use std::sync::{Mutex, PoisonError};

use cairn_core::recordings::AttachmentStream;

/// The most one `read_media` call returns (4 chunks).
pub(crate) const MAX_READ: usize = 256 * 1024;

/// How many attachments may be open for playback at once (older ones are forgotten).
const MAX_OPEN: usize = 32;

/// Attachments opened for playback, by token. Emptied when the vault locks.
#[derive(Default)]
pub(crate) struct MediaStreams {
    open: Mutex<Vec<(String, AttachmentStream)>>,
}

impl MediaStreams {
    /// Registers an opened attachment; returns its token.
    pub(crate) fn register(&self, stream: AttachmentStream) -> String {
        let token = cairn_core::cases::id_to_hex(&cairn_core::random_id());
        let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        if open.len() >= MAX_OPEN {
            open.remove(0);
        }
        open.push((token.clone(), stream));
        token
    }

    /// The attachment a token names.
    pub(crate) fn get(&self, token: &str) -> Option<AttachmentStream> {
        let open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        open.iter().find(|(known, _)| known == token).map(|(_, stream)| stream.clone())
    }

    /// Forgets every token (on lock).
    pub(crate) fn clear(&self) {
        self.open.lock().unwrap_or_else(PoisonError::into_inner).clear();
    }
}

/// Whether the E2E tests asked for WebKit's mock microphone (debug builds only: a release
/// build always records from a real device).
fn mock_capture_requested() -> bool {
    cfg!(debug_assertions) && std::env::var("CAIRN_MOCK_CAPTURE").is_ok_and(|value| value == "1")
}

/// Turns on the microphone for the main window, allowing nothing else.
#[cfg(target_os = "linux")]
pub(crate) fn configure_webview(window: &tauri::WebviewWindow) -> tauri::Result<()> {
    use webkit2gtk::glib::prelude::Cast;
    use webkit2gtk::{
        PermissionRequestExt, SettingsExt, UserMediaPermissionRequest, UserMediaPermissionRequestExt, WebViewExt,
    };

    let mock = mock_capture_requested();
    window.with_webview(move |platform| {
        let webview = platform.inner();
        if let Some(settings) = webview.settings() {
            settings.set_enable_media_stream(true);
            settings.set_enable_mock_capture_devices(mock);
        }
        webview.connect_permission_request(|_, request| {
            let microphone_only = request
                .downcast_ref::<UserMediaPermissionRequest>()
                .is_some_and(|media| media.is_for_audio_device() && !media.is_for_video_device());
            if microphone_only {
                request.allow()
            } else {
                request.deny()
            }
            true
        });
    })
}

/// Other platforms: capture is not configured (WebKitGTK is the supported engine).
#[cfg(not(target_os = "linux"))]
pub(crate) fn configure_webview(_window: &tauri::WebviewWindow) -> tauri::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_name_one_attachment_until_cleared() {
        let streams = MediaStreams::default();
        let token = streams.register(AttachmentStream::for_tests(42, "audio/mp4"));
        assert_eq!(token.len(), 32);
        assert_ne!(token, streams.register(AttachmentStream::for_tests(42, "audio/mp4")));
        assert_eq!(streams.get(&token).map(|stream| stream.len), Some(42));
        assert!(streams.get("0123").is_none());
        streams.clear();
        assert!(streams.get(&token).is_none());
        for _ in 0..=MAX_OPEN {
            streams.register(AttachmentStream::for_tests(1, "audio/mp4"));
        }
        assert_eq!(streams.open.lock().expect("lock").len(), MAX_OPEN);
    }
}
