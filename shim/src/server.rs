//! The MCP side: handshake and `tools/list` from the compiled catalogue (no
//! socket needed), `tools/call` forwarded through the [`AppLink`].

use std::sync::{Arc, OnceLock};

use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, Implementation, InitializeResult,
    ListToolsResult, PaginatedRequestParams, ProgressNotificationParam, ServerCapabilities, ServerConfig, Tool,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData as McpError, RoleServer, ServerHandler, ServiceExt};
use serde_json::Value;

use erp_proto::RetryClass;

use crate::app::AppLink;

const INSTRUCTIONS: &str = "Tools for the user's ERP time logs (project logs): read and fill week logs. \
Identity comes from the ERP Helper desktop app; never ask the user for a token. If a tool says the user is not \
signed in, call sign_in (it opens the sign-in in the app), tell the user to finish signing in there, then retry.";

/// The `tools/list` document, rendered from erp-proto's catalogue at build time
/// (see build.rs): parsing it is far cheaper than generating the schemas.
const TOOLS_JSON: &str = include_str!(concat!(env!("OUT_DIR"), "/tools.json"));

/// How long, after the user accepted a sign-in shown by the host, a call
/// waits for the session before answering with the sign-in sentence.
const SIGN_IN_WAIT: std::time::Duration = std::time::Duration::from_secs(180);

/// The MCP server.
#[derive(Clone)]
pub struct ErpMcp {
    link: Arc<AppLink>,
    tools: Arc<OnceLock<Vec<Tool>>>,
    /// One sign-in shown by the host at a time: concurrent calls wait for it.
    showing_sign_in: Arc<tokio::sync::Mutex<()>>,
    /// When an input-required sign-in (2026-07-28) was last handed out.
    asked_at: Arc<std::sync::Mutex<Option<tokio::time::Instant>>>,
}

/// The key of the sign-in among an input-required result's requests.
const SIGN_IN_INPUT: &str = "erp_sign_in";

/// How the host can show the sign-in link, if it can.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum HostShows {
    /// It cannot: the call answers with the sentence and the link.
    Nothing,
    /// `elicitation/create` in URL mode, during the call (2025-11-25).
    Elicitation,
    /// An input-required result the client answers by calling again (2026-07-28).
    InputRequired,
}

impl ErpMcp {
    /// A server forwarding to `link`. The catalogue is parsed when first needed,
    /// so `initialize` is answered without touching it.
    pub fn new(link: AppLink) -> Self {
        Self { link: Arc::new(link), tools: Arc::default(), showing_sign_in: Arc::default(), asked_at: Arc::default() }
    }

    async fn signed_in(&self, client: Option<(String, String)>) -> bool {
        let who = self.link.call(
            "whoami",
            Value::Object(Default::default()),
            client,
            |_| {},
            Default::default(),
            RetryClass::ReadOnly,
        );
        who.await.is_ok_and(|w| w["state"] == "signed_in")
    }

    /// Where the host can show a link (URL-mode elicitation, MCP 2025-11-25),
    /// show the sign-in there: one dialog at a time, and a call that finds the
    /// session there after another's dialog does not ask again. True when the
    /// user is signed in afterwards (the call is then sent again).
    async fn sign_in_through_host(
        &self,
        peer: &rmcp::Peer<RoleServer>,
        error: &erp_proto::RpcError,
        client: Option<(String, String)>,
    ) -> bool {
        use rmcp::model::ElicitationAction;
        let Some(link) = error.sign_in_url.as_deref().and_then(|u| url::Url::parse(u).ok()) else { return false };
        let _one = self.showing_sign_in.lock().await;
        if self.signed_in(client.clone()).await {
            return true;
        }
        let id = format!("erp-sign-in-{}", std::process::id());
        match peer.elicit_url_with_timeout(error.message.clone(), link, id, Some(SIGN_IN_WAIT)).await {
            Ok(ElicitationAction::Accept) => {}
            _ => return false,
        }
        self.wait_for_sign_in(client).await
    }

    /// Poll the app until someone is signed in, at most [`SIGN_IN_WAIT`].
    async fn wait_for_sign_in(&self, client: Option<(String, String)>) -> bool {
        let deadline = tokio::time::Instant::now() + SIGN_IN_WAIT;
        while tokio::time::Instant::now() < deadline {
            if self.signed_in(client.clone()).await {
                return true;
            }
            tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        }
        false
    }

    /// The 2026-07-28 way: hand out the link as an input request (once: a call
    /// while one is outstanding waits for the sign-in instead), and, when the
    /// client calls again with the user's answer, wait for the session.
    /// `Ok(true)`: signed in, send the call again; `Ok(false)`: answer with the
    /// sentence; `Err`: answer with this input-required result.
    async fn sign_in_by_input(
        &self,
        error: &erp_proto::RpcError,
        answers: Option<&rmcp::model::InputResponses>,
        client: Option<(String, String)>,
    ) -> Result<bool, rmcp::model::InputRequiredResult> {
        use rmcp::model::{ElicitRequest, ElicitRequestParams, InputRequest, InputRequiredResult};
        if let Some(answer) = answers.and_then(|a| a.get(SIGN_IN_INPUT)) {
            let accepted = answer.get("action").and_then(Value::as_str) == Some("accept");
            let signed_in = accepted && self.wait_for_sign_in(client).await;
            *self.asked_at.lock().unwrap_or_else(|p| p.into_inner()) = None;
            return Ok(signed_in);
        }
        let outstanding = {
            let mut at = self.asked_at.lock().unwrap_or_else(|p| p.into_inner());
            let live = at.is_some_and(|t| t.elapsed() < SIGN_IN_WAIT);
            if !live {
                *at = Some(tokio::time::Instant::now());
            }
            live
        };
        if outstanding {
            return Ok(self.wait_for_sign_in(client).await);
        }
        let params = ElicitRequestParams::UrlElicitationParams {
            meta: None,
            message: error.message.clone(),
            url: error.sign_in_url.clone().unwrap_or_default(),
            elicitation_id: format!("erp-sign-in-{}", std::process::id()),
        };
        let requests = [(SIGN_IN_INPUT.to_string(), InputRequest::Elicitation(ElicitRequest::new(params)))];
        Err(InputRequiredResult::from_input_requests(requests.into_iter().collect()))
    }

    fn tools(&self) -> &[Tool] {
        self.tools.get_or_init(|| serde_json::from_str(TOOLS_JSON).expect("tools.json is rendered from the catalogue"))
    }
}

impl ServerHandler for ErpMcp {
    fn get_info(&self) -> ServerConfig {
        InitializeResult::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(Implementation::new("erp-mcp", env!("CARGO_PKG_VERSION")))
            .with_instructions(INSTRUCTIONS)
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, McpError> {
        Ok(ListToolsResult::with_all_items(self.tools().to_vec()))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, McpError> {
        // The catalogue's own retry class decides what may be sent again after a lost connection.
        let Some(hints) = erp_proto::tools::hints_of(&request.name) else {
            return Err(McpError::invalid_params(format!("unknown tool {:?}", request.name), None));
        };
        let args = Value::Object(request.arguments.clone().unwrap_or_default());
        let client = context.client_info().map(|i| (i.name, i.version));
        let progress_token = context.meta.get_progress_token();
        let peer = context.peer.clone();
        let on_progress = move |p: erp_proto::client::Progress| {
            if let Some(token) = &progress_token {
                let mut param = ProgressNotificationParam::new(token.clone(), p.progress);
                if let Some(total) = p.total {
                    param = param.with_total(total);
                }
                if let Some(m) = p.message {
                    param = param.with_message(m);
                }
                let peer = peer.clone();
                tokio::spawn(async move {
                    let _ = peer.notify_progress(param).await;
                });
            }
        };
        let retry = hints.retry_class();
        let mut result = self
            .link
            .call(&request.name, args.clone(), client.clone(), on_progress.clone(), context.ct.clone(), retry)
            .await;
        if let Err(crate::app::LinkError::Rpc(e)) = &result {
            let needs = matches!(e.code, erp_proto::ErrorCode::NotSignedIn | erp_proto::ErrorCode::SessionExpired);
            let again = match (needs && e.sign_in_url.is_some(), host_shows(&context)) {
                (false, _) | (_, HostShows::Nothing) => false,
                (true, HostShows::Elicitation) => self.sign_in_through_host(&context.peer, e, client.clone()).await,
                (true, HostShows::InputRequired) => {
                    match self.sign_in_by_input(e, request.input_responses.as_ref(), client.clone()).await {
                        Ok(again) => again,
                        Err(input_required) => return Ok(CallToolResponse::InputRequired(input_required)),
                    }
                }
            };
            if again {
                result = self.link.call(&request.name, args, client, on_progress, context.ct.clone(), retry).await;
            }
        }
        Ok(match result {
            Ok(value) => text_as_markdown(CallToolResult::structured(value)),
            Err(e) => CallToolResult::error(vec![ContentBlock::text(e.for_user())]),
        }
        .into())
    }
}

/// A result that carries its own `markdown` (a table of its numbers) shows
/// that as its text; the numbers stay in the structured content.
fn text_as_markdown(mut result: CallToolResult) -> CallToolResult {
    let markdown = result.structured_content.as_ref().and_then(|v| v.get("markdown")).and_then(|m| m.as_str());
    if let Some(md) = markdown {
        result.content = vec![ContentBlock::text(md.to_string())];
    }
    result
}

/// How this call's client can show a link: by its capabilities and era.
fn host_shows(context: &RequestContext<RoleServer>) -> HostShows {
    let url = context.client_capabilities().and_then(|c| c.elicitation).is_some_and(|e| e.url.is_some());
    let modern = context.protocol_version().is_some_and(|v| !v.has_initialize());
    match (url, modern) {
        (false, _) => HostShows::Nothing,
        (true, false) => HostShows::Elicitation,
        (true, true) => HostShows::InputRequired,
    }
}

/// Serve MCP on stdin/stdout until the host closes stdin.
pub(crate) async fn serve_stdio(link: AppLink) -> anyhow::Result<()> {
    let service = ErpMcp::new(link).serve(rmcp::transport::stdio()).await?;
    service.waiting().await?;
    Ok(())
}
