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

use crate::app::AppLink;

const INSTRUCTIONS: &str = "Tools for the user's ERP time logs (project logs): read and fill week logs. \
Identity comes from the ERP Helper desktop app; never ask the user for a token. If a tool says the user is not \
signed in, call sign_in (it opens the sign-in in the app), tell the user to finish signing in there, then retry.";

/// The `tools/list` document, rendered from erp-proto's catalogue at build time
/// (see build.rs): parsing it is far cheaper than generating the schemas.
const TOOLS_JSON: &str = include_str!(concat!(env!("OUT_DIR"), "/tools.json"));

/// The MCP server.
#[derive(Clone)]
pub struct ErpMcp {
    link: Arc<AppLink>,
    tools: Arc<OnceLock<Vec<Tool>>>,
}

impl ErpMcp {
    /// A server forwarding to `link`. The catalogue is parsed when first needed,
    /// so `initialize` is answered without touching it.
    pub fn new(link: AppLink) -> Self {
        Self { link: Arc::new(link), tools: Arc::default() }
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
        let args = Value::Object(request.arguments.unwrap_or_default());
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
        let result = self.link.call(&request.name, args, client, on_progress, context.ct.clone(), retry).await;
        Ok(match result {
            Ok(value) => CallToolResult::structured(value),
            Err(e) => CallToolResult::error(vec![ContentBlock::text(e.for_user())]),
        }
        .into())
    }
}

/// Serve MCP on stdin/stdout until the host closes stdin.
pub(crate) async fn serve_stdio(link: AppLink) -> anyhow::Result<()> {
    let service = ErpMcp::new(link).serve(rmcp::transport::stdio()).await?;
    service.waiting().await?;
    Ok(())
}
