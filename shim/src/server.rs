//! The MCP side: handshake and `tools/list` from the compiled catalogue (no
//! socket needed), `tools/call` forwarded through the [`AppLink`].

use std::sync::Arc;

use erp_proto::tools::{ToolSpec, catalogue};
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, Implementation, InitializeResult,
    ListToolsResult, PaginatedRequestParams, ProgressNotificationParam, ServerCapabilities, ServerConfig, Tool,
    ToolAnnotations,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData as McpError, RoleServer, ServerHandler, ServiceExt};
use serde_json::Value;

use crate::app::AppLink;

const INSTRUCTIONS: &str = "Tools for the user's ERP time logs (project logs): read and fill week logs. \
Identity comes from the ERP Helper desktop app; never ask the user for a token. If a tool says the user is not \
signed in, call sign_in (it opens the sign-in in the app), tell the user to finish signing in there, then retry.";

/// The MCP server.
#[derive(Clone)]
pub struct ErpMcp {
    link: Arc<AppLink>,
    tools: Arc<Vec<Tool>>,
    specs: Arc<Vec<ToolSpec>>,
}

fn to_tool(spec: &ToolSpec) -> Tool {
    let annotations = ToolAnnotations::with_title(spec.title)
        .read_only(spec.hints.read_only)
        .destructive(spec.hints.destructive)
        .idempotent(spec.hints.idempotent)
        .open_world(false);
    Tool::new_with_raw(spec.name, Some(spec.description.clone().into()), Arc::new(spec.input_schema.clone()))
        .with_title(spec.title)
        .with_raw_output_schema(Arc::new(spec.output_schema.clone()))
        .with_annotations(annotations)
}

impl ErpMcp {
    /// A server forwarding to `link`.
    pub fn new(link: AppLink) -> Self {
        let specs = catalogue();
        let tools = specs.iter().map(to_tool).collect();
        Self { link: Arc::new(link), tools: Arc::new(tools), specs: Arc::new(specs) }
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
        Ok(ListToolsResult::with_all_items((*self.tools).clone()))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, McpError> {
        let Some(spec) = self.specs.iter().find(|s| s.name == request.name) else {
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
        let retry_safe = spec.hints.read_only || spec.hints.idempotent;
        let result = self.link.call(spec.name, args, client, on_progress, context.ct.clone(), retry_safe).await;
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
