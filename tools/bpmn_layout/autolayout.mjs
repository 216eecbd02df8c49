// Step 1 of the re-layout: run bpmn-auto-layout on a BPMN file and print the
// result (BPMN XML with fresh flow-node DI, no pool/lanes) to stdout.
// Usage: node autolayout.mjs <file.bpmn>   (normally called by relayout.py)
import { readFileSync } from 'node:fs';
import { layoutProcess } from 'bpmn-auto-layout';

const file = process.argv[2];
if (!file) {
  console.error('usage: node autolayout.mjs <file.bpmn>');
  process.exit(2);
}
const xml = readFileSync(file, 'utf8');
const out = await layoutProcess(xml);
process.stdout.write(out);
