//! Declares every app command so that none is callable from the webview unless a capability in
//! `capabilities/` grants it (deny by default), and embeds the built UI (`ui/dist`).

include!("src/command_names.rs");

fn main() {
    println!("cargo:rerun-if-changed=src/command_names.rs");
    // `cargo test --workspace` compiles the shell before anyone has built the UI. Embed a
    // placeholder page then; scripts/test-desktop and scripts/run-desktop build the real one.
    let dist = std::path::Path::new("../ui/dist");
    if !dist.join("index.html").exists() {
        std::fs::create_dir_all(dist).expect("create ui/dist");
        std::fs::write(
            dist.join("index.html"),
            "<!doctype html><meta charset=utf-8><title>Cairn</title><p>The UI is not built: run scripts/run-desktop.</p>\n",
        )
        .expect("write the placeholder page");
    }
    let attributes = tauri_build::Attributes::new()
        .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS))
        .codegen(tauri_build::CodegenContext::new());
    tauri_build::try_build(attributes).expect("tauri-build");
}
