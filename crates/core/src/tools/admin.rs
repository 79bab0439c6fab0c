//! The admin methods (what `erp-helper status|signin|signout|allow|audit|quit`
//! send): one-line adapters onto the core's services.

use erp_proto::admin::{
    AllowEntryArgs, AllowlistView, AuditArgs, AuditOutput, DisconnectArgs, ErpProbe, SessionView, SignInDemoArgs,
    SignInGoogleArgs, SignInTokenArgs, StartAtLoginArgs, StartAtLoginView, StatusOutput,
};
use erp_proto::tools::{NoArgs, SignInArgs, SignInOutput};

use crate::core::Asked;

use crate::error::Result;
use crate::router::Call;
use crate::store::SignInVia;

pub(super) async fn status(call: Call, _: NoArgs) -> Result<StatusOutput> {
    Ok(call.core.status())
}

pub(super) async fn sign_in_token(call: Call, a: SignInTokenArgs) -> Result<SessionView> {
    call.core.sign_in().with_token(a.token, None, SignInVia::Token).await
}

pub(super) async fn sign_in_google(call: Call, a: SignInGoogleArgs) -> Result<SessionView> {
    call.core.sign_in().google(a.return_to).await
}

pub(super) async fn open_sign_in(call: Call, a: SignInArgs) -> Result<SignInOutput> {
    let start = call.core.open_sign_in(a.method, Some("the terminal".into()), Asked::ByUser).await;
    Ok(super::reads::sign_in_output(start))
}

pub(super) async fn sign_in_demo(call: Call, a: SignInDemoArgs) -> Result<SessionView> {
    call.core.sign_in().demo(a.email).await
}

pub(super) async fn sign_out(call: Call, _: NoArgs) -> Result<SessionView> {
    call.core.sign_out().await
}

pub(super) async fn allow_list(call: Call, _: NoArgs) -> Result<AllowlistView> {
    Ok(call.core.allowlist().view())
}

pub(super) async fn allow_add(call: Call, a: AllowEntryArgs) -> Result<AllowlistView> {
    call.core.allow_add(&a.entry).await
}

pub(super) async fn allow_remove(call: Call, a: AllowEntryArgs) -> Result<AllowlistView> {
    call.core.allow_remove(&a.entry).await
}

pub(super) async fn audit(call: Call, a: AuditArgs) -> Result<AuditOutput> {
    let mut entries = call.core.audit().recent(a.limit.unwrap_or(50).min(10_000)).await?;
    // The ids and weeks of each change, not its tasks: those stay in the log, for undo.
    for w in entries.iter_mut().filter_map(|e| e.change.as_mut()).flat_map(|c| c.weeks.iter_mut()) {
        (w.before, w.after) = (serde_json::Value::Null, serde_json::Value::Null);
    }
    Ok(AuditOutput { entries })
}

pub(super) async fn probe_erp(call: Call, _: NoArgs) -> Result<ErpProbe> {
    Ok(crate::probe::probe(call.core.erp()).await)
}

pub(super) async fn disconnect(call: Call, a: DisconnectArgs) -> Result<NoArgs> {
    if call.core.clients().disconnect(a.id) {
        Ok(NoArgs {})
    } else {
        Err(crate::error::CoreError::invalid(format!("id: no connected app has id {}.", a.id)))
    }
}

pub(super) async fn read_only(call: Call, a: erp_proto::admin::ReadOnlyArgs) -> Result<erp_proto::admin::ReadOnlyView> {
    call.core.set_read_only(a.on).await
}

pub(super) async fn start_at_login(call: Call, a: StartAtLoginArgs) -> Result<StartAtLoginView> {
    call.core.set_start_at_login(a.on).await
}

/// Quit once the answer is on the wire, or the caller sees a dropped connection.
pub(super) async fn quit(call: Call, _: NoArgs) -> Result<NoArgs> {
    let core = call.core.clone();
    call.after_reply(move || core.request_quit());
    Ok(NoArgs {})
}
