//! Build script: generates the Tauri context (config, capabilities, embedded ui/).
fn main() {
    tauri_build::build()
}
