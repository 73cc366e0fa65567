/**
 * From scenario text to plain values, with every failure of the `yaml` library as a ScenarioError:
 * the parser's own errors (syntax, duplicated keys, nesting too deep), and the ones `toJS` throws
 * after a clean parse (an alias before or without its anchor, an alias bomb, a bad merge), which
 * would otherwise reach the user as the library's message with no file, line or key path.
 */
import { isAlias, isMap, isNode, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from "yaml";
import { errorMessage } from "../../services/shared/errors.js";
import { printable } from "../../services/shared/printable.js";
import { renderPath, ScenarioError, type PathSeg } from "./reader.js";

/** Aliases may expand to this many nodes in all (the library's guard against alias bombs; its default is 100). */
export const MAX_ALIAS_COUNT = 1000;

export function parseYaml(text: string, file: string): { doc: Document; lines: LineCounter } {
  const lines = new LineCounter();
  let doc: Document;
  try {
    // logLevel "error": the library would print its warnings (a collection as a key) to stderr.
    doc = parseDocument(text, { lineCounter: lines, prettyErrors: true, uniqueKeys: true, logLevel: "error" });
  } catch (err) {
    throw new ScenarioError({ file, path: "(syntax)", expected: "valid YAML", found: firstLine(err) }, { cause: err });
  }
  const bad = doc.errors[0];
  if (bad) {
    const pos = bad.linePos?.[0];
    const where = pos ? ` at line ${pos.line}:${pos.col}` : "";
    const reason = bad.message.split("\n")[0].replace(/ at line \d+, column \d+.*$/, "");
    throw new ScenarioError({ file, path: "(syntax)", expected: "valid YAML", found: `${reason}${where}`, line: pos?.line, column: pos?.col }, { cause: bad });
  }
  return { doc, lines };
}

/** The document's contents as plain values (mappings as objects). */
export function documentValue(doc: Document, lines: LineCounter, file: string): unknown {
  try {
    return doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (err) {
    const { node, path } = failingNode(doc);
    const pos = node?.range ? lines.linePos(node.range[0]) : undefined;
    const where = pos ? ` at line ${pos.line}:${pos.col}` : "";
    const { expected, found } = describeFailure(err, node);
    throw new ScenarioError({ file, path: renderPath(path), expected, found: `${found}${where}`, line: pos?.line, column: pos?.col }, { cause: err });
  }
}

function describeFailure(err: unknown, node: Node | null): { expected: string; found: string } {
  const message = firstLine(err);
  if (isAlias(node) && /^Unresolved alias/.test(message)) {
    return { expected: "an alias to an anchor set earlier in the file", found: `*${node.source} with no &${node.source} before it` };
  }
  if (/^Excessive alias count/.test(message)) {
    return { expected: `aliases that expand to at most ${MAX_ALIAS_COUNT} nodes in all`, found: "more (aliases of anchors that hold aliases multiply)" };
  }
  return { expected: "a value YAML can convert", found: message };
}

/**
 * The deepest node that fails to convert on its own, and its key path: children are tried in
 * file order (a key, then its value) and the walk goes into the first that fails. Only run after
 * the whole document failed, so the repeated conversions cost nothing on a good file.
 */
function failingNode(doc: Document): { node: Node | null; path: PathSeg[] } {
  let node: Node | null = isNode(doc.contents) ? doc.contents : null;
  const path: PathSeg[] = [];
  for (;;) {
    const next = childrenOf(node).find((child) => fails(doc, child.node));
    if (!next) return { node, path };
    node = next.node;
    path.push(next.seg);
  }
}

function childrenOf(node: Node | null): Array<{ node: Node; seg: PathSeg }> {
  const out: Array<{ node: Node; seg: PathSeg }> = [];
  if (isMap(node)) {
    for (const pair of node.items) {
      if (!isPair(pair)) continue;
      const seg = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
      if (isNode(pair.key)) out.push({ node: pair.key, seg });
      if (isNode(pair.value)) out.push({ node: pair.value, seg });
    }
  } else if (isSeq(node)) {
    node.items.forEach((item, i) => {
      if (isNode(item)) out.push({ node: item, seg: i });
    });
  }
  return out;
}

function fails(doc: Document, node: Node): boolean {
  try {
    node.toJS(doc, { maxAliasCount: MAX_ALIAS_COUNT });
    return false;
  } catch {
    return true;
  }
}

function firstLine(err: unknown): string {
  return printable(errorMessage(err).split("\n")[0]);
}
