// Compiles every input and output schema of a tools/list answer with Ajv
// (JSON Schema 2020-12) in strict mode, the way Ajv-based MCP hosts do, and
// fails on any error or warning. Union types (`["integer", "null"]`, standard
// JSON Schema for an optional value) are allowed; nothing else is relaxed.
// Usage: node ajv-strict.mjs tools.json
import { readFileSync } from "node:fs";
import Ajv2020 from "ajv/dist/2020.js";

const tools = JSON.parse(readFileSync(process.argv[2], "utf8"));
const said = [];
const logger = { log: () => {}, warn: (...m) => said.push(m.join(" ")), error: (...m) => said.push(m.join(" ")) };
const ajv = new Ajv2020({ strict: true, allowUnionTypes: true, logger });
let compiled = 0;
for (const tool of tools) {
  for (const [which, schema] of [["input", tool.inputSchema], ["output", tool.outputSchema]]) {
    if (schema === undefined) continue;
    try {
      ajv.compile(schema);
      compiled += 1;
    } catch (e) {
      said.push(`${tool.name} ${which}: ${e.message}`);
    }
  }
}
for (const line of said) console.error(line);
console.log(`compiled ${compiled} schemas, ${said.length} problems`);
process.exit(said.length === 0 && compiled > 0 ? 0 : 1);
