// The official TypeScript SDK's MCP client (what most hosts embed) against
// erp-mcp: list the tools (the SDK compiles every output schema with Ajv),
// then either the signed-out sentence or a fill. Usage: node ts-client.mjs ERP_MCP
// (FILL_START, FILL_END: the fill's days). Prints one line per result.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";

const transport = new StdioClientTransport({ command: process.argv[2], args: [], env: process.env, stderr: "inherit" });
const client = new Client({ name: "ts-sdk-e2e", version: "1.0.0" });
await client.connect(transport);
const { tools } = await client.listTools();
console.log("TOOLS " + tools.length);
const who = await client.callTool({ name: "whoami", arguments: {} });
if (who.structuredContent.state !== "signed_in") {
  const r = await client.callTool({ name: "get_active_projects", arguments: {} });
  console.log("SIGNED_OUT " + r.content[0].text);
} else {
  const fill = await client.callTool({
    name: "fill_logs_for_days",
    arguments: {
      start_date: process.env.FILL_START, end_date: process.env.FILL_END, description: "TypeScript SDK fill",
      hours_per_day: 8, project_id: 412,
    },
  });
  if (fill.isError) throw new Error(fill.content[0].text);
  console.log("FILL " + fill.structuredContent.status + " " + fill.structuredContent.message);
}
await client.close();
