// Parses a Mermaid flowchart with the real `mermaid` package and prints what a reader would
// see: every node (id, shape, label lines with entities decoded), every edge and every group.
//
//   node tests/mermaid/check.mjs FILE.mmd      (or `-` for standard input)
//
// Exit 0 and JSON on standard output when Mermaid accepts the text as a flowchart;
// exit 1 and Mermaid's own error on standard error when it does not.
// Set up once with `npm ci` in this folder (see README.md).

import { readFileSync } from 'node:fs';
import { JSDOM } from 'jsdom';

// Mermaid logs through console; keep standard output for the JSON alone.
for (const level of ['log', 'info', 'warn', 'debug']) {
  console[level] = (...args) => process.stderr.write(args.join(' ') + '\n');
}

const dom = new JSDOM('<!doctype html><html><body></body></html>');
globalThis.window = dom.window;
globalThis.document = dom.window.document;

const { default: mermaid } = await import('mermaid');
mermaid.initialize({ startOnLoad: false, securityLevel: 'strict' });

const file = process.argv[2];
if (!file) {
  process.stderr.write('usage: node check.mjs FILE.mmd   (or - for standard input)\n');
  process.exit(2);
}
const text = readFileSync(file === '-' ? 0 : file, 'utf8');

// What the browser shows for a label: Mermaid turns `#quot;` and `#35;` into placeholders while
// parsing and into HTML entities while drawing; the HTML parser then decodes those.
function shown(label) {
  const html = label
    .replace(/ﬂ°°(\d+)¶ß/g, '&#$1;')
    .replace(/ﬂ°(\w+)¶ß/g, '&$1;');
  const area = document.createElement('textarea');
  area.innerHTML = html;
  return area.value;
}
const lines = (label) => label.split(/<br\s*\/?>/i).map(shown);

try {
  await mermaid.parse(text);
  const diagram = await mermaid.mermaidAPI.getDiagramFromText(text);
  const type = diagram.type;
  if (!String(type).startsWith('flowchart')) {
    throw new Error(`expected a flowchart, Mermaid read a "${type}" diagram`);
  }
  const db = diagram.db;
  const result = {
    type,
    direction: db.getDirection(),
    nodes: [...db.getVertices().values()].map((v) => ({ id: v.id, shape: v.type, lines: lines(v.text) })),
    edges: db.getEdges().map((e) => [e.start, e.end]),
    groups: db.getSubGraphs().map((g) => ({ id: g.id, title: shown(g.title), nodes: g.nodes })),
  };
  process.stdout.write(JSON.stringify(result) + '\n');
} catch (err) {
  process.stderr.write(`Mermaid rejected ${file}: ${err?.message ?? err}\n`);
  process.exit(1);
}
