//! Files holding secrets are private whatever the umask: the state file (it keeps the Asana
//! webhook secrets), its `-wal`, `-shm` and lock files, and the OAuth token files.
//!
//! The umask is process-wide, so this binary holds one test only.

#![cfg(target_os = "linux")]

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use jiff::Timestamp;
use throughline::state::{SqliteStore, StateStore};

unsafe extern "C" {
    // mode_t is a u32 on Linux.
    safe fn umask(mask: u32) -> u32;
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

fn with_suffix(path: &Path, suffix: &str) -> std::path::PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    name.into()
}

#[test]
fn the_state_file_and_token_files_are_created_0600_under_a_permissive_umask() {
    let before = umask(0o022);
    for mask in [0o022, 0o000] {
        umask(mask);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state").join("throughline.db");
        let mut store = SqliteStore::open(&path).unwrap();
        store
            .set_hook_secret("tasks", "a-webhook-secret", Timestamp::UNIX_EPOCH)
            .unwrap();
        // While the store is open its write-ahead log and shared memory exist too.
        for file in [
            path.clone(),
            with_suffix(&path, "-wal"),
            with_suffix(&path, "-shm"),
            SqliteStore::lock_path(&path),
        ] {
            assert_eq!(
                mode(&file),
                0o600,
                "{} under umask {mask:03o}",
                file.display()
            );
        }
        drop(store);
        assert_eq!(mode(&path), 0o600, "still private after closing");

        let asana = dir.path().join("asana-token.json");
        throughline_asana::oauth::write_token_file(
            &asana,
            &throughline_asana::StoredToken {
                refresh_token: "refresh".into(),
                access_token: Some("access".into()),
                expires_at: None,
            },
        )
        .unwrap();
        assert_eq!(mode(&asana), 0o600, "Asana token under umask {mask:03o}");

        let google = dir.path().join("google-token.json");
        let token: throughline_sheets::StoredToken =
            serde_json::from_value(serde_json::json!({"refresh_token": "refresh"})).unwrap();
        throughline_sheets::auth::write_token_file(&google, &token).unwrap();
        assert_eq!(mode(&google), 0o600, "Google token under umask {mask:03o}");
    }
    umask(before);
}
