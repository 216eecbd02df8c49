// Copies the browser assets Tripflow serves from node_modules into webapp/static/vendor/.
// No CDN: the pages load everything from 'self' (see the CSP in webapp/__init__.py).
// Run with `npm ci && npm run build`; webapp/static/vendor/ is git-ignored.
import { cpSync, existsSync, mkdirSync, readdirSync, rmSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const modules = join(root, "node_modules");
const vendor = join(root, "webapp", "static", "vendor");

// [source under node_modules, target under webapp/static/vendor]
const files = [
  ["bpmn-js/dist/bpmn-navigated-viewer.production.min.js", "bpmn-navigated-viewer.production.min.js"],
  ["chart.js/dist/chart.umd.min.js", "chart.umd.min.js"],
];
const cssDirectory = "bpmn-js/dist/assets";

function copy(source, target) {
  const from = join(modules, source);
  if (!existsSync(from)) {
    throw new Error(`missing ${from}: run "npm ci" first`);
  }
  mkdirSync(dirname(join(vendor, target)), { recursive: true });
  cpSync(from, join(vendor, target), { recursive: true });
  console.log(`  ${source} -> webapp/static/vendor/${target}`);
}

rmSync(vendor, { recursive: true, force: true });
mkdirSync(vendor, { recursive: true });
for (const [source, target] of files) {
  copy(source, target);
}
for (const name of readdirSync(join(modules, cssDirectory))) {
  if (name.endsWith(".css")) {
    copy(`${cssDirectory}/${name}`, `bpmn-js/${name}`);
  }
}
// bpmn-js.css refers to the bpmn-font by a relative path
copy(`${cssDirectory}/bpmn-font`, "bpmn-js/bpmn-font");
console.log("assets built");
