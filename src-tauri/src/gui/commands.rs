//! Tauri commands for the app's own windows: one-line adapters onto `erp-core`.
//! The windows never see a token (paste goes in, nothing comes out) and never
//! call the ERP themselves.

use erp_core::CoreHandle;
use erp_core::core::Asked;
use erp_core::secret::ErpToken;
use erp_core::store::SignInVia;
use erp_proto::admin::{AllowlistView, AuditEntry, SessionView, StatusOutput};
use erp_proto::tools::SignInMethod;
use tauri::State;

/// A command's error: the core's one sentence for the user.
#[derive(Debug, serde::Serialize)]
pub(crate) struct CommandError(String);

impl From<erp_core::CoreError> for CommandError {
    fn from(e: erp_core::CoreError) -> Self {
        Self(e.to_rpc().message)
    }
}

type Res<T> = Result<T, CommandError>;

#[tauri::command]
pub(crate) fn status(core: State<'_, CoreHandle>) -> StatusOutput {
    core.status()
}

#[tauri::command]
pub(crate) async fn paste_token(core: State<'_, CoreHandle>, token: String) -> Res<SessionView> {
    Ok(core.sign_in().with_token(ErpToken::new(token), None, SignInVia::Token).await?)
}

#[tauri::command]
pub(crate) async fn sign_out(core: State<'_, CoreHandle>) -> Res<SessionView> {
    Ok(core.sign_out().await?)
}

#[tauri::command]
pub(crate) async fn start_sign_in(core: State<'_, CoreHandle>, method: SignInMethod) -> Res<String> {
    Ok(core.open_sign_in(Some(method), None, Asked::ByUser).await.message().to_string())
}

#[tauri::command]
pub(crate) async fn allow_add(core: State<'_, CoreHandle>, entry: String) -> Res<AllowlistView> {
    Ok(core.allow_add(&entry).await?)
}

#[tauri::command]
pub(crate) async fn allow_remove(core: State<'_, CoreHandle>, entry: String) -> Res<AllowlistView> {
    Ok(core.allow_remove(&entry).await?)
}

#[tauri::command]
pub(crate) async fn audit(core: State<'_, CoreHandle>, limit: Option<usize>) -> Res<Vec<AuditEntry>> {
    Ok(core.audit().recent(limit.unwrap_or(200).min(10_000)).await?)
}

#[tauri::command]
pub(crate) fn disconnect_client(core: State<'_, CoreHandle>, id: u64) -> Res<()> {
    if core.clients().disconnect(id) { Ok(()) } else { Err(CommandError(format!("No connected app has id {id}."))) }
}
