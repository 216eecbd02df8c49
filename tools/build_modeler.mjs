// Bundles the process owners' workbench (bpmn-js modeler, dmn-js, bpmnlint and Tripflow's panel,
// sources in webapp/static/js/modeler/) with esbuild into webapp/static/vendor/modeler/.
// Run by `npm run build` after build_assets.mjs (which empties webapp/static/vendor/ first).
import { build } from "esbuild";
import { mkdirSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const sources = join(root, "webapp", "static", "js", "modeler");
const target = join(root, "webapp", "static", "vendor", "modeler");
mkdirSync(target, { recursive: true });

const common = {
  bundle: true,
  minify: true,
  sourcemap: false,
  legalComments: "linked", // licence notices of the bundled packages, beside the bundle
  logLevel: "warning",
  nodePaths: [join(root, "node_modules")],
  absWorkingDir: root,
};

await build({
  ...common,
  entryPoints: [join(sources, "index.js")],
  outfile: join(target, "modeler.js"),
  format: "iife",
  target: ["es2020"],
  define: { "process.env.NODE_ENV": '"production"' },
});

await build({
  ...common,
  entryPoints: [join(sources, "modeler.css")],
  outfile: join(target, "modeler.css"),
  loader: { ".woff": "file", ".woff2": "file", ".ttf": "file", ".eot": "file", ".svg": "file" },
  assetNames: "fonts/[name]-[hash]",
});

for (const name of ["modeler.js", "modeler.css"]) {
  const size = statSync(join(target, name)).size;
  console.log(`  webapp/static/js/modeler -> webapp/static/vendor/modeler/${name} (${Math.round(size / 1024)} kB)`);
}
console.log("modeler built");
