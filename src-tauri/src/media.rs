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
/// What a webview permission request asks for, as far as capture goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct CaptureRequest {
    /// A `getUserMedia` request (not location, notifications, screen capture or anything else).
    user_media: bool,
    /// It wants an audio device.
    audio: bool,
    /// It wants a video device (a camera).
    video: bool,
}

/// Whether a permission request is granted: a microphone-only `getUserMedia`, nothing else.
///
/// (WebKit's mock capture devices, which the E2E tests use, grant every request without asking
/// this handler, so this decision is tested here rather than in the E2E journey.)
fn capture_allowed(request: CaptureRequest) -> bool {
    request.user_media && request.audio && !request.video
}

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
            let asked = match request.downcast_ref::<UserMediaPermissionRequest>() {
                Some(media) => CaptureRequest {
                    user_media: true,
                    audio: media.is_for_audio_device(),
                    video: media.is_for_video_device(),
                },
                None => CaptureRequest { user_media: false, audio: false, video: false },
            };
            if capture_allowed(asked) {
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
    fn only_a_microphone_alone_is_granted() {
        let ask = |user_media, audio, video| capture_allowed(CaptureRequest { user_media, audio, video });
        assert!(ask(true, true, false), "the microphone");
        assert!(!ask(true, false, true), "a camera");
        assert!(!ask(true, true, true), "a camera with the microphone");
        assert!(!ask(true, false, false), "neither (screen capture asks for no device)");
        assert!(!ask(false, true, false), "any other permission (location, notifications…)");
        assert!(!ask(false, false, false));
    }

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
