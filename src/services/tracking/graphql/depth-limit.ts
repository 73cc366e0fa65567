import { GraphQLError, Kind, type FragmentDefinitionNode, type SelectionSetNode, type ValidationRule } from "graphql";

/**
 * Deepest selection an operation may have, in fields (introspection's own `__` fields not
 * counted). An order's history leads back to its order, and that to its history: without a
 * bound, a 64 KiB query could ask for 6^n rows and keep the service busy for minutes.
 */
export const MAX_QUERY_DEPTH = 10;

/** A validation rule: an operation nested deeper than `max` fields is refused before it runs (a 400). */
export function maxDepthRule(max = MAX_QUERY_DEPTH): ValidationRule {
  return (context) => {
    const fragments = new Map<string, FragmentDefinitionNode>();
    for (const d of context.getDocument().definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
    // Each fragment's depth once (spreads repeated many times cost nothing more); a cycle counts 0 (another rule refuses it).
    const fragmentDepth = new Map<string, number>();
    const depthOf = (set: SelectionSetNode): number => {
      let deepest = 0;
      for (const s of set.selections) {
        if (s.kind === Kind.FIELD) {
          if (s.name.value.startsWith("__")) continue;
          deepest = Math.max(deepest, 1 + (s.selectionSet ? depthOf(s.selectionSet) : 0));
        } else if (s.kind === Kind.INLINE_FRAGMENT) {
          deepest = Math.max(deepest, depthOf(s.selectionSet));
        } else {
          const name = s.name.value;
          if (!fragmentDepth.has(name)) {
            fragmentDepth.set(name, 0);
            const fragment = fragments.get(name);
            fragmentDepth.set(name, fragment ? depthOf(fragment.selectionSet) : 0);
          }
          deepest = Math.max(deepest, fragmentDepth.get(name)!);
        }
        if (deepest > max) return deepest;
      }
      return deepest;
    };
    return {
      OperationDefinition(node) {
        const depth = depthOf(node.selectionSet);
        if (depth > max) {
          context.reportError(new GraphQLError(`The operation is nested more than ${max} fields deep; ask for less at once`, { nodes: [node], extensions: { code: "QUERY_TOO_DEEP", limit: max } }));
        }
      },
    };
  };
}
